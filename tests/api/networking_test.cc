// networking.k8s.io/v1 Ingress and IngressClass through the scheme: registration, decode
// and encode, defaults, validation with Kubernetes' field paths and messages.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/codec.h"
#include "api/scheme.h"
#include "api/types_networking.h"

namespace minik8s::api {
namespace networking_test {

using nlohmann::json;

const ResourceInfo& ingresses() {
  return *findResource("networking.k8s.io", "v1", "ingresses");
}
const ResourceInfo& ingressClasses() {
  return *findResource("networking.k8s.io", "v1", "ingressclasses");
}

json ingressJson() {
  return json::parse(R"({
    "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
    "metadata": {"name": "web", "namespace": "default"},
    "spec": {
      "ingressClassName": "minik8s-nginx",
      "defaultBackend": {"service": {"name": "fallback", "port": {"number": 80}}},
      "rules": [{"host": "shop.example.com", "http": {"paths": [
        {"path": "/", "pathType": "Exact", "backend": {"service": {"name": "home", "port": {"number": 80}}}},
        {"path": "/api", "pathType": "Prefix", "backend": {"service": {"name": "api", "port": {"name": "http"}}}}
      ]}}]}
  })");
}

json ingressClassJson() {
  return json::parse(R"({
    "apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
    "metadata": {"name": "minik8s-nginx",
                 "annotations": {"ingressclass.kubernetes.io/is-default-class": "true"}},
    "spec": {"controller": "minik8s.io/ingress-nginx"}
  })");
}

std::string describe(const std::vector<FieldError>& errors) {
  std::string out;
  for (const FieldError& e : errors) out += e.field + " " + e.reason + ": " + e.message + "\n";
  return out;
}

std::vector<FieldError> normalizedErrors(const ResourceInfo& r, json object,
                                         const json* old = nullptr) {
  Status s = normalize(r, object, nullptr);
  EXPECT_TRUE(s.isOk()) << s.toString();
  return validate(r, object, old);
}

// The one error of `object`, as "field reason: message".
std::string onlyError(const ResourceInfo& r, const json& object) {
  auto errors = normalizedErrors(r, object);
  EXPECT_EQ(errors.size(), 1u) << describe(errors);
  return errors.empty() ? "" : errors[0].field + " " + errors[0].reason + ": " + errors[0].message;
}

TEST(NetworkingScheme, IngressAndIngressClassAreServedWithKubectlsNames) {
  EXPECT_TRUE(ingresses().namespaced);
  EXPECT_TRUE(ingresses().hasSubresource("status"));
  EXPECT_FALSE(ingressClasses().namespaced);
  EXPECT_EQ(resolveResource("ing"), &ingresses());
  EXPECT_EQ(resolveResource("ingress"), &ingresses());
  EXPECT_EQ(resolveResource("ingresses.networking.k8s.io"), &ingresses());
  EXPECT_EQ(resolveResource("ingressclass"), &ingressClasses());
  EXPECT_EQ(findResourceByKind("networking.k8s.io/v1", "IngressClass"), &ingressClasses());
  EXPECT_TRUE(ingresses().categories.empty());  // not in `kubectl get all`
}

TEST(NetworkingScheme, IngressRoundTripsAndKeepsAnEmptyLoadBalancerStatus) {
  json object = ingressJson();
  std::vector<std::string> unknown;
  ASSERT_TRUE(normalize(ingresses(), object, &unknown).isOk());
  EXPECT_TRUE(unknown.empty());
  json expected = ingressJson();
  expected["status"] = {{"loadBalancer", json::object()}};
  object["metadata"].erase("creationTimestamp");
  EXPECT_EQ(object, expected) << object.dump(2);
  EXPECT_TRUE(validate(ingresses(), object, nullptr).empty())
      << describe(validate(ingresses(), object, nullptr));

  auto typed = decode<Ingress>(object);
  ASSERT_TRUE(typed.isOk());
  const auto& paths = typed->spec.rules[0].http->paths;
  ASSERT_EQ(paths.size(), 2u);
  EXPECT_EQ(paths[1].path_type, std::optional<std::string>("Prefix"));
  EXPECT_EQ(paths[1].backend.service->port.name, "http");
  EXPECT_EQ(typed->spec.default_backend->service->port.number, 80);
}

