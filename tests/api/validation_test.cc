#include "api/validation.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace minik8s::api {
namespace validation_test {

// True when `errors` has one for `field` with `reason`.
bool hasError(const std::vector<FieldError>& errors, const std::string& field,
              const std::string& reason) {
  return std::any_of(errors.begin(), errors.end(),
                     [&](const FieldError& e) { return e.field == field && e.reason == reason; });
}

std::string describe(const std::vector<FieldError>& errors) {
  std::string out;
  for (const FieldError& e : errors) out += e.field + " " + e.reason + ": " + e.message + "\n";
  return out;
}

#define EXPECT_VALID(errors)                           \
  do {                                                 \
    auto _errors = (errors);                           \
    EXPECT_TRUE(_errors.empty()) << describe(_errors); \
  } while (0)

#define EXPECT_FIELD_ERROR(errors, field, reason)                       \
  do {                                                                  \
    auto _errors = (errors);                                            \
    EXPECT_TRUE(hasError(_errors, field, reason)) << describe(_errors); \
  } while (0)

Container container(std::string name, std::string image = "nginx") {
  Container c;
  c.name = std::move(name);
  c.image = std::move(image);
  return c;
}

Pod validPod() {
  Pod pod;
  pod.metadata.name = "web";
  pod.metadata.namespace_ = "default";
  pod.spec.containers.push_back(container("c"));
  return pod;
}

// ---- names ----

TEST(Names, Dns1123SubdomainAcceptsDottedLowercaseNames) {
  EXPECT_TRUE(isDns1123Subdomain("example.com").empty());
  EXPECT_TRUE(isDns1123Subdomain("a-b.c1").empty());
  EXPECT_FALSE(isDns1123Subdomain("Bad_Name").empty());
  EXPECT_FALSE(isDns1123Subdomain("-a").empty());
  EXPECT_FALSE(isDns1123Subdomain("a..b").empty());
  EXPECT_FALSE(isDns1123Subdomain("").empty());
  EXPECT_FALSE(isDns1123Subdomain(std::string(254, 'a')).empty());
}

TEST(Names, Dns1123LabelRejectsDotsAndLongNames) {
  EXPECT_TRUE(isDns1123Label("my-name").empty());
  EXPECT_TRUE(isDns1123Label("123-abc").empty());
  EXPECT_FALSE(isDns1123Label("a.b").empty());
  EXPECT_FALSE(isDns1123Label("a-").empty());
  EXPECT_FALSE(isDns1123Label(std::string(64, 'a')).empty());
  EXPECT_TRUE(isDns1123Label(std::string(63, 'a')).empty());
}

TEST(Names, LabelKeysMayHaveADnsPrefix) {
  EXPECT_TRUE(isQualifiedName("app").empty());
  EXPECT_TRUE(isQualifiedName("kubernetes.io/metadata.name").empty());
  EXPECT_TRUE(isQualifiedName("My_Key.x").empty());
  EXPECT_FALSE(isQualifiedName("Bad.Prefix/x").empty());
  EXPECT_FALSE(isQualifiedName("a/b/c").empty());
  EXPECT_FALSE(isQualifiedName("/x").empty());
  EXPECT_FALSE(isQualifiedName("x/").empty());
  EXPECT_FALSE(isQualifiedName("_x").empty());
  EXPECT_FALSE(isQualifiedName(std::string(64, 'a')).empty());
}

TEST(Names, LabelValuesMayBeEmptyOrUnderscored) {
  EXPECT_TRUE(isValidLabelValue("").empty());
  EXPECT_TRUE(isValidLabelValue("echo_server").empty());
  EXPECT_FALSE(isValidLabelValue("bad value").empty());
  EXPECT_FALSE(isValidLabelValue("-x").empty());
  EXPECT_FALSE(isValidLabelValue(std::string(64, 'a')).empty());
}

// ---- metadata ----

TEST(Metadata, BadNameIsReportedWithKubernetesMessage) {
  Pod pod = validPod();
  EXPECT_VALID(validateObject(pod, nullptr));
  pod.metadata.name = "Bad_Name";
  auto errors = validateObject(pod, nullptr);
  ASSERT_EQ(errors.size(), 1u) << describe(errors);
  EXPECT_EQ(errors[0].field, "metadata.name");
  EXPECT_EQ(errors[0].reason, "FieldValueInvalid");
  EXPECT_EQ(errors[0].message.rfind(
                "Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain must consist of", 0),
            0u)
      << errors[0].message;
}

TEST(Metadata, NameOrGenerateNameIsRequired) {
  Pod pod = validPod();
  pod.metadata.name.clear();
  EXPECT_FIELD_ERROR(validateObject(pod, nullptr), "metadata.name", "FieldValueRequired");
  pod.metadata.generate_name = "web-";
  EXPECT_VALID(validateObject(pod, nullptr));
}

TEST(Metadata, LabelsAndAnnotationsAreChecked) {
  Pod pod = validPod();
  pod.metadata.labels = {{"app", "echo_server"}, {"example.com/tier", ""}};
  pod.metadata.annotations = {{"note", "anything at all: ok"}};
  EXPECT_VALID(validateObject(pod, nullptr));
  pod.metadata.labels["bad key"] = "v";
  EXPECT_FIELD_ERROR(validateObject(pod, nullptr), "metadata.labels", "FieldValueInvalid");
  pod.metadata.labels = {{"app", "bad value"}};
  EXPECT_FIELD_ERROR(validateObject(pod, nullptr), "metadata.labels", "FieldValueInvalid");
  pod.metadata.labels.clear();
  pod.metadata.annotations = {{"big", std::string(300 * 1024, 'x')}};
  EXPECT_FIELD_ERROR(validateObject(pod, nullptr), "metadata.annotations", "FieldValueTooLong");
}

TEST(Metadata, NamespaceNamesAreDnsLabels) {
  Namespace ns;
  ns.metadata.name = "team-a";
  EXPECT_VALID(validateObject(ns, nullptr));
  ns.metadata.name = "team.a";
  EXPECT_FIELD_ERROR(validateObject(ns, nullptr), "metadata.name", "FieldValueInvalid");
}

TEST(Metadata, NameNamespaceAndUidAreImmutable) {
  Pod old = validPod();
  old.metadata.uid = "u1";
  Pod pod = old;
  EXPECT_VALID(validateObject(pod, &old));
  pod.metadata.name = "other";
  EXPECT_FIELD_ERROR(validateObject(pod, &old), "metadata.name", "FieldValueInvalid");
  pod = old;
  pod.metadata.namespace_ = "kube-system";
  EXPECT_FIELD_ERROR(validateObject(pod, &old), "metadata.namespace", "FieldValueInvalid");
  pod = old;
  pod.metadata.uid = "u2";
  EXPECT_FIELD_ERROR(validateObject(pod, &old), "metadata.uid", "FieldValueInvalid");
}

TEST(Metadata, ClusterScopedObjectsMayNotHaveANamespace) {
  Node node;
  node.metadata.name = "n1";
  EXPECT_VALID(validateObject(node, nullptr));
  node.metadata.namespace_ = "default";
  EXPECT_FIELD_ERROR(validateObject(node, nullptr), "metadata.namespace", "FieldValueForbidden");
}

// ---- pods ----

TEST(PodValidation, ContainersAreRequired) {
  Pod pod = validPod();
  pod.spec.containers.clear();
  auto errors = validateObject(pod, nullptr);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], (FieldError{"spec.containers", "FieldValueRequired", "Required value"}));
}

