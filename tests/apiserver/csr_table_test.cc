// kubectl's columns for CertificateSigningRequests (printCertificateSigningRequest and
// extractCSRStatus, 1.32) and their OpenAPI schema.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/scheme.h"
#include "apiserver/openapi.h"
#include "apiserver/table.h"

namespace minik8s::apiserver {
namespace csr_table_test {

using nlohmann::json;
using namespace std::chrono_literals;

const Clock::WallTime kNow = Clock::WallTime(std::chrono::seconds(1767225600)) + 10min;

const api::ResourceInfo& csrs() {
  return *api::findResource("certificates.k8s.io", "v1", "certificatesigningrequests");
}

json cells(const json& object) {
  return tableRow(csrs(), object, kNow, IncludeObject::kNone)["cells"];
}

json csr(json status) {
  return {{"metadata", {{"name", "node-csr-x"}, {"creationTimestamp", "2026-01-01T00:00:00Z"}}},
          {"spec",
           {{"signerName", "kubernetes.io/kube-apiserver-client-kubelet"},
            {"username", "system:bootstrap:abcdef"}}},
          {"status", std::move(status)}};
}

TEST(CsrTable, ColumnsAreKubectls) {
  std::vector<std::string> names;
  for (const json& c : tableColumns(csrs())) names.push_back(c["name"]);
  EXPECT_EQ(names, (std::vector<std::string>{"Name", "Age", "SignerName", "Requestor",
                                             "RequestedDuration", "Condition"}));
}

TEST(CsrTable, ConditionIsDeniedApprovedOrPendingThenFailedAndIssued) {
  EXPECT_EQ(cells(csr(json::object())),
            json({"node-csr-x", "10m", "kubernetes.io/kube-apiserver-client-kubelet",
                  "system:bootstrap:abcdef", "<none>", "Pending"}));
  EXPECT_EQ(cells(csr({{"conditions", {{{"type", "Approved"}, {"status", "True"}}}},
                       {"certificate", "LS0t"}}))[5],
            "Approved,Issued");
  EXPECT_EQ(cells(csr({{"conditions", {{{"type", "Denied"}, {"status", "True"}}}}}))[5], "Denied");
  EXPECT_EQ(cells(csr({{"conditions",
                        {{{"type", "Approved"}, {"status", "True"}},
                         {{"type", "Failed"}, {"status", "True"}}}}}))[5],
            "Approved,Failed");
  json with_duration = csr(json::object());
  with_duration["spec"]["expirationSeconds"] = 3600;
  with_duration["spec"].erase("signerName");
  EXPECT_EQ(cells(with_duration)[2], "<none>");
  EXPECT_EQ(cells(with_duration)[4], "60m");
}

TEST(CsrOpenApi, BytesAreBase64StringsAndExtraIsAMapOfLists) {
  json doc = openApiDocument("certificates.k8s.io", "v1");
  const json& schemas = doc["components"]["schemas"];
  const json& spec = schemas["io.k8s.api.certificates.v1.CertificateSigningRequestSpec"];
  EXPECT_EQ(spec["properties"]["request"]["format"], "byte");
  EXPECT_EQ(spec["properties"]["extra"]["additionalProperties"]["$ref"],
            "#/components/schemas/io.k8s.api.certificates.v1.ExtraValue");
  EXPECT_EQ(schemas["io.k8s.api.certificates.v1.ExtraValue"]["type"], "array");
  const json& status = schemas["io.k8s.api.certificates.v1.CertificateSigningRequestStatus"];
  EXPECT_EQ(status["properties"]["conditions"]["x-kubernetes-list-map-keys"], json({"type"}));
}

}  // namespace csr_table_test
}  // namespace minik8s::apiserver
