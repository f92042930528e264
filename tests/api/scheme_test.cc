#include "api/scheme.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/yaml.h"
#include "testing/file_text.h"

namespace minik8s::api {
namespace scheme_test {

using nlohmann::json;

json readManifest(const std::string& file) {
  Result<json> doc = parseYaml(testing::fileText(std::string(MINIK8S_API_TESTDATA) + "/" + file));
  EXPECT_TRUE(doc.isOk()) << doc.status().toString();
  return doc.isOk() ? *doc : json();
}

const ResourceInfo& resourceOf(const json& object) {
  const ResourceInfo* r =
      findResourceByKind(object.value("apiVersion", ""), object.value("kind", ""));
  EXPECT_NE(r, nullptr) << object.dump();
  return *r;
}

TEST(Scheme, ListsResourcesInDiscoveryOrder) {
  std::vector<std::string> names;
  for (const ResourceInfo& r : allResources()) names.push_back(r.qualifiedName());
  std::vector<std::string> expected = {"namespaces",
                                       "pods",
                                       "services",
                                       "endpoints",
                                       "nodes",
                                       "events",
                                       "configmaps",
                                       "secrets",
                                       "serviceaccounts",
                                       "dnses",
                                       "hpas",
                                       "deployments.apps",
                                       "daemonsets.apps",
                                       "replicasets.apps",
                                       "horizontalpodautoscalers.autoscaling",
                                       "endpointslices.discovery.k8s.io",
                                       "leases.coordination.k8s.io",
                                       "jobs.batch",
                                       "cronjobs.batch",
                                       "ingresses.networking.k8s.io",
                                       "ingressclasses.networking.k8s.io",
                                       "clusterrolebindings.rbac.authorization.k8s.io",
                                       "clusterroles.rbac.authorization.k8s.io",
                                       "rolebindings.rbac.authorization.k8s.io",
                                       "roles.rbac.authorization.k8s.io",
                                       "certificatesigningrequests.certificates.k8s.io",
                                       "poddisruptionbudgets.policy",
                                       "customresourcedefinitions.apiextensions.k8s.io"};
  EXPECT_EQ(names, expected);
}

TEST(Scheme, FindsResourcesByPluralAndByKind) {
  const ResourceInfo* pods = findResource("", "v1", "pods");
  ASSERT_NE(pods, nullptr);
  EXPECT_EQ(pods->kind, "Pod");
  EXPECT_TRUE(pods->namespaced);
  EXPECT_TRUE(pods->hasSubresource("binding"));
  EXPECT_TRUE(pods->hasSubresource("exec"));
  EXPECT_FALSE(pods->hasSubresource("scale"));
  EXPECT_EQ(pods->short_names, std::vector<std::string>{"po"});

  const ResourceInfo* deploy = findResourceByKind("apps/v1", "Deployment");
  ASSERT_NE(deploy, nullptr);
  EXPECT_EQ(deploy->plural, "deployments");
  EXPECT_TRUE(deploy->hasSubresource("scale"));

  const ResourceInfo* nodes = findResource("", "v1", "nodes");
  ASSERT_NE(nodes, nullptr);
  EXPECT_FALSE(nodes->namespaced);

  EXPECT_EQ(findResource("apps", "v1", "pods"), nullptr);
  EXPECT_EQ(findResourceByKind("v1", "Deployment"), nullptr);
}

TEST(Scheme, ShortNameHpaBelongsToHorizontalPodAutoscalers) {
  const ResourceInfo* seed = findResourceByKind("v1", "Hpa");
  ASSERT_NE(seed, nullptr);
  EXPECT_EQ(seed->plural, "hpas");
  EXPECT_EQ(seed->singular, "hpa");
  EXPECT_TRUE(seed->short_names.empty());
  const ResourceInfo* hpa = findResource("autoscaling", "v2", "horizontalpodautoscalers");
  ASSERT_NE(hpa, nullptr);
  EXPECT_EQ(hpa->short_names, std::vector<std::string>{"hpa"});
  const ResourceInfo* dns = findResource("", "v1", "dnses");
  ASSERT_NE(dns, nullptr);
  EXPECT_EQ(dns->kind, "Dns");
}

TEST(Scheme, ResolvesNamesAsKubectlDoes) {
  auto plural = [](std::string_view name) {
    const ResourceInfo* r = resolveResource(name);
    return r == nullptr ? std::string("<none>") : r->qualifiedName();
  };
  EXPECT_EQ(plural("po"), "pods");
  EXPECT_EQ(plural("pods"), "pods");
  EXPECT_EQ(plural("pod"), "pods");
  EXPECT_EQ(plural("Pod"), "pods");
  EXPECT_EQ(plural("deploy"), "deployments.apps");
  EXPECT_EQ(plural("deployments.apps"), "deployments.apps");
  EXPECT_EQ(plural("hpa"), "horizontalpodautoscalers.autoscaling");
  EXPECT_EQ(plural("hpas"), "hpas");
  EXPECT_EQ(plural("dns"), "dnses");
  EXPECT_EQ(plural("ns"), "namespaces");
  EXPECT_EQ(plural("ep"), "endpoints");
  EXPECT_EQ(plural("sa"), "serviceaccounts");
  EXPECT_EQ(plural("roles.rbac.authorization.k8s.io"), "roles.rbac.authorization.k8s.io");
  EXPECT_EQ(plural("clusterrolebinding"), "clusterrolebindings.rbac.authorization.k8s.io");
  EXPECT_EQ(plural("leases.coordination.k8s.io"), "leases.coordination.k8s.io");
  EXPECT_EQ(plural("deployments.extensions"), "<none>");
  EXPECT_EQ(plural("widgets"), "<none>");
}

TEST(Scheme, EveryResourceServesTheStandardVerbs) {
  for (const ResourceInfo& r : allResources()) {
    EXPECT_EQ(r.verbs.size(), 8u) << r.plural;
    EXPECT_EQ(r.verbs.front(), "create");
  }
}

TEST(Scheme, SeedManifestsNormalizeWithoutUnknownFieldsAndValidateClean) {
  for (const char* file : {"deployment.yaml", "dns.yaml", "hpa.yaml", "pod.yaml", "podhpa.yaml",
                           "service.yaml", "service4depl.yaml", "service4hpa.yaml"}) {
    SCOPED_TRACE(file);
    json object = readManifest(file);
    const ResourceInfo& resource = resourceOf(object);
    std::vector<std::string> unknown;
    Status st = normalize(resource, object, &unknown);
    ASSERT_TRUE(st.isOk()) << st.toString();
    EXPECT_TRUE(unknown.empty()) << json(unknown).dump();
    std::vector<FieldError> errors = validate(resource, object, nullptr);
    for (const FieldError& e : errors) ADD_FAILURE() << e.field << ": " << e.message;
    // Normalizing is idempotent.
    json again = object;
    ASSERT_TRUE(normalize(resource, again, nullptr).isOk());
    EXPECT_EQ(again, object);
  }
}

TEST(Scheme, SeedPodKeepsPodLevelResourcesAndNodeName) {
  json pod = readManifest("pod.yaml");
  ASSERT_TRUE(normalize(resourceOf(pod), pod, nullptr).isOk());
  EXPECT_EQ(pod["spec"]["nodeName"], "vahag-node");
  EXPECT_EQ(pod["spec"]["resources"]["requests"]["memory"], "10Mi");
  EXPECT_EQ(pod["spec"]["resources"]["limits"]["cpu"], "30m");
  EXPECT_EQ(pod["spec"]["containers"][0]["env"][0]["value"], "World");
  EXPECT_EQ(pod["spec"]["containers"][1]["env"][0]["value"], "2");
  EXPECT_EQ(pod["spec"]["volumes"][0]["hostPath"]["path"], "/root/shared_dir");
  EXPECT_EQ(pod["status"]["phase"], "Pending");
  EXPECT_EQ(pod["status"]["qosClass"], "Burstable");
  EXPECT_EQ(pod["apiVersion"], "v1");
  EXPECT_EQ(pod["kind"], "Pod");
}

TEST(Scheme, SeedHpaAndDnsKeepTheirSchemas) {
  json hpa = readManifest("hpa.yaml");
  ASSERT_TRUE(normalize(resourceOf(hpa), hpa, nullptr).isOk());
  EXPECT_EQ(hpa["spec"]["scaleTargetRef"]["metadata"]["name"], "test-pod");
  EXPECT_EQ(hpa["spec"]["metrics"]["cpuPercent"], 60);
  EXPECT_EQ(hpa["spec"]["interval"], 15);
  EXPECT_EQ(hpa["spec"]["selector"]["matchLabels"]["app"], "hpa");
  json dns = readManifest("dns.yaml");
  ASSERT_TRUE(normalize(resourceOf(dns), dns, nullptr).isOk());
  EXPECT_EQ(dns["spec"]["paths"][0]["urlPath"], "/test");
  EXPECT_EQ(dns["spec"]["paths"][0]["servicePort"], 80);
}

TEST(Scheme, NormalizeInfersApiVersionAndKindFromTheResource) {
  json pod = {{"metadata", {{"name", "p"}}},
              {"spec", {{"containers", {{{"name", "c"}, {"image", "nginx"}}}}}}};
  ASSERT_TRUE(normalize(*findResource("", "v1", "pods"), pod, nullptr).isOk());
  EXPECT_EQ(pod["apiVersion"], "v1");
  EXPECT_EQ(pod["kind"], "Pod");
}

TEST(Scheme, NormalizeRejectsAMismatchedKind) {
  json object = {{"apiVersion", "v1"}, {"kind", "Service"}, {"metadata", {{"name", "x"}}}};
  Status st = normalize(*findResource("", "v1", "pods"), object, nullptr);
  EXPECT_EQ(st.code(), Code::kBadRequest);
  json not_object = json::array();
  EXPECT_EQ(normalize(*findResource("", "v1", "pods"), not_object, nullptr).code(),
            Code::kBadRequest);
}

TEST(Scheme, NormalizeReportsUnknownFieldsAndDropsThem) {
  json pod = {
      {"metadata", {{"name", "p"}, {"colour", "blue"}}},
      {"spec",
       {{"containers", {{{"name", "c"}, {"image", "nginx"}, {"imagePulPolicy", "Always"}}}}}}};
  std::vector<std::string> unknown;
  ASSERT_TRUE(normalize(*findResource("", "v1", "pods"), pod, &unknown).isOk());
  EXPECT_EQ(unknown,
            (std::vector<std::string>{"metadata.colour", "spec.containers[0].imagePulPolicy"}));
  EXPECT_FALSE(pod["spec"]["containers"][0].contains("imagePulPolicy"));
}

TEST(Scheme, NormalizeRejectsWrongTypesWithThePath) {
  json deploy = {{"metadata", {{"name", "d"}}}, {"spec", {{"replicas", "three"}}}};
  Status st = normalize(*findResource("apps", "v1", "deployments"), deploy, nullptr);
  EXPECT_EQ(st.code(), Code::kBadRequest);
  EXPECT_EQ(st.message(), "spec.replicas: expected integer, got string");
}

TEST(Scheme, ValidateDispatchesByKindAndUsesTheOldObject) {
  const ResourceInfo& services = *findResource("", "v1", "services");
  json svc = {{"metadata", {{"name", "s"}}},
              {"spec", {{"clusterIP", "10.96.0.10"}, {"ports", {{{"port", 80}}}}}}};
  ASSERT_TRUE(normalize(services, svc, nullptr).isOk());
  EXPECT_TRUE(validate(services, svc, nullptr).empty());
  json changed = svc;
  changed["spec"]["clusterIP"] = "10.96.0.11";
  std::vector<FieldError> errors = validate(services, changed, &svc);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].field, "spec.clusterIP");
  EXPECT_EQ(errors[0].reason, "FieldValueInvalid");
}

