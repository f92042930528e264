// kubectl's columns for networking.k8s.io/v1 Ingresses (printIngress, 1.32) and
// IngressClasses (printIngressClass).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/scheme.h"
#include "apiserver/table.h"

namespace minik8s::apiserver {
namespace networking_table_test {

using nlohmann::json;
using namespace std::chrono_literals;

const Clock::WallTime kNow = Clock::WallTime(std::chrono::seconds(1767225600)) + 10min;

json cells(const char* plural, const json& object) {
  const api::ResourceInfo* info = api::findResource("networking.k8s.io", "v1", plural);
  EXPECT_NE(info, nullptr);
  return tableRow(*info, object, kNow, IncludeObject::kNone)["cells"];
}

std::vector<std::string> columns(const char* plural) {
  std::vector<std::string> names;
  for (const json& c : tableColumns(*api::findResource("networking.k8s.io", "v1", plural))) {
    names.push_back(c["name"]);
  }
  return names;
}

json ingress() {
  return json::parse(R"({"metadata":{"name":"web","creationTimestamp":"2026-01-01T00:00:00Z"},
    "spec":{"ingressClassName":"minik8s-nginx","rules":[
      {"host":"a.example.com","http":{"paths":[]}},{"host":"b.example.com"}]},
    "status":{"loadBalancer":{"ingress":[{"ip":"10.96.0.80"}]}}})");
}

TEST(NetworkingTable, ColumnsAreKubectls) {
  EXPECT_EQ(columns("ingresses"),
            (std::vector<std::string>{"Name", "Class", "Hosts", "Address", "Ports", "Age"}));
  EXPECT_EQ(columns("ingressclasses"),
            (std::vector<std::string>{"Name", "Controller", "Parameters", "Age"}));
}

TEST(NetworkingTable, IngressClassHostsAddressAndPorts) {
  EXPECT_EQ(
      cells("ingresses", ingress()),
      json::parse(
          R"(["web","minik8s-nginx","a.example.com,b.example.com","10.96.0.80","80","10m"])"));

  json bare = ingress();
  bare["spec"] = {{"defaultBackend", {{"service", {{"name", "s"}, {"port", {{"number", 80}}}}}}},
                  {"tls", {{{"secretName", "t"}}}}};
  bare["status"] = {{"loadBalancer", json::object()}};
  EXPECT_EQ(cells("ingresses", bare), json::parse(R"(["web","<none>","*","","80, 443","10m"])"));

  json many = ingress();
  for (const char* h : {"c.io", "d.io", "e.io"}) many["spec"]["rules"].push_back({{"host", h}});
  many["status"]["loadBalancer"]["ingress"] = {
      {{"ip", "10.0.0.2"}}, {{"hostname", "lb.io"}}, {{"ip", "10.0.0.1"}}};
  json row = cells("ingresses", many);
  EXPECT_EQ(row[2], "a.example.com,b.example.com,c.io + 2 more...");
  EXPECT_EQ(row[3], "10.0.0.1,10.0.0.2,lb.io");
}

TEST(NetworkingTable, IngressClassControllerAndParameters) {
  json ic = json::parse(
      R"({"metadata":{"name":"minik8s-nginx","creationTimestamp":"2026-01-01T00:00:00Z"},
    "spec":{"controller":"minik8s.io/ingress-nginx"}})");
  EXPECT_EQ(cells("ingressclasses", ic),
            json::parse(R"(["minik8s-nginx","minik8s.io/ingress-nginx","<none>","10m"])"));
  ic["spec"]["parameters"] = {{"apiGroup", "k8s.example.com"}, {"kind", "Config"}, {"name", "c"}};
  EXPECT_EQ(cells("ingressclasses", ic)[2], "Config.k8s.example.com/c");
  ic["spec"]["parameters"].erase("apiGroup");
  EXPECT_EQ(cells("ingressclasses", ic)[2], "Config/c");
}

}  // namespace networking_table_test
}  // namespace minik8s::apiserver
