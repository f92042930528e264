// kubectl's columns for discovery.k8s.io/v1 EndpointSlices (printEndpointSlice) and the
// Endpoints cell of subsets that hold only not-ready addresses.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/scheme.h"
#include "apiserver/table.h"

namespace minik8s::apiserver {
namespace endpointslice_table_test {

using nlohmann::json;
using namespace std::chrono_literals;

const Clock::WallTime kNow = Clock::WallTime(std::chrono::seconds(1767225600)) + 10min;

json cells(const char* plural, const std::string& object) {
  const api::ResourceInfo* info = plural == std::string("endpoints")
                                      ? api::findResource("", "v1", "endpoints")
                                      : api::findResource("discovery.k8s.io", "v1", plural);
  EXPECT_NE(info, nullptr);
  return tableRow(*info, json::parse(object), kNow, IncludeObject::kNone)["cells"];
}

TEST(EndpointSliceTable, ColumnsAreKubectls) {
  std::vector<std::string> names;
  for (const json& c :
       tableColumns(*api::findResource("discovery.k8s.io", "v1", "endpointslices"))) {
    names.push_back(c["name"]);
    EXPECT_EQ(c["priority"], 0);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"Name", "AddressType", "Ports", "Endpoints", "Age"}));
}

TEST(EndpointSliceTable, ThreeAddressesThenMore) {
  EXPECT_EQ(
      cells("endpointslices", R"({"metadata":{"name":"web-abc",
      "creationTimestamp":"2026-01-01T00:00:00Z"}, "addressType":"IPv4",
      "ports":[{"name":"http","port":80,"protocol":"TCP"}],
      "endpoints":[{"addresses":["10.0.0.1"]},{"addresses":["10.0.0.2"]},
                   {"addresses":["10.0.0.3"]},{"addresses":["10.0.0.4"]}]})"),
      json::parse(R"(["web-abc","IPv4","80","10.0.0.1,10.0.0.2,10.0.0.3 + 1 more...","10m"])"));
  EXPECT_EQ(
      cells("endpointslices", R"({"metadata":{"name":"two"}, "addressType":"IPv4",
      "ports":[{"name":"a","port":80},{"name":"b","port":443},{"name":"c"},{"port":1},{"port":2}],
      "endpoints":[{"addresses":["10.0.0.1","10.0.0.2"]}]})"),
      json::parse(R"(["two","IPv4","80,443,c + 2 more...","10.0.0.1,10.0.0.2","<unknown>"])"));
}

TEST(EndpointSliceTable, EmptySlicesPrintUnset) {
  EXPECT_EQ(cells("endpointslices", R"({"metadata":{"name":"web-x"},"addressType":"IPv4",
      "ports":[],"endpoints":[]})"),
            json::parse(R"(["web-x","IPv4","<unset>","<unset>","<unknown>"])"));
  EXPECT_EQ(cells("endpointslices", R"({"metadata":{"name":"p"},"addressType":"IPv4",
      "ports":[{"name":""}]})"),
            json::parse(R"(["p","IPv4","<unset>","<unset>","<unknown>"])"));
}

TEST(EndpointsTable, SubsetsWithOnlyNotReadyAddressesPrintAnEmptyCell) {
  EXPECT_EQ(cells("endpoints", R"({"metadata":{"name":"web"},
      "subsets":[{"notReadyAddresses":[{"ip":"10.0.0.1"}],"ports":[{"port":80}]}]})"),
            json::parse(R"(["web","","<unknown>"])"));
}

}  // namespace endpointslice_table_test
}  // namespace minik8s::apiserver