TEST(NetworkingScheme, UnknownFieldsAreReportedByPath) {
  json object = ingressJson();
  object["spec"]["rules"][0]["http"]["paths"][0]["pathTyp"] = "Exact";
  std::vector<std::string> unknown;
  ASSERT_TRUE(normalize(ingresses(), object, &unknown).isOk());
  EXPECT_EQ(unknown, std::vector<std::string>{"spec.rules[0].http.paths[0].pathTyp"});
}

TEST(NetworkingScheme, StatusCarriesTheLoadBalancerAddress) {
  json object = ingressJson();
  object["status"] = {{"loadBalancer", {{"ingress", {{{"ip", "10.96.0.80"}}}}}}};
  ASSERT_TRUE(normalize(ingresses(), object, nullptr).isOk());
  EXPECT_EQ(object["status"]["loadBalancer"]["ingress"][0]["ip"], "10.96.0.80");
  object["status"]["loadBalancer"]["ingress"][0]["ip"] = "not-an-ip";
  EXPECT_EQ(onlyError(ingresses(), object),
            "status.loadBalancer.ingress[0].ip FieldValueInvalid: Invalid value: \"not-an-ip\": "
            "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)");
}

TEST(IngressValidation, ARuleOrADefaultBackendIsNeeded) {
  json object = ingressJson();
  object["spec"].erase("rules");
  EXPECT_TRUE(normalizedErrors(ingresses(), object).empty());
  object["spec"].erase("defaultBackend");
  EXPECT_EQ(onlyError(ingresses(), object),
            "spec FieldValueInvalid: Invalid value: []networking.IngressRule(nil): either "
            "`defaultBackend` or `rules` must be specified");
}

TEST(IngressValidation, HostsAreDns1123SubdomainsWithAWholeLeftmostWildcard) {
  for (const char* good : {"example.com", "*.example.com", "a-b.c"}) {
    json object = ingressJson();
    object["spec"]["rules"][0]["host"] = good;
    EXPECT_TRUE(normalizedErrors(ingresses(), object).empty()) << good;
  }
  struct Case {
    const char* host;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"Example.com", "a lowercase RFC 1123 subdomain must consist of"},
      {"foo.*.com", "a wildcard DNS-1123 subdomain must start with '*.'"},
      {"*foo.com", "a wildcard DNS-1123 subdomain must start with '*.'"},
      {"10.0.0.1", "must be a DNS name, not an IP address"},
  };
  for (const auto& c : cases) {
    json object = ingressJson();
    object["spec"]["rules"][0]["host"] = c.host;
    auto errors = normalizedErrors(ingresses(), object);
    ASSERT_FALSE(errors.empty()) << c.host;
    EXPECT_EQ(errors[0].field, "spec.rules[0].host");
    EXPECT_NE(errors[0].message.find(c.message), std::string::npos) << describe(errors);
  }
}