TEST(PodValidation, ContainerNamesAreUniqueDnsLabelsAndImagesRequired) {
  Pod pod = validPod();
  pod.spec.init_containers.push_back(container("init"));
  EXPECT_VALID(validateObject(pod, nullptr));
  pod.spec.containers.push_back(container("c"));
  EXPECT_FIELD_ERROR(validateObject(pod, nullptr), "spec.containers[1].name",
                     "FieldValueDuplicate");
  pod = validPod();
  pod.spec.init_containers.push_back(container("c"));
  EXPECT_FIELD_ERROR(validateObject(pod, nullptr), "spec.containers[0].name",
                     "FieldValueDuplicate");
  pod = validPod();
  pod.spec.containers[0].name = "Web_1";
  EXPECT_FIELD_ERROR(validateObject(pod, nullptr), "spec.containers[0].name", "FieldValueInvalid");
  pod = validPod();
  pod.spec.containers[0].image.clear();
  EXPECT_FIELD_ERROR(validateObject(pod, nullptr), "spec.containers[0].image",
                     "FieldValueRequired");
}

TEST(PodValidation, PortsAndProtocolsAreChecked) {
  Pod pod = validPod();
  pod.spec.containers[0].ports.push_back({"http", 0, 80, "TCP", ""});
  pod.spec.containers[0].ports.push_back({"", 8053, 53, "UDP", ""});
  EXPECT_VALID(validateObject(pod, nullptr));
  pod.spec.containers[0].ports[0].container_port = 0;
  EXPECT_FIELD_ERROR(validateObject(pod, nullptr), "spec.containers[0].ports[0].containerPort",
                     "FieldValueInvalid");
  pod.spec.containers[0].ports[0].container_port = 65536;
  EXPECT_FIELD_ERROR(validateObject(pod, nullptr), "spec.containers[0].ports[0].containerPort",
                     "FieldValueInvalid");
  pod.spec.containers[0].ports[0].container_port = 80;
  pod.spec.containers[0].ports[1].protocol = "ICMP";
  EXPECT_FIELD_ERROR(validateObject(pod, nullptr), "spec.containers[0].ports[1].protocol",
                     "FieldValueNotSupported");
  pod.spec.containers[0].ports[1].protocol = "UDP";
  pod.spec.containers[0].ports[1].host_port = 70000;
  EXPECT_FIELD_ERROR(validateObject(pod, nullptr), "spec.containers[0].ports[1].hostPort",
                     "FieldValueInvalid");
}

