// kubectl's columns for ServiceAccounts (printServiceAccount, 1.32) and the RBAC kinds
// (printRole, printClusterRole, printRoleBinding, printClusterRoleBinding).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/scheme.h"
#include "apiserver/table.h"

namespace minik8s::apiserver {
namespace rbac_table_test {

using nlohmann::json;
using namespace std::chrono_literals;

const Clock::WallTime kNow = Clock::WallTime(std::chrono::seconds(1767225600)) + 10min;

const api::ResourceInfo& resource(const char* plural) {
  const api::ResourceInfo* info =
      api::findResource(std::string(plural) == "serviceaccounts" ? "" : "rbac.authorization.k8s.io",
                        "v1", plural);
  EXPECT_NE(info, nullptr) << plural;
  return *info;
}

json cells(const char* plural, const json& object) {
  return tableRow(resource(plural), object, kNow, IncludeObject::kNone)["cells"];
}

// "Name" or "Users(wide)" for the -o wide columns.
std::vector<std::string> columns(const char* plural) {
  std::vector<std::string> names;
  for (const json& c : tableColumns(resource(plural))) {
    names.push_back(c["name"].get<std::string>() + (c["priority"] == 1 ? "(wide)" : ""));
  }
  return names;
}

TEST(RbacTable, ColumnsAreKubectls) {
  using Names = std::vector<std::string>;
  EXPECT_EQ(columns("serviceaccounts"), (Names{"Name", "Secrets", "Age"}));
  EXPECT_EQ(columns("roles"), (Names{"Name", "Created At"}));
  EXPECT_EQ(columns("clusterroles"), (Names{"Name", "Created At"}));
  Names bindings = {"Name", "Role", "Age", "Users(wide)", "Groups(wide)", "ServiceAccounts(wide)"};
  EXPECT_EQ(columns("rolebindings"), bindings);
  EXPECT_EQ(columns("clusterrolebindings"), bindings);
  EXPECT_EQ(tableColumns(resource("roles"))[1]["type"], "date");
}

TEST(RbacTable, ServiceAccountCountsItsSecrets) {
  json sa = json::parse(R"({"metadata":{"name":"default","creationTimestamp":"2026-01-01T00:00:00Z"}})");
  EXPECT_EQ(cells("serviceaccounts", sa), json::parse(R"(["default", 0, "10m"])"));
  sa["secrets"] = json::parse(R"([{"name":"a"},{"name":"b"}])");
  EXPECT_EQ(cells("serviceaccounts", sa)[1], 2);
}

TEST(RbacTable, RolesShowTheirCreationTimeInUtc) {
  json role = json::parse(
      R"({"metadata":{"name":"pod-reader","creationTimestamp":"2026-01-01T00:00:00Z"}})");
  EXPECT_EQ(cells("roles", role), json::parse(R"(["pod-reader", "2026-01-01T00:00:00Z"])"));
  EXPECT_EQ(cells("clusterroles", role)[1], "2026-01-01T00:00:00Z");
}

TEST(RbacTable, BindingsShowKindSlashNameAndSubjectsByKind) {
  json binding = json::parse(R"({"metadata":{"name":"read-pods",
      "creationTimestamp":"2026-01-01T00:05:00Z"},
    "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"pod-reader"},
    "subjects":[{"kind":"User","name":"alice"},{"kind":"User","name":"bob"},
                {"kind":"Group","name":"devs"},
                {"kind":"ServiceAccount","name":"build-bot","namespace":"default"}]})");
  EXPECT_EQ(cells("rolebindings", binding),
            json::parse(R"(["read-pods", "Role/pod-reader", "5m", "alice, bob", "devs",
                            "default/build-bot"])"));
  binding.erase("subjects");
  binding["roleRef"]["kind"] = "ClusterRole";
  EXPECT_EQ(cells("clusterrolebindings", binding),
            json::parse(R"(["read-pods", "ClusterRole/pod-reader", "5m", "", "", ""])"));
}

}  // namespace rbac_table_test
}  // namespace minik8s::apiserver
