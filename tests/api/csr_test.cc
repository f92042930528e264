// certificates.k8s.io/v1 CertificateSigningRequest through the scheme: registration, the
// JSON codec ([]byte fields as base64), defaults, and validation with Kubernetes' field paths
// and messages (pkg/apis/certificates/validation).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/codec.h"
#include "api/defaults.h"
#include "api/scheme.h"
#include "api/types_certificates.h"
#include "api/validation.h"
#include "testing/csr_fixtures.h"

namespace minik8s::api {
namespace csr_test {

using nlohmann::json;
using testing::kNodeCsrPem;
using testing::kNodeKeyCertPem;

const ResourceInfo& csrs() {
  return *findResource("certificates.k8s.io", "v1", "certificatesigningrequests");
}

json csr() {
  json j = {{"apiVersion", "certificates.k8s.io/v1"},
            {"kind", "CertificateSigningRequest"},
            {"metadata", {{"name", "node-csr-1"}}},
            {"spec",
             {{"request", base64Encode(kNodeCsrPem)},
              {"signerName", "kubernetes.io/kube-apiserver-client-kubelet"},
              {"usages", {"digital signature", "client auth"}}}}};
  return j;
}

std::string describe(const std::vector<FieldError>& errors) {
  std::string out;
  for (const FieldError& e : errors) out += e.field + " " + e.reason + ": " + e.message + "\n";
  return out;
}

std::string errorsOf(json object, const json* old = nullptr) {
  Status s = normalize(csrs(), object, nullptr);
  EXPECT_TRUE(s.isOk()) << s.toString();
  return describe(validate(csrs(), object, old));
}

TEST(CsrScheme, ServedClusterScopedWithKubectlsNames) {
  const ResourceInfo* r = findResource("certificates.k8s.io", "v1", "certificatesigningrequests");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->kind, "CertificateSigningRequest");
  EXPECT_EQ(r->singular, "certificatesigningrequest");
  EXPECT_FALSE(r->namespaced);
  EXPECT_TRUE(r->hasSubresource("status"));
  EXPECT_TRUE(r->hasSubresource("approval"));
  EXPECT_EQ(resolveResource("csr"), r);
  EXPECT_EQ(resolveResource("certificatesigningrequests.certificates.k8s.io"), r);
  EXPECT_EQ(findResourceByKind("certificates.k8s.io/v1", "CertificateSigningRequest"), r);
}

TEST(CsrCodec, ByteFieldsAreBase64InJsonAndRawInTheStruct) {
  json in = csr();
  in["status"] = {{"certificate", base64Encode(kNodeKeyCertPem)},
                  {"conditions", {{{"type", "Approved"}, {"status", "True"},
                                   {"reason", "AutoApproved"}}}}};
  in["spec"]["expirationSeconds"] = 3600;
  in["spec"]["username"] = "system:bootstrap:abcdef";
  in["spec"]["groups"] = {"system:bootstrappers"};
  in["spec"]["extra"] = {{"scopes", {"a", "b"}}};
  std::vector<std::string> unknown;
  Result<CertificateSigningRequest> got = decode<CertificateSigningRequest>(in, &unknown);
  ASSERT_TRUE(got.isOk()) << got.status().toString();
  EXPECT_TRUE(unknown.empty());
  EXPECT_EQ(got->spec.request, kNodeCsrPem);
  EXPECT_EQ(got->status.certificate, kNodeKeyCertPem);
  EXPECT_EQ(got->spec.expiration_seconds, 3600);
  EXPECT_EQ(got->spec.extra.at("scopes").size(), 2u);
  EXPECT_EQ(got->status.conditions.at(0).reason, "AutoApproved");
  EXPECT_EQ(toJson(*got), in);
}

TEST(CsrCodec, BadBase64IsABadRequestNamingTheField) {
  json in = csr();
  in["spec"]["request"] = "not base64!";
  Result<CertificateSigningRequest> got = decode<CertificateSigningRequest>(in);
  ASSERT_FALSE(got.isOk());
  EXPECT_EQ(got.status().code(), Code::kBadRequest);
  EXPECT_NE(got.status().message().find("spec.request"), std::string::npos)
      << got.status().message();
}

TEST(CsrDefaults, ConditionStatusDefaultsToTrue) {
  json in = csr();
  in["status"]["conditions"] = {{{"type", "Approved"}}};
  ASSERT_TRUE(normalize(csrs(), in, nullptr).isOk());
  EXPECT_EQ(in["status"]["conditions"][0]["status"], "True");
}

TEST(CsrValidation, AValidRequestHasNoErrors) { EXPECT_EQ(errorsOf(csr()), ""); }

TEST(CsrValidation, RequestMustBeAPemCertificateRequest) {
  json in = csr();
  in["spec"]["request"] = base64Encode(kNodeKeyCertPem);
  EXPECT_EQ(errorsOf(in),
            "spec.request FieldValueInvalid: Invalid value: \"<request data>\": PEM block type "
            "must be CERTIFICATE REQUEST\n");
  in["spec"].erase("request");
  EXPECT_EQ(errorsOf(in),
            "spec.request FieldValueInvalid: Invalid value: \"<request data>\": PEM block type "
            "must be CERTIFICATE REQUEST\n");
}

TEST(CsrValidation, SignerNameIsRequiredAndQualified) {
  json in = csr();
  in["spec"].erase("signerName");
  EXPECT_EQ(errorsOf(in), "spec.signerName FieldValueRequired: Required value\n");
  in["spec"]["signerName"] = "kubelet";
  EXPECT_EQ(errorsOf(in),
            "spec.signerName FieldValueInvalid: Invalid value: \"kubelet\": must be a fully "
            "qualified domain and path of the form 'example.com/signer-name'\n");
  in["spec"]["signerName"] = "example/signer";
  EXPECT_EQ(errorsOf(in),
            "spec.signerName FieldValueInvalid: Invalid value: \"example\": should be a domain "
            "with at least two segments separated by dots\n");
  in["spec"]["signerName"] = "example.com/my-signer";
  EXPECT_EQ(errorsOf(in), "");
}

TEST(CsrValidation, ExpirationSecondsAtLeastTenMinutes) {
  json in = csr();
  in["spec"]["expirationSeconds"] = 599;
  EXPECT_EQ(errorsOf(in),
            "spec.expirationSeconds FieldValueInvalid: Invalid value: 599: may not specify a "
            "duration less than 600 seconds (10 minutes)\n");
  in["spec"]["expirationSeconds"] = 600;
  EXPECT_EQ(errorsOf(in), "");
}

TEST(CsrValidation, UsagesRequiredKnownAndUnique) {
  json in = csr();
  in["spec"]["usages"] = json::array();
  EXPECT_EQ(errorsOf(in), "spec.usages FieldValueRequired: Required value: usages must be provided\n");
  in["spec"]["usages"] = {"client auth", "client auth"};
  EXPECT_EQ(errorsOf(in), "spec.usages[1] FieldValueDuplicate: Duplicate value: \"client auth\"\n");
  in["spec"]["usages"] = {"flying"};
  std::string errors = errorsOf(in);
  EXPECT_EQ(errors.rfind("spec.usages[0] FieldValueNotSupported: Unsupported value: \"flying\": "
                         "supported values: \"any\", ",
                         0),
            0u)
      << errors;
}

TEST(CsrValidation, ConditionRules) {
  json in = csr();
  in["status"]["conditions"] = {{{"type", "Approved"}}, {{"type", "Denied"}}};
  EXPECT_EQ(errorsOf(in),
            "status.conditions FieldValueInvalid: Invalid value: \"Denied\": Approved and Denied "
            "conditions are mutually exclusive\n");
  in["status"]["conditions"] = {{{"type", "Approved"}}, {{"type", "Approved"}}};
  EXPECT_EQ(errorsOf(in),
            "status.conditions[1].type FieldValueDuplicate: Duplicate value: \"Approved\"\n");
  in["status"]["conditions"] = {{{"type", "Approved"}, {"status", "False"}},
                                {{"type", "Custom"}, {"status", "Maybe"}},
                                {{"type", "Other"}, {"status", "Unknown"}},
                                {{"type", ""}}};
  EXPECT_EQ(errorsOf(in),
            "status.conditions[0].status FieldValueNotSupported: Unsupported value: \"False\": "
            "supported values: \"True\"\n"
            "status.conditions[1].status FieldValueNotSupported: Unsupported value: \"Maybe\": "
            "supported values: \"False\", \"True\", \"Unknown\"\n"
            "status.conditions[3].type FieldValueRequired: Required value\n");
}

TEST(CsrValidation, CertificateOnlyPemCertificateBlocks) {
  json in = csr();
  in["status"]["certificate"] = base64Encode(kNodeCsrPem);
  EXPECT_EQ(errorsOf(in),
            "status.certificate FieldValueInvalid: Invalid value: \"<certificate data>\": only "
            "CERTIFICATE PEM blocks are allowed, found \"CERTIFICATE REQUEST\"\n");
  in["status"]["certificate"] = base64Encode("garbage");
  EXPECT_EQ(errorsOf(in),
            "status.certificate FieldValueInvalid: Invalid value: \"<certificate data>\": must "
            "contain at least one CERTIFICATE PEM block\n");
  in["status"]["certificate"] = base64Encode(std::string("issued:\n") + kNodeKeyCertPem + kNodeKeyCertPem);
  EXPECT_EQ(errorsOf(in), "");
}

TEST(CsrValidation, UpdatesKeepSpecConditionsAndCertificate) {
  json old = csr();
  old["status"] = {{"certificate", base64Encode(kNodeKeyCertPem)},
                   {"conditions", {{{"type", "Approved"}, {"status", "True"}}}}};
  ASSERT_TRUE(normalize(csrs(), old, nullptr).isOk());
  json in = old;
  in["spec"]["signerName"] = "example.com/other";
  EXPECT_EQ(errorsOf(in, &old), "spec FieldValueForbidden: Forbidden: field is immutable\n");
  in = old;
  in["status"]["conditions"] = json::array();
  EXPECT_EQ(errorsOf(in, &old),
            "status.conditions FieldValueForbidden: Forbidden: updates may not remove a "
            "condition of type \"Approved\"\n");
  in = old;
  in["status"]["certificate"] = base64Encode(std::string(kNodeKeyCertPem) + kNodeKeyCertPem);
  EXPECT_EQ(errorsOf(in, &old),
            "status.certificate FieldValueInvalid: Invalid value: \"<certificate data>\": "
            "updates may not modify existing certificate content\n");
}

TEST(CsrPem, BlocksAreFoundInOrderWithTheirBytes) {
  std::vector<PemBlock> blocks = decodePemBlocks(std::string("text\n") + kNodeCsrPem + kNodeKeyCertPem);
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(blocks[0].type, "CERTIFICATE REQUEST");
  EXPECT_EQ(blocks[1].type, "CERTIFICATE");
  EXPECT_EQ(uint8_t(blocks[1].bytes[0]), 0x30);
  EXPECT_EQ(blocks[1].bytes.size(), 0x16cu + 4);
  EXPECT_FALSE(blocks[1].has_headers);
}

}  // namespace csr_test
}  // namespace minik8s::api