TEST(PodValidation, QuantitiesMustParseAndRequestsNotExceedLimits) {
  Pod pod = validPod();
  ResourceRequirements& r = pod.spec.containers[0].resources;
  r.requests["cpu"] = *Quantity::parse("100m");
  r.limits["cpu"] = *Quantity::parse("1");
  EXPECT_VALID(validateObject(pod, nullptr));
  r.requests["cpu"] = *Quantity::parse("2");
  auto errors = validateObject(pod, nullptr);
  EXPECT_FIELD_ERROR(errors, "spec.containers[0].resources.requests[cpu]", "FieldValueInvalid");
  r.requests["cpu"] = Quantity::parseLenient("lots");
  EXPECT_FIELD_ERROR(validateObject(pod, nullptr), "spec.containers[0].resources.requests[cpu]",
                     "FieldValueInvalid");
  r.requests["cpu"] = *Quantity::parse("-1");
  EXPECT_FIELD_ERROR(validateObject(pod, nullptr), "spec.containers[0].resources.requests[cpu]",
                     "FieldValueInvalid");
}

TEST(PodValidation, PodLevelResourcesAreValidatedToo) {
  Pod pod = validPod();
  pod.spec.resources.emplace();
  pod.spec.resources->requests["memory"] = *Quantity::parse("10Mi");
  pod.spec.resources->limits["memory"] = *Quantity::parse("30Mi");
  EXPECT_VALID(validateObject(pod, nullptr));
  pod.spec.resources->requests["memory"] = *Quantity::parse("40Mi");
  EXPECT_FIELD_ERROR(validateObject(pod, nullptr), "spec.resources.requests[memory]",
                     "FieldValueInvalid");
}

TEST(PodValidation, RestartAndDnsPoliciesAreEnums) {
  Pod pod = validPod();
  for (const char* p : {"Always", "OnFailure", "Never"}) {
    pod.spec.restart_policy = p;
    EXPECT_VALID(validateObject(pod, nullptr));
  }
  pod.spec.restart_policy = "Sometimes";
  EXPECT_FIELD_ERROR(validateObject(pod, nullptr), "spec.restartPolicy", "FieldValueNotSupported");
  pod = validPod();
  pod.spec.dns_policy = "Google";
  EXPECT_FIELD_ERROR(validateObject(pod, nullptr), "spec.dnsPolicy", "FieldValueNotSupported");
}

TEST(PodValidation, VolumesAreUniqueAndMountsMustReferenceThem) {
  Pod pod = validPod();
  Volume v;
  v.name = "data";
  v.empty_dir.emplace();
  pod.spec.volumes.push_back(v);
  pod.spec.containers[0].volume_mounts.push_back({"data", false, "/data", "", "", ""});
  EXPECT_VALID(validateObject(pod, nullptr));
  pod.spec.containers[0].volume_mounts[0].name = "missing";
  EXPECT_FIELD_ERROR(validateObject(pod, nullptr), "spec.containers[0].volumeMounts[0].name",
                     "FieldValueNotFound");
  pod.spec.containers[0].volume_mounts[0].name = "data";
  pod.spec.volumes.push_back(v);
  EXPECT_FIELD_ERROR(validateObject(pod, nullptr), "spec.volumes[1].name", "FieldValueDuplicate");
  pod.spec.volumes.pop_back();
  pod.spec.volumes[0].host_path = HostPathVolumeSource{"/tmp", std::nullopt};
  EXPECT_FIELD_ERROR(validateObject(pod, nullptr), "spec.volumes[0]", "FieldValueForbidden");
}

