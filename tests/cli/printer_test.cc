#include "cli/printer.h"

#include <gtest/gtest.h>

namespace minik8s::cli {
namespace printer_test {

using nlohmann::json;

json podTable() {
  return json::parse(R"({
    "kind":"Table","apiVersion":"meta.k8s.io/v1","metadata":{"resourceVersion":"9"},
    "columnDefinitions":[
      {"name":"Name","type":"string","priority":0},
      {"name":"Ready","type":"string","priority":0},
      {"name":"Status","type":"string","priority":0},
      {"name":"Restarts","type":"integer","priority":0},
      {"name":"Age","type":"string","priority":0},
      {"name":"IP","type":"string","priority":1},
      {"name":"Nominated Node","type":"string","priority":1}],
    "rows":[
      {"cells":["greet-pod","0/3","Pending",0,"5s","<none>",null],
       "object":{"metadata":{"name":"greet-pod","namespace":"default"}}},
      {"cells":["pod-hpa","1/1","Running",12,"3m",  "10.244.0.5",null],
       "object":{"metadata":{"name":"pod-hpa","namespace":"team"}}}]})");
}

TEST(PrintTable, LooksLikeKubectlWithPaddingThreeAndNoWideColumns) {
  EXPECT_EQ(printTable(podTable(), {}),
            "NAME        READY   STATUS    RESTARTS   AGE\n"
            "greet-pod   0/3     Pending   0          5s\n"
            "pod-hpa     1/1     Running   12         3m\n");
}

TEST(PrintTable, WideAddsPriorityOneColumnsAndNilCellsShowNone) {
  EXPECT_EQ(printTable(podTable(), {.wide = true}),
            "NAME        READY   STATUS    RESTARTS   AGE   IP           NOMINATED NODE\n"
            "greet-pod   0/3     Pending   0          5s    <none>       <none>\n"
            "pod-hpa     1/1     Running   12         3m    10.244.0.5   <none>\n");
}

TEST(PrintTable, AllNamespacesAddsANamespaceColumnFromTheRowObjects) {
  std::string out = printTable(podTable(), {.with_namespace = true});
  EXPECT_EQ(out.substr(0, out.find('\n')),
            "NAMESPACE   NAME        READY   STATUS    RESTARTS   AGE");
  EXPECT_NE(out.find("team        pod-hpa"), std::string::npos);
}

TEST(PrintTable, GetAllPrefixesNamesWithTheKind) {
  std::string out = printTable(podTable(), {.name_prefix = "pod/"});
  EXPECT_NE(out.find("pod/greet-pod   0/3"), std::string::npos);
}

TEST(PrintTable, EmptyTablePrintsNothingAndNoHeadersDropsTheHeader) {
  json empty = podTable();
  empty["rows"] = json::array();
  EXPECT_EQ(printTable(empty, {}), "");
  std::string out = printTable(podTable(), {.no_headers = true});
  EXPECT_EQ(out.find("NAME"), std::string::npos);
}

TEST(AlignColumns, MinimumWidthIsSixAndLaterRowsCanKeepEarlierWidths) {
  std::vector<size_t> widths;
  EXPECT_EQ(alignColumns({{"A", "B"}, {"x", "y"}}, &widths), "A     B\nx     y\n");
  EXPECT_EQ(widths[0], 6u);
  EXPECT_EQ(alignColumns({{"x", "y"}}, nullptr, {10}), "x         y\n");
}

TEST(AlignColumns, EmptyCellsAtTheEndLeaveNoTrailingBlanks) {
  EXPECT_EQ(alignColumns({{"Name", "Endpoints"}, {"a", ""}, {"b", "1.2.3.4/80"}}),
            "Name   Endpoints\na\nb      1.2.3.4/80\n");
}

TEST(FallbackTable, NameAndAgeFromAList) {
  Clock::WallTime now;
  ASSERT_TRUE(parseRfc3339("2026-01-01T00:10:00Z", &now));
  json list = {
      {"items", {{{"metadata", {{"name", "a"}, {"creationTimestamp", "2026-01-01T00:00:00Z"}}}}}}};
  EXPECT_EQ(printTable(fallbackTable(list, now), {}), "NAME   AGE\na      10m\n");
}

TEST(FormatObject, YamlByDefaultAndJsonIndentedByFour) {
  json pod = {{"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", {{"name", "a"}}}};
  EXPECT_EQ(formatObject(pod, OutputFormat::kYaml),
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n");
  EXPECT_EQ(formatObject(json{{"a", 1}}, OutputFormat::kJson), "{\n    \"a\": 1\n}\n");
}

TEST(FormatObject, LeavesManagedFieldsOutAsKubectlDoes) {
  json managed = json::array({{{"manager", "kubectl"}, {"operation", "Update"}}});
  json pod = {{"kind", "Pod"}, {"metadata", {{"name", "a"}, {"managedFields", managed}}}};
  EXPECT_EQ(formatObject(pod, OutputFormat::kJson),
            "{\n    \"kind\": \"Pod\",\n    \"metadata\": {\n        \"name\": \"a\"\n    }\n}\n");
  EXPECT_EQ(formatObject(listObject({pod}), OutputFormat::kYaml).find("managedFields"),
            std::string::npos);
  EXPECT_EQ(formatObject(json::array({1}), OutputFormat::kJson), "[\n    1\n]\n");
}

TEST(ParseOutputFormat, KnowsKubectlsFormats) {
  EXPECT_EQ(*parseOutputFormat(""), OutputFormat::kTable);
  EXPECT_EQ(*parseOutputFormat("wide"), OutputFormat::kWide);
  EXPECT_EQ(*parseOutputFormat("yaml"), OutputFormat::kYaml);
  EXPECT_EQ(*parseOutputFormat("json"), OutputFormat::kJson);
  EXPECT_EQ(*parseOutputFormat("name"), OutputFormat::kName);
  EXPECT_EQ(*parseOutputFormat("original"), OutputFormat::kOriginal);
  EXPECT_EQ(*parseOutputFormat("", OutputFormat::kOriginal), OutputFormat::kOriginal);
  EXPECT_EQ(*parseOutputFormat("wide", OutputFormat::kOriginal), OutputFormat::kWide);
  EXPECT_FALSE(parseOutputFormat("xml").isOk());
}

TEST(Messages, TheOriginalsWording) {
  EXPECT_EQ(actionMessage("Pod", "created", "greet-pod"), "Pod created: greet-pod");
  EXPECT_EQ(actionMessage("Service", "deleted", "s"), "Service deleted: s");
  EXPECT_EQ(noResourcesMessage("default", false, true), "No resources found in default namespace.");
  EXPECT_EQ(noResourcesMessage("default", true, true), "No resources found");
  EXPECT_EQ(noResourcesMessage("default", false, false), "No resources found");
}

TEST(FormatServerError, ReadsLikeKubectl) {
  EXPECT_EQ(formatServerError(notFound("pods \"x\" not found")),
            "Error from server (NotFound): pods \"x\" not found");
  EXPECT_EQ(formatServerError(alreadyExists("pods \"x\" already exists")),
            "Error from server (AlreadyExists): pods \"x\" already exists");
}

TEST(FormatServerError, InvalidListsItsCauses) {
  Status one = invalid("Pod \"x\" is invalid: spec.containers[0].image: Required value",
                       {{"spec.containers[0].image", "FieldValueRequired", "Required value"}});
  EXPECT_EQ(formatServerError(one),
            "The Pod \"x\" is invalid: spec.containers[0].image: Required value");
  Status two = invalid("Pod \"x\" is invalid: [a, b]", {{"spec.a", "r", "Required value"},
                                                        {"spec.b", "r", "Invalid value: \"q\""}});
  EXPECT_EQ(formatServerError(two),
            "The Pod \"x\" is invalid: \n* spec.a: Required value\n* spec.b: Invalid value: \"q\"");
}

TEST(FormatServerError, ConnectionErrorsStayAsTheyAre) {
  Status down = unavailable(
      "The connection to the server 127.0.0.1:1 was refused - did you specify the right host or "
      "port?");
  EXPECT_EQ(formatServerError(down), down.message());
}

}  // namespace printer_test
}  // namespace minik8s::cli

