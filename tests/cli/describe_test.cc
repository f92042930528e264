#include "cli/describe.h"

#include <gtest/gtest.h>

namespace minik8s::cli {
namespace describe_test {

using nlohmann::json;

TEST(EventFieldSelector, NamesKindNameAndNamespace) {
  json pod = {{"kind", "Pod"}, {"metadata", {{"name", "a"}, {"namespace", "ns"}}}};
  EXPECT_EQ(eventFieldSelector(pod),
            "involvedObject.kind=Pod,involvedObject.name=a,involvedObject.namespace=ns");
  json node = {{"kind", "Node"}, {"metadata", {{"name", "n1"}}}};
  EXPECT_EQ(eventFieldSelector(node), "involvedObject.kind=Node,involvedObject.name=n1");
}

TEST(DescribeObject, ShowsMetadataSpecAndEvents) {
  Clock::WallTime now;
  ASSERT_TRUE(parseRfc3339("2026-01-01T00:01:00Z", &now));
  json pod = json::parse(R"({"apiVersion":"v1","kind":"Pod",
    "metadata":{"name":"a","namespace":"default","labels":{"app":"web","tier":"fe"},
                "creationTimestamp":"2026-01-01T00:00:00Z"},
    "spec":{"nodeName":"n1"},"status":{"phase":"Pending"}})");
  json events =
      json::parse(R"({"items":[{"type":"Normal","reason":"Scheduled","message":"assigned to n1",
    "source":{"component":"scheduler"},"lastTimestamp":"2026-01-01T00:00:30Z"}]})");
  std::string out = describeObject(pod, events, now);
  EXPECT_NE(out.find("Name:              a\n"), std::string::npos) << out;
  EXPECT_NE(out.find("Namespace:         default\n"), std::string::npos);
  EXPECT_NE(out.find("Labels:            app=web\n                   tier=fe\n"),
            std::string::npos);
  EXPECT_NE(out.find("Annotations:       <none>\n"), std::string::npos);
  EXPECT_NE(out.find("Spec:\n  nodeName: n1\n"), std::string::npos);
  EXPECT_NE(out.find("Status:\n  phase: Pending\n"), std::string::npos);
  EXPECT_NE(out.find("Events:\n  Type     Reason      Age    From        Message\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("  Normal   Scheduled   30s    scheduler   assigned to n1\n"),
            std::string::npos)
      << out;
}

TEST(EventAge, ARepeatSaysHowOftenAndSinceWhen) {
  Clock::WallTime now;
  ASSERT_TRUE(parseRfc3339("2026-01-01T00:10:00Z", &now));
  json once = {{"lastTimestamp", "2026-01-01T00:09:30Z"}, {"count", 1}};
  EXPECT_EQ(eventAge(once, now), "30s");
  json repeated = {{"firstTimestamp", "2026-01-01T00:00:00Z"},
                   {"lastTimestamp", "2026-01-01T00:09:30Z"},
                   {"count", 5}};
  EXPECT_EQ(eventAge(repeated, now), "30s (x5 over 10m)");
  json without_first = {{"lastTimestamp", "2026-01-01T00:09:30Z"}, {"count", 5}};
  EXPECT_EQ(eventAge(without_first, now), "30s");
}

TEST(DescribeObject, NoEventsSaysNone) {
  std::string out =
      describeObject(json{{"metadata", {{"name", "a"}}}}, json::object(), Clock::WallTime());
  EXPECT_NE(out.find("Events:            <none>\n"), std::string::npos);
}

}  // namespace describe_test
}  // namespace minik8s::cli