TEST(PodValidation, EnvNamesAndSourcesAreChecked) {
  Pod pod = validPod();
  EnvVar env;
  env.name = "MY_VAR.x-1";
  env.value = "v";
  pod.spec.containers[0].env.push_back(env);
  EXPECT_VALID(validateObject(pod, nullptr));
  pod.spec.containers[0].env[0].name = "1BAD";
  EXPECT_FIELD_ERROR(validateObject(pod, nullptr), "spec.containers[0].env[0].name",
                     "FieldValueInvalid");
  pod.spec.containers[0].env[0].name = "";
  EXPECT_FIELD_ERROR(validateObject(pod, nullptr), "spec.containers[0].env[0].name",
                     "FieldValueRequired");
  pod.spec.containers[0].env[0].name = "OK";
  pod.spec.containers[0].env[0].value_from.emplace();
  pod.spec.containers[0].env[0].value_from->field_ref = ObjectFieldSelector{"v1", "metadata.name"};
  EXPECT_FIELD_ERROR(validateObject(pod, nullptr), "spec.containers[0].env[0].valueFrom",
                     "FieldValueInvalid");
  pod.spec.containers[0].env[0].value.clear();
  EXPECT_VALID(validateObject(pod, nullptr));
}

TEST(PodValidation, ProbesNeedExactlyOneHandler) {
  Pod pod = validPod();
  Probe probe;
  probe.tcp_socket = TcpSocketAction{IntOrString::ofInt(80), ""};
  pod.spec.containers[0].readiness_probe = probe;
  EXPECT_VALID(validateObject(pod, nullptr));
  pod.spec.containers[0].readiness_probe->tcp_socket.reset();
  EXPECT_FIELD_ERROR(validateObject(pod, nullptr), "spec.containers[0].readinessProbe",
                     "FieldValueRequired");
}

TEST(PodValidation, UpdateMayChangeImagesButNotOtherSpecFields) {
  Pod old = validPod();
  Pod pod = old;
  pod.spec.containers[0].image = "nginx:1.26";
  pod.spec.active_deadline_seconds = 100;
  Toleration t;
  t.key = "k";
  t.op = "Exists";
  pod.spec.tolerations.push_back(t);
  EXPECT_VALID(validateObject(pod, &old));

  pod = old;
  pod.spec.node_name = "n1";  // binding
  EXPECT_VALID(validateObject(pod, &old));
  Pod bound = pod;
  pod.spec.node_name = "n2";
  EXPECT_FIELD_ERROR(validateObject(pod, &bound), "spec", "FieldValueForbidden");

  pod = old;
  pod.spec.containers[0].name = "renamed";
  auto errors = validateObject(pod, &old);
  ASSERT_TRUE(hasError(errors, "spec", "FieldValueForbidden")) << describe(errors);
  EXPECT_EQ(
      errors.back().message.rfind("Forbidden: pod updates may not change fields other than", 0),
      0u);

  old.spec.tolerations.push_back(t);
  pod = old;
  pod.spec.tolerations.clear();
  EXPECT_FIELD_ERROR(validateObject(pod, &old), "spec", "FieldValueForbidden");
}

// ---- services ----

Service validService() {
  Service svc;
  svc.metadata.name = "web";
  svc.spec.type = "ClusterIP";
  ServicePort port;
  port.port = 80;
  port.protocol = "TCP";
  port.target_port = IntOrString::ofInt(8080);
  svc.spec.ports.push_back(port);
  return svc;
}

TEST(ServiceValidation, TypeIsAnEnumAndPortsAreRequired) {
  Service svc = validService();
  EXPECT_VALID(validateObject(svc, nullptr));
  svc.spec.type = "Magic";
  EXPECT_FIELD_ERROR(validateObject(svc, nullptr), "spec.type", "FieldValueNotSupported");
  svc = validService();
  svc.spec.ports.clear();
  EXPECT_FIELD_ERROR(validateObject(svc, nullptr), "spec.ports", "FieldValueRequired");
  svc.spec.type = "ExternalName";
  svc.spec.external_name = "db.example.com";
  EXPECT_VALID(validateObject(svc, nullptr));
}

TEST(ServiceValidation, NamesAreDnsLabels) {
  Service svc = validService();
  svc.metadata.name = "web.v1";
  EXPECT_FIELD_ERROR(validateObject(svc, nullptr), "metadata.name", "FieldValueInvalid");
}