namespace minik8s::cli {
namespace printer_test {

TEST(OriginalColumns, PodsShowIpAndNodeWithoutWide) {
  json table = json::parse(R"({"columnDefinitions":[
      {"name":"Name","priority":0},{"name":"Age","priority":0},
      {"name":"IP","priority":1},{"name":"Node","priority":1},{"name":"Readiness Gates","priority":1}],
    "rows":[{"cells":["a","1s","10.244.0.2","n1","<none>"]}]})");
  api::ResourceInfo pods;
  pods.version = "v1";
  pods.plural = "pods";
  EXPECT_EQ(printTable(table, {.extra_columns = originalExtraColumns(pods)}),
            "NAME   AGE   IP           NODE\n"
            "a      1s    10.244.0.2   n1\n");
  api::ResourceInfo services = pods;
  services.plural = "services";
  EXPECT_TRUE(originalExtraColumns(services).empty());
}

TEST(InsertColumn, AddsServiceEndpointsBeforeAgeByNamespaceAndName) {
  json services =
      json::parse(R"({"columnDefinitions":[{"name":"Name"},{"name":"Type"},{"name":"Age"}],
    "rows":[{"cells":["web","ClusterIP","1m"],"object":{"metadata":{"namespace":"a"}}},
            {"cells":["web","ClusterIP","2m"],"object":{"metadata":{"namespace":"b"}}},
            {"cells":["db","ClusterIP","3m"],"object":{"metadata":{"namespace":"a"}}}]})");
  json endpoints =
      json::parse(R"({"columnDefinitions":[{"name":"Name"},{"name":"Endpoints"},{"name":"Age"}],
    "rows":[{"cells":["web","10.244.0.5:80","1m"],"object":{"metadata":{"namespace":"a"}}},
            {"cells":["db","","3m"],"object":{"metadata":{"namespace":"a"}}}]})");
  insertColumn(services, "Endpoints", "Age", cellsByName(endpoints, "endpoints"), "<none>");
  EXPECT_EQ(printTable(services, {}),
            "NAME   TYPE        ENDPOINTS       AGE\n"
            "web    ClusterIP   10.244.0.5:80   1m\n"
            "web    ClusterIP   <none>          2m\n"
            "db     ClusterIP                   3m\n");
}

}  // namespace printer_test
}  // namespace minik8s::cli
