#include "api/defaults.h"

#include <gtest/gtest.h>

namespace minik8s::api {
namespace defaults_test {

Container container(std::string name, std::string image) {
  Container c;
  c.name = std::move(name);
  c.image = std::move(image);
  return c;
}

TEST(Defaults, PodGetsKubernetesSpecDefaultsAndPendingStatus) {
  Pod pod;
  pod.spec.containers.push_back(container("c", "nginx"));
  setDefaults(pod);
  EXPECT_EQ(pod.spec.restart_policy, "Always");
  EXPECT_EQ(pod.spec.dns_policy, "ClusterFirst");
  EXPECT_EQ(pod.spec.termination_grace_period_seconds, 30);
  EXPECT_EQ(pod.spec.scheduler_name, "default-scheduler");
  EXPECT_EQ(pod.spec.enable_service_links, true);
  EXPECT_EQ(pod.spec.priority, 0);
  EXPECT_EQ(pod.status.phase, "Pending");
  EXPECT_EQ(pod.status.qos_class, "BestEffort");
  const Container& c = pod.spec.containers[0];
  EXPECT_EQ(c.termination_message_path, "/dev/termination-log");
  EXPECT_EQ(c.termination_message_policy, "File");
}

TEST(Defaults, PodKeepsValuesAlreadySet) {
  Pod pod;
  pod.spec.restart_policy = "Never";
  pod.spec.termination_grace_period_seconds = 0;
  pod.spec.enable_service_links = false;
  pod.status.phase = "Running";
  setDefaults(pod);
  EXPECT_EQ(pod.spec.restart_policy, "Never");
  EXPECT_EQ(pod.spec.termination_grace_period_seconds, 0);
  EXPECT_EQ(pod.spec.enable_service_links, false);
  EXPECT_EQ(pod.status.phase, "Running");
}

TEST(Defaults, ImagePullPolicyDependsOnTheTag) {
  EXPECT_EQ(defaultImagePullPolicy("nginx"), "Always");
  EXPECT_EQ(defaultImagePullPolicy("nginx:latest"), "Always");
  EXPECT_EQ(defaultImagePullPolicy("nginx:1.25"), "IfNotPresent");
  EXPECT_EQ(defaultImagePullPolicy("localhost:5000/app"), "Always");
  EXPECT_EQ(defaultImagePullPolicy("localhost:5000/app:v1"), "IfNotPresent");
  EXPECT_EQ(defaultImagePullPolicy("nginx@sha256:abcd"), "IfNotPresent");
}

TEST(Defaults, ContainerPortsAndProbesGetDefaults) {
  Container c = container("c", "nginx:1.25");
  c.ports.push_back({});
  c.liveness_probe.emplace();
  c.liveness_probe->http_get.emplace();
  setDefaults(c);
  EXPECT_EQ(c.image_pull_policy, "IfNotPresent");
  EXPECT_EQ(c.ports[0].protocol, "TCP");
  EXPECT_EQ(c.liveness_probe->timeout_seconds, 1);
  EXPECT_EQ(c.liveness_probe->period_seconds, 10);
  EXPECT_EQ(c.liveness_probe->success_threshold, 1);
  EXPECT_EQ(c.liveness_probe->failure_threshold, 3);
  EXPECT_EQ(c.liveness_probe->http_get->path, "/");
  EXPECT_EQ(c.liveness_probe->http_get->scheme, "HTTP");
}

TEST(Defaults, VolumeWithoutSourceBecomesEmptyDir) {
  PodSpec spec;
  spec.volumes.push_back({});
  setDefaults(spec);
  EXPECT_TRUE(spec.volumes[0].empty_dir.has_value());
}

TEST(Defaults, QosClassFollowsRequestsAndLimits) {
  PodSpec spec;
  spec.containers.push_back(container("c", "x"));
  EXPECT_EQ(computeQosClass(spec), "BestEffort");

  spec.containers[0].resources.requests["cpu"] = *Quantity::parse("100m");
  EXPECT_EQ(computeQosClass(spec), "Burstable");

  Container& c = spec.containers[0];
  c.resources.requests["cpu"] = *Quantity::parse("1");
  c.resources.limits["cpu"] = *Quantity::parse("1000m");
  c.resources.requests["memory"] = *Quantity::parse("1Gi");
  c.resources.limits["memory"] = *Quantity::parse("1024Mi");
  EXPECT_EQ(computeQosClass(spec), "Guaranteed");

  spec.containers.push_back(container("d", "y"));
  EXPECT_EQ(computeQosClass(spec), "Burstable");
}

TEST(Defaults, LimitsAreCopiedToMissingRequests) {
  Pod pod;
  Container c = container("c", "x");
  c.resources.limits["cpu"] = *Quantity::parse("500m");
  c.resources.limits["memory"] = *Quantity::parse("64Mi");
  pod.spec.containers.push_back(c);
  setDefaults(pod);
  EXPECT_EQ(pod.spec.containers[0].resources.requests["cpu"].toString(), "500m");
  EXPECT_EQ(pod.status.qos_class, "Guaranteed");
}

TEST(Defaults, PodLevelResourcesGiveBurstableWhenContainersHaveNone) {
  PodSpec spec;
  spec.containers.push_back(container("c", "x"));
  spec.resources.emplace();
  spec.resources->requests["cpu"] = *Quantity::parse("10m");
  spec.resources->limits["cpu"] = *Quantity::parse("30m");
  EXPECT_EQ(computeQosClass(spec), "Burstable");
}

TEST(Defaults, ServiceGetsTypeAffinityFamiliesAndTargetPort) {
  Service svc;
  ServicePort port;
  port.port = 80;
  svc.spec.ports.push_back(port);
  setDefaults(svc);
  EXPECT_EQ(svc.spec.type, "ClusterIP");
  EXPECT_EQ(svc.spec.session_affinity, "None");
  EXPECT_EQ(svc.spec.ports[0].protocol, "TCP");
  ASSERT_TRUE(svc.spec.ports[0].target_port.has_value());
  EXPECT_EQ(*svc.spec.ports[0].target_port, IntOrString::ofInt(80));
  EXPECT_EQ(svc.spec.ip_families, std::vector<std::string>{"IPv4"});
  EXPECT_EQ(svc.spec.ip_family_policy, "SingleStack");
  EXPECT_EQ(svc.spec.internal_traffic_policy, "Cluster");
  EXPECT_TRUE(svc.spec.external_traffic_policy.empty());
}

TEST(Defaults, NodePortServiceGetsExternalTrafficPolicy) {
  Service svc;
  svc.spec.type = "NodePort";
  setDefaults(svc);
  EXPECT_EQ(svc.spec.external_traffic_policy, "Cluster");
}

TEST(Defaults, DeploymentGetsReplicasStrategyLimitsAndTemplateDefaults) {
  Deployment d;
  d.spec.template_.spec.containers.push_back(container("c", "nginx"));
  setDefaults(d);
  EXPECT_EQ(d.spec.replicas, 1);
  EXPECT_EQ(d.spec.strategy.type, "RollingUpdate");
  ASSERT_TRUE(d.spec.strategy.rolling_update.has_value());
  EXPECT_EQ(*d.spec.strategy.rolling_update->max_surge, IntOrString::ofString("25%"));
  EXPECT_EQ(*d.spec.strategy.rolling_update->max_unavailable, IntOrString::ofString("25%"));
  EXPECT_EQ(d.spec.revision_history_limit, 10);
  EXPECT_EQ(d.spec.progress_deadline_seconds, 600);
  EXPECT_EQ(d.spec.template_.spec.restart_policy, "Always");
  EXPECT_EQ(d.spec.template_.spec.containers[0].image_pull_policy, "Always");
  EXPECT_FALSE(d.spec.template_.spec.priority.has_value());
}

TEST(Defaults, RecreateDeploymentGetsNoRollingUpdate) {
  Deployment d;
  d.spec.strategy.type = "Recreate";
  setDefaults(d);
  EXPECT_FALSE(d.spec.strategy.rolling_update.has_value());
}

TEST(Defaults, ReplicaSetHpaSecretAndNamespace) {
  ReplicaSet rs;
  setDefaults(rs);
  EXPECT_EQ(rs.spec.replicas, 1);

  HorizontalPodAutoscaler hpa;
  setDefaults(hpa);
  EXPECT_EQ(hpa.spec.min_replicas, 1);
  ASSERT_EQ(hpa.spec.metrics.size(), 1u);  // cpu at 80%, as Kubernetes
  EXPECT_EQ(hpa.spec.metrics[0].resource->name, "cpu");
  EXPECT_EQ(hpa.spec.metrics[0].resource->target.average_utilization, 80);
  EXPECT_FALSE(hpa.spec.behavior.has_value());

  Secret secret;
  secret.string_data["password"] = "hunter2";
  secret.data["user"] = "YWRtaW4=";
  setDefaults(secret);
  EXPECT_EQ(secret.type, "Opaque");
  EXPECT_TRUE(secret.string_data.empty());
  EXPECT_EQ(secret.data["password"], "aHVudGVyMg==");
  EXPECT_EQ(secret.data["user"], "YWRtaW4=");

  Namespace ns;
  ns.metadata.name = "team-a";
  setDefaults(ns);
  EXPECT_EQ(ns.status.phase, "Active");
  EXPECT_EQ(ns.metadata.labels["kubernetes.io/metadata.name"], "team-a");
}

TEST(Defaults, Base64RoundTripsAndRejectsGarbage) {
  for (const std::string& s :
       std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)}) {
    std::string back;
    ASSERT_TRUE(base64Decode(base64Encode(s), &back)) << s;
    EXPECT_EQ(back, s);
  }
  EXPECT_EQ(base64Encode("ab"), "YWI=");
  EXPECT_FALSE(base64Decode("abc", nullptr));
  EXPECT_FALSE(base64Decode("ab=c", nullptr));
  EXPECT_FALSE(base64Decode("a!bc", nullptr));
  EXPECT_FALSE(base64Decode("====", nullptr));
}

}  // namespace defaults_test
}  // namespace minik8s::api