TEST(ServiceValidation, PortsAreInRangeAndUnique) {
  Service svc = validService();
  svc.spec.ports.push_back(svc.spec.ports[0]);
  EXPECT_FIELD_ERROR(validateObject(svc, nullptr), "spec.ports[1]", "FieldValueDuplicate");
  svc.spec.ports[1].protocol = "UDP";
  EXPECT_VALID(validateObject(svc, nullptr));
  svc.spec.ports[0].name = "a";
  svc.spec.ports[1].name = "a";
  EXPECT_FIELD_ERROR(validateObject(svc, nullptr), "spec.ports[1].name", "FieldValueDuplicate");
  svc = validService();
  svc.spec.ports[0].port = 0;
  EXPECT_FIELD_ERROR(validateObject(svc, nullptr), "spec.ports[0].port", "FieldValueInvalid");
  svc = validService();
  svc.spec.ports[0].target_port = IntOrString::ofString("Not A Name");
  EXPECT_FIELD_ERROR(validateObject(svc, nullptr), "spec.ports[0].targetPort", "FieldValueInvalid");
  svc.spec.ports[0].target_port = IntOrString::ofString("http");
  EXPECT_VALID(validateObject(svc, nullptr));
  svc.spec.ports[0].protocol = "HTTP";
  EXPECT_FIELD_ERROR(validateObject(svc, nullptr), "spec.ports[0].protocol",
                     "FieldValueNotSupported");
}

TEST(ServiceValidation, ClusterIpIsImmutableOnceSet) {
  Service old = validService();
  old.spec.cluster_ip = "10.96.0.10";
  Service svc = old;
  EXPECT_VALID(validateObject(svc, &old));
  svc.spec.cluster_ip = "10.96.0.11";
  EXPECT_FIELD_ERROR(validateObject(svc, &old), "spec.clusterIP", "FieldValueInvalid");
  old.spec.cluster_ip.clear();
  EXPECT_VALID(validateObject(svc, &old));
}

// ---- deployments and replica sets ----

Deployment validDeployment() {
  Deployment d;
  d.metadata.name = "web";
  d.spec.replicas = 2;
  d.spec.selector = LabelSelectorSpec{{{"app", "web"}}, {}};
  d.spec.template_.metadata.labels = {{"app", "web"}, {"tier", "fe"}};
  d.spec.template_.spec.containers.push_back(container("c"));
  d.spec.strategy.type = "RollingUpdate";
  return d;
}

TEST(DeploymentValidation, SelectorIsRequiredAndMustMatchTemplateLabels) {
  Deployment d = validDeployment();
  EXPECT_VALID(validateObject(d, nullptr));
  d.spec.selector.reset();
  EXPECT_FIELD_ERROR(validateObject(d, nullptr), "spec.selector", "FieldValueRequired");
  d = validDeployment();
  d.spec.selector->match_labels["app"] = "db";
  EXPECT_FIELD_ERROR(validateObject(d, nullptr), "spec.template.metadata.labels",
                     "FieldValueInvalid");
  d = validDeployment();
  d.spec.selector->match_expressions.push_back({"tier", "In", {"fe", "be"}});
  EXPECT_VALID(validateObject(d, nullptr));
  d.spec.selector->match_expressions[0].op = "Like";
  EXPECT_FIELD_ERROR(validateObject(d, nullptr), "spec.selector.matchExpressions[0].operator",
                     "FieldValueNotSupported");
  d = validDeployment();
  d.spec.selector = LabelSelectorSpec{};
  EXPECT_FIELD_ERROR(validateObject(d, nullptr), "spec.selector", "FieldValueInvalid");
}

TEST(DeploymentValidation, ReplicasMustBeNonNegative) {
  Deployment d = validDeployment();
  d.spec.replicas = 0;
  EXPECT_VALID(validateObject(d, nullptr));
  d.spec.replicas = -1;
  EXPECT_FIELD_ERROR(validateObject(d, nullptr), "spec.replicas", "FieldValueInvalid");
}

TEST(DeploymentValidation, TemplateMustRestartAlways) {
  Deployment d = validDeployment();
  d.spec.template_.spec.restart_policy = "Never";
  EXPECT_FIELD_ERROR(validateObject(d, nullptr), "spec.template.spec.restartPolicy",
                     "FieldValueNotSupported");
}