TEST(IngressValidation, PathsAndPathTypes) {
  struct Case {
    json path;
    std::string error;  // "" when valid
  };
  const std::string p = "spec.rules[0].http.paths[0]";
  const json backend = {{"service", {{"name", "s"}, {"port", {{"number", 80}}}}}};
  const std::vector<Case> cases = {
      {{{"path", "/a"}, {"pathType", "Prefix"}}, ""},
      {{{"path", "/a"}, {"pathType", "Exact"}}, ""},
      {{{"pathType", "ImplementationSpecific"}}, ""},
      {{{"path", "/a"}},
       p + ".pathType FieldValueRequired: Required value: pathType must be specified"},
      {{{"path", "/a"}, {"pathType", "Regex"}},
       p + ".pathType FieldValueNotSupported: Unsupported value: \"Regex\": supported values: "
           "\"Exact\", \"ImplementationSpecific\", \"Prefix\""},
      {{{"path", "a"}, {"pathType", "Prefix"}},
       p + ".path FieldValueInvalid: Invalid value: \"a\": must be an absolute path"},
      {{{"pathType", "Exact"}},
       p + ".path FieldValueInvalid: Invalid value: \"\": must be an absolute path"},
      {{{"path", "a"}, {"pathType", "ImplementationSpecific"}},
       p + ".path FieldValueInvalid: Invalid value: \"a\": must be an absolute path"},
      {{{"path", "/a//b"}, {"pathType", "Prefix"}},
       p + ".path FieldValueInvalid: Invalid value: \"/a//b\": must not contain '//'"},
      {{{"path", "/a/.."}, {"pathType", "Exact"}},
       p + ".path FieldValueInvalid: Invalid value: \"/a/..\": cannot end with '/..'"},
  };
  for (const auto& c : cases) {
    json object = ingressJson();
    json path = c.path;
    path["backend"] = backend;
    object["spec"]["rules"][0]["http"]["paths"] = json::array({path});
    if (c.error.empty()) {
      EXPECT_TRUE(normalizedErrors(ingresses(), object).empty()) << path.dump();
    } else {
      EXPECT_EQ(onlyError(ingresses(), object), c.error) << path.dump();
    }
  }
}

TEST(IngressValidation, BackendsHaveExactlyOneTargetAndOnePort) {
  struct Case {
    json backend;
    std::string error;
  };
  const std::string b = "spec.defaultBackend";
  const json service = {{"name", "s"}, {"port", {{"number", 80}}}};
  const json resource = {{"apiGroup", "k8s.example.com"}, {"kind", "Bucket"}, {"name", "b"}};
  const std::vector<Case> cases = {
      {{{"resource", resource}}, ""},
      {{{"service", service}, {"resource", resource}},
       b + " FieldValueInvalid: Invalid value: \"\": cannot set both resource and service "
           "backends"},
      {json::object(),
       b + " FieldValueInvalid: Invalid value: \"\": resource or service backend is required"},
      {{{"service", {{"name", "s"}, {"port", {{"number", 80}, {"name", "http"}}}}}},
       b + " FieldValueInvalid: Invalid value: \"\": cannot set both port name & port number"},
      {{{"service", {{"name", "s"}, {"port", json::object()}}}},
       b + " FieldValueRequired: Required value: port name or number is required"},
      {{{"service", {{"name", "s"}, {"port", {{"number", 70000}}}}}},
       b + ".service.port.number FieldValueInvalid: Invalid value: 70000: must be between 1 "
           "and 65535, inclusive"},
      {{{"service", {{"name", "s"}, {"port", {{"name", "80"}}}}}},
       b + ".service.port.name FieldValueInvalid: Invalid value: \"80\": must contain at least "
           "one letter (a-z)"},
      {{{"service", {{"name", "1svc"}, {"port", {{"number", 80}}}}}},
       b + ".service.name FieldValueInvalid: Invalid value: \"1svc\": a DNS-1035 label must "
           "consist of lower case alphanumeric characters or '-', start with an alphabetic "
           "character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', "
           "regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"},
      {{{"resource", {{"kind", "Bucket"}, {"name", "a/b"}}}},
       b + ".resource.name FieldValueInvalid: Invalid value: \"a/b\": may not contain '/'"},
  };
  for (const auto& c : cases) {
    json object = ingressJson();
    object["spec"].erase("rules");
    object["spec"]["defaultBackend"] = c.backend;
    if (c.error.empty()) {
      EXPECT_TRUE(normalizedErrors(ingresses(), object).empty()) << c.backend.dump();
    } else {
      EXPECT_EQ(onlyError(ingresses(), object), c.error) << c.backend.dump();
    }
  }
}