namespace minik8s::api {
namespace defaults_test {

TEST(Defaults, HpaBehaviorThatIsSetGetsKubernetesDefaults) {
  HorizontalPodAutoscaler hpa;
  hpa.spec.behavior.emplace();
  hpa.spec.behavior->scale_down = HPAScalingRules{60, std::nullopt, {}};
  setDefaults(hpa);
  const HPAScalingRules& up = *hpa.spec.behavior->scale_up;
  EXPECT_EQ(up.stabilization_window_seconds, 0);
  EXPECT_EQ(up.select_policy, "Max");
  ASSERT_EQ(up.policies.size(), 2u);
  EXPECT_EQ(up.policies[0].type, "Pods");
  EXPECT_EQ(up.policies[0].value, 4);
  EXPECT_EQ(up.policies[1].type, "Percent");
  EXPECT_EQ(up.policies[1].value, 100);
  const HPAScalingRules& down = *hpa.spec.behavior->scale_down;
  EXPECT_EQ(down.stabilization_window_seconds, 60);  // kept
  EXPECT_EQ(down.select_policy, "Max");
  ASSERT_EQ(down.policies.size(), 1u);
  EXPECT_EQ(down.policies[0].period_seconds, 15);
}

}  // namespace defaults_test
}  // namespace minik8s::api