TEST(DeploymentValidation, StrategyIsChecked) {
  Deployment d = validDeployment();
  d.spec.strategy.rolling_update =
      RollingUpdateDeployment{IntOrString::ofInt(0), IntOrString::ofString("0%")};
  EXPECT_FIELD_ERROR(validateObject(d, nullptr), "spec.strategy.rollingUpdate.maxUnavailable",
                     "FieldValueInvalid");
  d.spec.strategy.rolling_update =
      RollingUpdateDeployment{IntOrString::ofString("x%"), std::nullopt};
  EXPECT_FIELD_ERROR(validateObject(d, nullptr), "spec.strategy.rollingUpdate.maxUnavailable",
                     "FieldValueInvalid");
  d.spec.strategy.rolling_update =
      RollingUpdateDeployment{IntOrString::ofString("25%"), IntOrString::ofInt(1)};
  EXPECT_VALID(validateObject(d, nullptr));
  d.spec.strategy.type = "Recreate";
  EXPECT_FIELD_ERROR(validateObject(d, nullptr), "spec.strategy.rollingUpdate",
                     "FieldValueForbidden");
  d.spec.strategy.type = "BlueGreen";
  EXPECT_FIELD_ERROR(validateObject(d, nullptr), "spec.strategy.type", "FieldValueNotSupported");
}

TEST(DeploymentValidation, SelectorIsImmutable) {
  Deployment old = validDeployment();
  Deployment d = old;
  d.spec.replicas = 5;
  d.spec.template_.spec.containers[0].image = "nginx:2";
  EXPECT_VALID(validateObject(d, &old));
  d.spec.selector->match_labels["tier"] = "fe";
  EXPECT_FIELD_ERROR(validateObject(d, &old), "spec.selector", "FieldValueInvalid");
}

TEST(ReplicaSetValidation, SelectorReplicasAndImmutability) {
  ReplicaSet rs;
  rs.metadata.name = "web-abc";
  rs.spec.replicas = 1;
  rs.spec.selector = LabelSelectorSpec{{{"app", "web"}}, {}};
  rs.spec.template_.metadata.labels = {{"app", "web"}};
  rs.spec.template_.spec.containers.push_back(container("c"));
  EXPECT_VALID(validateObject(rs, nullptr));
  ReplicaSet bad = rs;
  bad.spec.replicas = -2;
  EXPECT_FIELD_ERROR(validateObject(bad, nullptr), "spec.replicas", "FieldValueInvalid");
  bad = rs;
  bad.spec.template_.metadata.labels.clear();
  EXPECT_FIELD_ERROR(validateObject(bad, nullptr), "spec.template.metadata.labels",
                     "FieldValueInvalid");
  bad = rs;
  bad.spec.selector->match_labels["app"] = "other";
  EXPECT_FIELD_ERROR(validateObject(bad, &rs), "spec.selector", "FieldValueInvalid");
}

// ---- autoscalers ----

TEST(HpaValidation, MinAtMostMaxAndMaxAtLeastOne) {
  HorizontalPodAutoscaler hpa;
  hpa.metadata.name = "web";
  hpa.spec.scale_target_ref = {"Deployment", "web", "apps/v1"};
  hpa.spec.min_replicas = 1;
  hpa.spec.max_replicas = 3;
  EXPECT_VALID(validateObject(hpa, nullptr));
  hpa.spec.min_replicas = 4;
  EXPECT_FIELD_ERROR(validateObject(hpa, nullptr), "spec.maxReplicas", "FieldValueInvalid");
  hpa.spec.min_replicas = 0;
  EXPECT_FIELD_ERROR(validateObject(hpa, nullptr), "spec.minReplicas", "FieldValueInvalid");
  hpa.spec.min_replicas = 1;
  hpa.spec.max_replicas = 0;
  EXPECT_FIELD_ERROR(validateObject(hpa, nullptr), "spec.maxReplicas", "FieldValueInvalid");
  hpa.spec.max_replicas = 3;
  hpa.spec.scale_target_ref.name.clear();
  EXPECT_FIELD_ERROR(validateObject(hpa, nullptr), "spec.scaleTargetRef.name",
                     "FieldValueRequired");
}

TEST(HpaValidation, ResourceMetricsNeedAMatchingTarget) {
  HorizontalPodAutoscaler hpa;
  hpa.metadata.name = "web";
  hpa.spec.scale_target_ref = {"Deployment", "web", "apps/v1"};
  hpa.spec.max_replicas = 3;
  MetricSpec m;
  m.type = "Resource";
  m.resource = ResourceMetricSource{"cpu", {"Utilization", {}, {}, 50}};
  hpa.spec.metrics.push_back(m);
  EXPECT_VALID(validateObject(hpa, nullptr));
  hpa.spec.metrics[0].resource->target.average_utilization.reset();
  EXPECT_FIELD_ERROR(validateObject(hpa, nullptr),
                     "spec.metrics[0].resource.target.averageUtilization", "FieldValueRequired");
  hpa.spec.metrics[0].type = "Magic";
  EXPECT_FIELD_ERROR(validateObject(hpa, nullptr), "spec.metrics[0].type",
                     "FieldValueNotSupported");
}