TEST(IngressValidation, ClassNameTlsAndTheLegacyAnnotation) {
  json object = ingressJson();
  object["spec"]["ingressClassName"] = "Bad_Class";
  auto errors = normalizedErrors(ingresses(), object);
  ASSERT_EQ(errors.size(), 1u) << describe(errors);
  EXPECT_EQ(errors[0].field, "spec.ingressClassName");

  object = ingressJson();
  object["spec"]["tls"] = {
      {{"hosts", {"shop.example.com", "*.example.com"}}, {"secretName", "tls"}}};
  EXPECT_TRUE(normalizedErrors(ingresses(), object).empty());
  object["spec"]["tls"][0]["hosts"][1] = "bad host";
  errors = normalizedErrors(ingresses(), object);
  ASSERT_EQ(errors.size(), 1u) << describe(errors);
  EXPECT_EQ(errors[0].field, "spec.tls[0].hosts[1]");

  object = ingressJson();
  object["metadata"]["annotations"] = {{"kubernetes.io/ingress.class", "other"}};
  EXPECT_EQ(onlyError(ingresses(), object),
            "annotations.kubernetes.io/ingress.class FieldValueInvalid: Invalid value: \"other\": "
            "must match `ingressClassName` when both are specified");
  object["metadata"]["annotations"]["kubernetes.io/ingress.class"] = "minik8s-nginx";
  EXPECT_TRUE(normalizedErrors(ingresses(), object).empty());
}

TEST(IngressClassValidation, ControllerIsARequiredImmutableDomainPrefixedPath) {
  json object = ingressClassJson();
  ASSERT_TRUE(normalize(ingressClasses(), object, nullptr).isOk());
  EXPECT_TRUE(validate(ingressClasses(), object, nullptr).empty());
  EXPECT_FALSE(object.contains("status"));

  json no_controller = ingressClassJson();
  no_controller["spec"].erase("controller");
  EXPECT_EQ(onlyError(ingressClasses(), no_controller),
            "spec.controller FieldValueRequired: Required value");
  json bad = ingressClassJson();
  bad["spec"]["controller"] = "nginx";
  EXPECT_EQ(onlyError(ingressClasses(), bad),
            "spec.controller FieldValueInvalid: Invalid value: \"nginx\": must be a "
            "domain-prefixed path (such as \"acme.io/foo\")");
  json namespaced = ingressClassJson();
  namespaced["metadata"]["namespace"] = "default";
  EXPECT_EQ(onlyError(ingressClasses(), namespaced),
            "metadata.namespace FieldValueForbidden: Forbidden: not allowed on this type");

  json changed = object;
  changed["spec"]["controller"] = "example.com/other";
  EXPECT_EQ(normalizedErrors(ingressClasses(), changed, &object).size(), 1u);
  EXPECT_EQ(normalizedErrors(ingressClasses(), changed, &object)[0].message,
            "Invalid value: \"example.com/other\": field is immutable");
}

TEST(IngressClassValidation, ParametersDefaultToClusterScope) {
  json object = ingressClassJson();
  object["spec"]["parameters"] = {{"kind", "Config"}, {"name", "c"}};
  ASSERT_TRUE(normalize(ingressClasses(), object, nullptr).isOk());
  EXPECT_EQ(object["spec"]["parameters"]["scope"], "Cluster");
  EXPECT_TRUE(validate(ingressClasses(), object, nullptr).empty());

  object["spec"]["parameters"]["namespace"] = "default";
  EXPECT_EQ(onlyError(ingressClasses(), object),
            "spec.parameters.namespace FieldValueForbidden: Forbidden: `parameters.scope` is set "
            "to 'Cluster'");
  object["spec"]["parameters"]["scope"] = "Namespace";
  EXPECT_TRUE(normalizedErrors(ingressClasses(), object).empty());
  object["spec"]["parameters"].erase("namespace");
  EXPECT_EQ(onlyError(ingressClasses(), object),
            "spec.parameters.namespace FieldValueRequired: Required value: `parameters.scope` is "
            "set to 'Namespace'");
}

}  // namespace networking_test
}  // namespace minik8s::api