TEST(Scheme, ObjectsAsKubectlSendsThemNormalizeWithoutUnknownFieldsAndValidate) {
  const char* const kObjects[] = {
      R"({"kind":"Deployment","apiVersion":"apps/v1","metadata":{"name":"nginx","creationTimestamp":null,"labels":{"app":"nginx"}},"spec":{"replicas":1,"selector":{"matchLabels":{"app":"nginx"}},"template":{"metadata":{"creationTimestamp":null,"labels":{"app":"nginx"}},"spec":{"containers":[{"name":"nginx","image":"nginx","resources":{}}]}},"strategy":{}},"status":{}})",
      R"({"kind":"Pod","apiVersion":"v1","metadata":{"name":"x","creationTimestamp":null,"labels":{"run":"x"}},"spec":{"containers":[{"name":"x","image":"nginx","resources":{}}],"restartPolicy":"Always","dnsPolicy":"ClusterFirst"},"status":{}})",
      R"({"kind":"Service","apiVersion":"v1","metadata":{"name":"nginx","creationTimestamp":null,"labels":{"app":"nginx"}},"spec":{"ports":[{"protocol":"TCP","port":80,"targetPort":80}],"selector":{"app":"nginx"}},"status":{"loadBalancer":{}}})",
      R"({"kind":"HorizontalPodAutoscaler","apiVersion":"autoscaling/v2","metadata":{"name":"nginx","creationTimestamp":null},"spec":{"scaleTargetRef":{"kind":"Deployment","name":"nginx","apiVersion":"apps/v1"},"minReplicas":1,"maxReplicas":5,"metrics":[{"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":80}}}]},"status":{"currentMetrics":null,"desiredReplicas":0}})",
      R"({"kind":"Secret","apiVersion":"v1","metadata":{"name":"s","creationTimestamp":null},"data":{"a":"Yg=="}})",
      R"({"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"c","creationTimestamp":null},"data":{"k":"v"}})",
      R"({"kind":"Namespace","apiVersion":"v1","metadata":{"name":"team-a","creationTimestamp":null},"spec":{},"status":{}})",
      R"({"kind":"Lease","apiVersion":"coordination.k8s.io/v1","metadata":{"name":"n1","namespace":"kube-node-lease","ownerReferences":[{"apiVersion":"v1","kind":"Node","name":"n1","uid":"u"}]},"spec":{"holderIdentity":"n1","leaseDurationSeconds":40,"renewTime":"2024-01-02T03:04:05.000000Z"}})",
      R"({"kind":"Event","apiVersion":"v1","metadata":{"name":"x.17a","namespace":"default"},"involvedObject":{"kind":"Pod","namespace":"default","name":"x","uid":"u","apiVersion":"v1","resourceVersion":"5","fieldPath":"spec.containers{x}"},"reason":"Pulled","message":"ok","source":{"component":"kubelet","host":"n1"},"firstTimestamp":"2024-01-02T03:04:05Z","lastTimestamp":"2024-01-02T03:04:05Z","count":1,"type":"Normal","eventTime":null,"reportingComponent":"kubelet","reportingInstance":"n1"})",
      R"({"kind":"Node","apiVersion":"v1","metadata":{"name":"n1","labels":{"kubernetes.io/hostname":"n1"}},"spec":{"podCIDR":"10.244.1.0/24"},"status":{"capacity":{"cpu":"2","memory":"4030532Ki","pods":"110"},"conditions":[{"type":"Ready","status":"True","lastHeartbeatTime":"2024-01-02T03:04:05Z","lastTransitionTime":"2024-01-02T03:04:05Z","reason":"KubeletReady","message":"kubelet is posting ready status"}],"addresses":[{"type":"InternalIP","address":"10.0.0.2"},{"type":"Hostname","address":"n1"}],"daemonEndpoints":{"kubeletEndpoint":{"Port":10250}},"nodeInfo":{"machineID":"m","systemUUID":"s","bootID":"b","kernelVersion":"6.1.0","osImage":"Debian GNU/Linux 12","containerRuntimeVersion":"containerd://1.6.20","kubeletVersion":"v1.29.0","kubeProxyVersion":"v1.29.0","operatingSystem":"linux","architecture":"amd64"}}})",
  };
  for (const char* text : kObjects) {
    json object = json::parse(text);
    SCOPED_TRACE(object["kind"].get<std::string>());
    const ResourceInfo& resource = resourceOf(object);
    std::vector<std::string> unknown;
    Status st = normalize(resource, object, &unknown);
    ASSERT_TRUE(st.isOk()) << st.toString();
    EXPECT_TRUE(unknown.empty()) << json(unknown).dump();
    for (const FieldError& e : validate(resource, object, nullptr)) {
      ADD_FAILURE() << e.field << ": " << e.message;
    }
  }
}