TEST(HpaValidation, BehaviorAndContainerResourceAsKubernetes) {
  HorizontalPodAutoscaler hpa;
  hpa.metadata.name = "web";
  hpa.spec.scale_target_ref = {"Deployment", "web", "apps/v1"};
  hpa.spec.max_replicas = 3;
  MetricSpec m;
  m.type = "ContainerResource";
  m.container_resource = ContainerResourceMetricSource{"cpu", {"Utilization", {}, {}, 50}, "app"};
  hpa.spec.metrics.push_back(m);
  hpa.spec.behavior.emplace();
  hpa.spec.behavior->scale_up = HPAScalingRules{0, "Max", {{"Pods", 4, 15}}};
  EXPECT_VALID(validateObject(hpa, nullptr));

  HorizontalPodAutoscaler bad = hpa;
  bad.spec.metrics[0].container_resource->container.clear();
  EXPECT_FIELD_ERROR(validateObject(bad, nullptr), "spec.metrics[0].containerResource.container",
                     "FieldValueRequired");
  bad = hpa;
  bad.spec.metrics[0].container_resource.reset();
  EXPECT_FIELD_ERROR(validateObject(bad, nullptr), "spec.metrics[0].containerResource",
                     "FieldValueRequired");
  bad = hpa;
  bad.spec.behavior->scale_up->stabilization_window_seconds = 3601;
  EXPECT_FIELD_ERROR(validateObject(bad, nullptr), "spec.behavior.scaleUp.stabilizationWindowSeconds",
                     "FieldValueInvalid");
  bad = hpa;
  bad.spec.behavior->scale_up->select_policy = "Fastest";
  EXPECT_FIELD_ERROR(validateObject(bad, nullptr), "spec.behavior.scaleUp.selectPolicy",
                     "FieldValueNotSupported");
  bad = hpa;
  bad.spec.behavior->scale_up->policies[0] = {"Replicas", 0, 1801};
  auto errors = validateObject(bad, nullptr);
  EXPECT_FIELD_ERROR(errors, "spec.behavior.scaleUp.policies[0].type", "FieldValueNotSupported");
  EXPECT_FIELD_ERROR(errors, "spec.behavior.scaleUp.policies[0].value", "FieldValueInvalid");
  EXPECT_FIELD_ERROR(errors, "spec.behavior.scaleUp.policies[0].periodSeconds",
                     "FieldValueInvalid");
}

TEST(SeedHpaValidation, ReplicaBoundsAndPercentages) {
  Hpa hpa;
  hpa.metadata.name = "test-hpa";
  hpa.spec.min_replicas = 2;
  hpa.spec.max_replicas = 5;
  hpa.spec.scale_target_ref.metadata.name = "test-pod";
  hpa.spec.metrics.cpu_percent = 60;
  EXPECT_VALID(validateObject(hpa, nullptr));
  hpa.spec.max_replicas = 1;
  EXPECT_FIELD_ERROR(validateObject(hpa, nullptr), "spec.maxReplicas", "FieldValueInvalid");
  hpa.spec.max_replicas = 5;
  hpa.spec.metrics.cpu_percent = 0;
  EXPECT_FIELD_ERROR(validateObject(hpa, nullptr), "spec.metrics.cpuPercent", "FieldValueInvalid");
}

// ---- seed Dns ----

TEST(DnsValidation, HostnameIsASubdomainAndPathsAreRequired) {
  Dns dns;
  dns.metadata.name = "test-dns";
  dns.spec.hostname = "vahag.com";
  dns.spec.paths.push_back({"simple-service", 80, "/test"});
  EXPECT_VALID(validateObject(dns, nullptr));
  dns.spec.hostname = "Not_A_Host";
  EXPECT_FIELD_ERROR(validateObject(dns, nullptr), "spec.hostname", "FieldValueInvalid");
  dns.spec.hostname = "vahag.com";
  dns.spec.paths.clear();
  EXPECT_FIELD_ERROR(validateObject(dns, nullptr), "spec.paths", "FieldValueRequired");
  dns.spec.paths.push_back({"simple-service", 0, "test"});
  auto errors = validateObject(dns, nullptr);
  EXPECT_TRUE(hasError(errors, "spec.paths[0].servicePort", "FieldValueInvalid"))
      << describe(errors);
  EXPECT_TRUE(hasError(errors, "spec.paths[0].urlPath", "FieldValueInvalid")) << describe(errors);
}

// ---- other kinds ----

TEST(SecretValidation, DataMustBeBase64) {
  Secret s;
  s.metadata.name = "creds";
  s.data["password"] = "aHVudGVyMg==";
  EXPECT_VALID(validateObject(s, nullptr));
  s.data["password"] = "not base64!";
  auto errors = validateObject(s, nullptr);
  EXPECT_TRUE(hasError(errors, "data[password]", "FieldValueInvalid")) << describe(errors);
  EXPECT_EQ(errors[0].message.find("not base64"), std::string::npos);  // value not echoed
  s.data = {{"bad key", "YQ=="}};
  EXPECT_FIELD_ERROR(validateObject(s, nullptr), "data", "FieldValueInvalid");
}

TEST(ConfigMapValidation, KeysAreConfigKeys) {
  ConfigMap cm;
  cm.metadata.name = "cfg";
  cm.data = {{"app.properties", "x=1"}, {"KEY_1", "v"}};
  EXPECT_VALID(validateObject(cm, nullptr));
  cm.data["bad/key"] = "v";
  EXPECT_FIELD_ERROR(validateObject(cm, nullptr), "data", "FieldValueInvalid");
}

TEST(NodeValidation, TaintEffectsAreEnums) {
  Node node;
  node.metadata.name = "n1";
  node.spec.taints.push_back({"dedicated", "gpu", "NoSchedule", ""});
  EXPECT_VALID(validateObject(node, nullptr));
  node.spec.taints[0].effect = "Sometimes";
  EXPECT_FIELD_ERROR(validateObject(node, nullptr), "spec.taints[0].effect",
                     "FieldValueNotSupported");
}

TEST(EndpointsValidation, PortsAndAddressesAreChecked) {
  Endpoints ep;
  ep.metadata.name = "web";
  EndpointSubset subset;
  subset.addresses.push_back({"10.244.0.5", "", std::nullopt, std::nullopt});
  subset.ports.push_back({"", 80, "TCP", std::nullopt});
  ep.subsets.push_back(subset);
  EXPECT_VALID(validateObject(ep, nullptr));
  ep.subsets[0].ports[0].port = 0;
  EXPECT_FIELD_ERROR(validateObject(ep, nullptr), "subsets[0].ports[0].port", "FieldValueInvalid");
  ep.subsets[0].ports[0].port = 80;
  ep.subsets[0].addresses[0].ip.clear();
  EXPECT_FIELD_ERROR(validateObject(ep, nullptr), "subsets[0].addresses[0].ip",
                     "FieldValueRequired");
}

TEST(LeaseValidation, DurationMustBePositive) {
  Lease lease;
  lease.metadata.name = "n1";
  lease.spec.lease_duration_seconds = 40;
  EXPECT_VALID(validateObject(lease, nullptr));
  lease.spec.lease_duration_seconds = 0;
  EXPECT_FIELD_ERROR(validateObject(lease, nullptr), "spec.leaseDurationSeconds",
                     "FieldValueInvalid");
}

TEST(EventValidation, TypeIsNormalOrWarning) {
  Event ev;
  ev.metadata.name = "web.1";
  ev.type = "Warning";
  EXPECT_VALID(validateObject(ev, nullptr));
  ev.type = "Bad";
  EXPECT_FIELD_ERROR(validateObject(ev, nullptr), "type", "FieldValueNotSupported");
}

TEST(Selectors, MatchLabelsAndExpressions) {
  LabelSelectorSpec sel{{{"app", "web"}},
                        {{"tier", "NotIn", {"db"}}, {"canary", "DoesNotExist", {}}}};
  EXPECT_TRUE(selectorMatches(sel, {{"app", "web"}, {"tier", "fe"}}));
  EXPECT_FALSE(selectorMatches(sel, {{"app", "web"}, {"tier", "db"}}));
  EXPECT_FALSE(selectorMatches(sel, {{"app", "web"}, {"canary", "1"}}));
  EXPECT_FALSE(selectorMatches(sel, {{"app", "api"}}));
  EXPECT_TRUE(selectorMatches(LabelSelectorSpec{}, {}));
}

}  // namespace validation_test
}  // namespace minik8s::api