TEST(Scheme, NormalizeMergesSecretStringData) {
  json secret = {{"metadata", {{"name", "s"}}}, {"stringData", {{"password", "hunter2"}}}};
  ASSERT_TRUE(normalize(*findResource("", "v1", "secrets"), secret, nullptr).isOk());
  EXPECT_EQ(secret["data"]["password"], "aHVudGVyMg==");
  EXPECT_FALSE(secret.contains("stringData"));
  EXPECT_EQ(secret["type"], "Opaque");
}

TEST(Scheme, ValidateReportsUndecodableObjects) {
  json bad = {{"spec", {{"replicas", "x"}}}};
  std::vector<FieldError> errors =
      validate(*findResource("apps", "v1", "deployments"), bad, nullptr);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].reason, "FieldValueInvalid");
}

TEST(Scheme, EveryKindRoundTripsThroughNormalize) {
  for (const ResourceInfo& r : allResources()) {
    json object = {{"metadata", {{"name", "x"}}}};
    std::vector<std::string> unknown;
    Status st = normalize(r, object, &unknown);
    EXPECT_TRUE(st.isOk()) << r.kind << ": " << st.toString();
    EXPECT_TRUE(unknown.empty()) << r.kind;
    EXPECT_EQ(object["kind"], r.kind);
    EXPECT_EQ(object["apiVersion"], r.apiVersion());
  }
}

}  // namespace scheme_test
}  // namespace minik8s::api
