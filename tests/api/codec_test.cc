#include "api/codec.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

namespace minik8s::api {
namespace codec_test {

using nlohmann::json;

// Decodes `in` as T with no unknown fields and checks that encoding gives `in` back.
template <typename T>
void expectRoundTrip(const json& in) {
  std::vector<std::string> unknown;
  T value{};
  Status st = fromJson(in, value, &unknown);
  ASSERT_TRUE(st.isOk()) << st.toString();
  EXPECT_TRUE(unknown.empty()) << json(unknown).dump();
  EXPECT_EQ(toJson(value), in);
}

const json kMeta = {
    {"name", "x"},
    {"namespace", "default"},
    {"uid", "0b5f2f39-0000-4000-8000-000000000001"},
    {"resourceVersion", "42"},
    {"generation", 3},
    {"creationTimestamp", "2024-01-02T03:04:05Z"},
    {"deletionTimestamp", "2024-01-02T03:05:05Z"},
    {"deletionGracePeriodSeconds", 30},
    {"labels", {{"app", "web"}}},
    {"annotations", {{"a.example.com/b", "c"}}},
    {"ownerReferences",
     {{{"apiVersion", "apps/v1"},
       {"kind", "ReplicaSet"},
       {"name", "rs"},
       {"uid", "u1"},
       {"controller", true},
       {"blockOwnerDeletion", true}}}},
    {"finalizers", {"f"}},
    {"managedFields", {{{"manager", "kubectl"}, {"operation", "Update"}}}},
};

TEST(Codec, PodRoundTripsWithEveryContainerFeature) {
  json probe = {{"httpGet",
                 {{"path", "/healthz"},
                  {"port", "http"},
                  {"scheme", "HTTP"},
                  {"httpHeaders", {{{"name", "X"}, {"value", "y"}}}}}},
                {"initialDelaySeconds", 5},
                {"timeoutSeconds", 1},
                {"periodSeconds", 10},
                {"successThreshold", 1},
                {"failureThreshold", 3}};
  json container = {
      {"name", "web"},
      {"image", "nginx:1.25"},
      {"command", {"nginx"}},
      {"args", {"-g", "daemon off;"}},
      {"workingDir", "/srv"},
      {"ports",
       {{{"name", "http"},
         {"containerPort", 80},
         {"hostPort", 8080},
         {"hostIP", "0.0.0.0"},
         {"protocol", "TCP"}}}},
      {"env",
       {{{"name", "A"}, {"value", "1"}},
        {{"name", "B"},
         {"valueFrom", {{"fieldRef", {{"apiVersion", "v1"}, {"fieldPath", "metadata.name"}}}}}},
        {{"name", "C"},
         {"valueFrom", {{"configMapKeyRef", {{"name", "cm"}, {"key", "k"}, {"optional", true}}}}}},
        {{"name", "D"}, {"valueFrom", {{"secretKeyRef", {{"name", "s"}, {"key", "k"}}}}}},
        {{"name", "E"},
         {"valueFrom",
          {{"resourceFieldRef",
            {{"containerName", "web"}, {"resource", "limits.cpu"}, {"divisor", "1m"}}}}}}}},
      {"envFrom",
       {{{"prefix", "P_"}, {"configMapRef", {{"name", "cm"}}}}, {{"secretRef", {{"name", "s"}}}}}},
      {"resources",
       {{"requests", {{"cpu", "100m"}, {"memory", "64Mi"}}}, {"limits", {{"cpu", "1"}}}}},
      {"volumeMounts",
       {{{"name", "data"}, {"mountPath", "/data"}, {"readOnly", true}, {"subPath", "x"}}}},
      {"livenessProbe", probe},
      {"readinessProbe", {{"tcpSocket", {{"port", 80}}}, {"periodSeconds", 5}}},
      {"startupProbe", {{"exec", {{"command", {"true"}}}}}},
      {"lifecycle", {{"preStop", {{"exec", {{"command", {"sleep", "1"}}}}}}}},
      {"imagePullPolicy", "IfNotPresent"},
      {"securityContext", {{"privileged", true}}},
      {"terminationMessagePath", "/dev/termination-log"},
      {"terminationMessagePolicy", "File"},
      {"stdin", true},
      {"stdinOnce", true},
      {"tty", true},
  };
  json pod = {
      {"apiVersion", "v1"},
      {"kind", "Pod"},
      {"metadata", kMeta},
      {"spec",
       {{"containers", {container}},
        {"initContainers", {{{"name", "init"}, {"image", "busybox"}}}},
        {"volumes",
         {{{"name", "data"}, {"emptyDir", json::object()}},
          {{"name", "h"}, {"hostPath", {{"path", "/tmp"}, {"type", "Directory"}}}},
          {{"name", "c"},
           {"configMap",
            {{"name", "cm"}, {"items", {{{"key", "k"}, {"path", "p"}}}}, {"defaultMode", 420}}}},
          {{"name", "s"}, {"secret", {{"secretName", "s"}, {"optional", false}}}},
          {{"name", "pvc"}, {"persistentVolumeClaim", {{"claimName", "claim"}}}},
          {{"name", "proj"}, {"projected", {{"sources", json::array()}}}},
          {{"name", "dapi"}, {"downwardAPI", {{"items", json::array()}}}}}},
        {"restartPolicy", "Always"},
        {"terminationGracePeriodSeconds", 0},
        {"activeDeadlineSeconds", 100},
        {"dnsPolicy", "None"},
        {"dnsConfig",
         {{"nameservers", {"1.1.1.1"}},
          {"searches", {"a.b"}},
          {"options", {{{"name", "ndots"}, {"value", "2"}}}}}},
        {"nodeSelector", {{"disk", "ssd"}}},
        {"serviceAccountName", "sa"},
        {"serviceAccount", "sa"},
        {"automountServiceAccountToken", false},
        {"nodeName", "n1"},
        {"hostNetwork", true},
        {"hostPID", true},
        {"hostIPC", true},
        {"hostname", "h"},
        {"subdomain", "sub"},
        {"schedulerName", "default-scheduler"},
        {"tolerations",
         {{{"key", "k"},
           {"operator", "Equal"},
           {"value", "v"},
           {"effect", "NoExecute"},
           {"tolerationSeconds", 5}}}},
        {"affinity", {{"nodeAffinity", json::object()}}},
        {"priority", 0},
        {"priorityClassName", "high"},
        {"readinessGates", {{{"conditionType", "x"}}}},
        {"enableServiceLinks", false},
        {"preemptionPolicy", "Never"},
        {"securityContext", {{"runAsUser", 1000}}},
        {"imagePullSecrets", {{{"name", "reg"}}}},
        {"topologySpreadConstraints", {{{"maxSkew", 1}}}},
        {"resources", {{"limits", {{"memory", "30Mi"}}}}}}},
      {"status",
       {{"phase", "Running"},
        {"conditions",
         {{{"type", "Ready"},
           {"status", "True"},
           {"lastProbeTime", "t"},
           {"lastTransitionTime", "t"}}}},
        {"message", "m"},
        {"reason", "r"},
        {"hostIP", "10.0.0.1"},
        {"podIP", "10.244.0.5"},
        {"podIPs", {{{"ip", "10.244.0.5"}}}},
        {"startTime", "2024-01-02T03:04:05Z"},
        {"qosClass", "Burstable"},
        {"initContainerStatuses",
         {{{"name", "init"},
           {"ready", false},
           {"restartCount", 0},
           {"image", "busybox"},
           {"imageID", ""},
           {"state",
            {{"terminated",
              {{"exitCode", 0},
               {"reason", "Completed"},
               {"signal", 9},
               {"message", "m"},
               {"startedAt", "t"},
               {"finishedAt", "t"},
               {"containerID", "containerd://a"}}}}}}}},
        {"containerStatuses",
         {{{"name", "web"},
           {"ready", true},
           {"restartCount", 2},
           {"image", "nginx:1.25"},
           {"imageID", "sha256:abc"},
           {"containerID", "containerd://b"},
           {"started", true},
           {"state", {{"running", {{"startedAt", "t"}}}}},
           {"lastState", {{"waiting", {{"reason", "CrashLoopBackOff"}, {"message", "m"}}}}}}}}}},
  };
  expectRoundTrip<Pod>(pod);
}

TEST(Codec, ServiceEndpointsAndNodeRoundTrip) {
  expectRoundTrip<Service>({{"apiVersion", "v1"},
                            {"kind", "Service"},
                            {"metadata", {{"name", "s"}}},
                            {"spec",
                             {{"type", "NodePort"},
                              {"selector", {{"app", "web"}}},
                              {"ports",
                               {{{"name", "http"},
                                 {"protocol", "TCP"},
                                 {"port", 80},
                                 {"targetPort", "http"},
                                 {"nodePort", 30080}},
                                {{"name", "x"}, {"port", 81}, {"targetPort", 8081}}}},
                              {"clusterIP", "10.96.0.10"},
                              {"clusterIPs", {"10.96.0.10"}},
                              {"externalIPs", {"1.2.3.4"}},
                              {"sessionAffinity", "None"},
                              {"externalTrafficPolicy", "Local"},
                              {"ipFamilies", {"IPv4"}},
                              {"ipFamilyPolicy", "SingleStack"},
                              {"internalTrafficPolicy", "Cluster"}}},
                            {"status", {{"loadBalancer", {{"ingress", {{{"ip", "5.6.7.8"}}}}}}}}});
  expectRoundTrip<Endpoints>(
      {{"apiVersion", "v1"},
       {"kind", "Endpoints"},
       {"metadata", {{"name", "s"}}},
       {"subsets",
        {{{"addresses",
           {{{"ip", "10.244.0.5"},
             {"hostname", "h"},
             {"nodeName", "n1"},
             {"targetRef",
              {{"kind", "Pod"}, {"name", "p"}, {"namespace", "default"}, {"uid", "u"}}}}}},
          {"notReadyAddresses", {{{"ip", "10.244.0.6"}}}},
          {"ports", {{{"name", "http"}, {"port", 80}, {"protocol", "TCP"}}}}}}}});
  json info = {{"machineID", "m"},
               {"systemUUID", "s"},
               {"bootID", "b"},
               {"kernelVersion", "6.1"},
               {"osImage", "Debian"},
               {"containerRuntimeVersion", "containerd://1.7"},
               {"kubeletVersion", "v1.29.0"},
               {"kubeProxyVersion", "v1.29.0"},
               {"operatingSystem", "linux"},
               {"architecture", "amd64"}};
  expectRoundTrip<Node>({{"apiVersion", "v1"},
                         {"kind", "Node"},
                         {"metadata", {{"name", "n1"}}},
                         {"spec",
                          {{"podCIDR", "10.244.0.0/24"},
                           {"podCIDRs", {"10.244.0.0/24"}},
                           {"unschedulable", true},
                           {"providerID", "minik8s://n1"},
                           {"taints", {{{"key", "k"}, {"value", "v"}, {"effect", "NoSchedule"}}}}}},
                         {"status",
                          {{"capacity", {{"cpu", "2"}, {"memory", "4Gi"}, {"pods", "110"}}},
                           {"allocatable", {{"cpu", "1900m"}, {"memory", "3Gi"}}},
                           {"conditions",
                            {{{"type", "Ready"},
                              {"status", "True"},
                              {"lastHeartbeatTime", "t"},
                              {"reason", "KubeletReady"}}}},
                           {"addresses", {{{"type", "InternalIP"}, {"address", "10.0.0.1"}}}},
                           {"daemonEndpoints", {{"kubeletEndpoint", {{"Port", 10250}}}}},
                           {"nodeInfo", info},
                           {"images", {{{"names", {"nginx:1.25"}}, {"sizeBytes", 1000}}}}}}});
}

TEST(Codec, OtherCoreKindsRoundTrip) {
  expectRoundTrip<Namespace>({{"apiVersion", "v1"},
                              {"kind", "Namespace"},
                              {"metadata", {{"name", "ns"}}},
                              {"spec", {{"finalizers", {"kubernetes"}}}},
                              {"status", {{"phase", "Active"}}}});
  expectRoundTrip<Event>({{"apiVersion", "v1"},
                          {"kind", "Event"},
                          {"metadata", {{"name", "p.1"}, {"namespace", "default"}}},
                          {"involvedObject",
                           {{"kind", "Pod"},
                            {"name", "p"},
                            {"namespace", "default"},
                            {"uid", "u"},
                            {"apiVersion", "v1"},
                            {"resourceVersion", "1"},
                            {"fieldPath", "spec.containers{c}"}}},
                          {"reason", "Pulled"},
                          {"message", "ok"},
                          {"source", {{"component", "kubelet"}, {"host", "n1"}}},
                          {"firstTimestamp", "t"},
                          {"lastTimestamp", "t"},
                          {"count", 2},
                          {"type", "Normal"},
                          {"eventTime", "2024-01-02T03:04:05.000000Z"},
                          {"reportingComponent", "kubelet"},
                          {"reportingInstance", "n1"},
                          {"action", "Pull"},
                          {"related", {{"kind", "Node"}, {"name", "n1"}}}});
  expectRoundTrip<ConfigMap>({{"apiVersion", "v1"},
                              {"kind", "ConfigMap"},
                              {"metadata", {{"name", "c"}}},
                              {"data", {{"a", "b"}}},
                              {"binaryData", {{"bin", "AAE="}}},
                              {"immutable", false}});
  expectRoundTrip<Secret>({{"apiVersion", "v1"},
                           {"kind", "Secret"},
                           {"metadata", {{"name", "s"}}},
                           {"data", {{"a", "Yg=="}}},
                           {"type", "Opaque"}});
  expectRoundTrip<Lease>({{"apiVersion", "coordination.k8s.io/v1"},
                          {"kind", "Lease"},
                          {"metadata", {{"name", "n1"}, {"namespace", "kube-node-lease"}}},
                          {"spec",
                           {{"holderIdentity", "n1"},
                            {"leaseDurationSeconds", 40},
                            {"acquireTime", "2024-01-02T03:04:05.000000Z"},
                            {"renewTime", "2024-01-02T03:04:15.000000Z"},
                            {"leaseTransitions", 0}}}});
}

TEST(Codec, AppsAndAutoscalingKindsRoundTrip) {
  json tmpl = {{"metadata", {{"labels", {{"app", "web"}}}}},
               {"spec", {{"containers", {{{"name", "c"}, {"image", "nginx"}}}}}}};
  json selector = {
      {"matchLabels", {{"app", "web"}}},
      {"matchExpressions", {{{"key", "tier"}, {"operator", "In"}, {"values", {"a", "b"}}}}}};
  expectRoundTrip<Deployment>(
      {{"apiVersion", "apps/v1"},
       {"kind", "Deployment"},
       {"metadata", {{"name", "d"}}},
       {"spec",
        {{"replicas", 0},
         {"selector", selector},
         {"template", tmpl},
         {"strategy",
          {{"type", "RollingUpdate"},
           {"rollingUpdate", {{"maxSurge", 1}, {"maxUnavailable", "25%"}}}}},
         {"minReadySeconds", 5},
         {"revisionHistoryLimit", 10},
         {"progressDeadlineSeconds", 600},
         {"paused", true}}},
       {"status",
        {{"observedGeneration", 2},
         {"replicas", 3},
         {"updatedReplicas", 3},
         {"readyReplicas", 2},
         {"availableReplicas", 2},
         {"unavailableReplicas", 1},
         {"collisionCount", 0},
         {"conditions",
          {{{"type", "Available"},
            {"status", "True"},
            {"lastUpdateTime", "t"},
            {"lastTransitionTime", "t"},
            {"reason", "MinimumReplicasAvailable"},
            {"message", "m"}}}}}}});
  expectRoundTrip<ReplicaSet>(
      {{"apiVersion", "apps/v1"},
       {"kind", "ReplicaSet"},
       {"metadata", {{"name", "r"}}},
       {"spec",
        {{"replicas", 2}, {"selector", selector}, {"template", tmpl}, {"minReadySeconds", 1}}},
       {"status",
        {{"replicas", 0},
         {"fullyLabeledReplicas", 1},
         {"readyReplicas", 1},
         {"availableReplicas", 1},
         {"observedGeneration", 1}}}});
  expectRoundTrip<HorizontalPodAutoscaler>(
      {{"apiVersion", "autoscaling/v2"},
       {"kind", "HorizontalPodAutoscaler"},
       {"metadata", {{"name", "h"}}},
       {"spec",
        {{"scaleTargetRef", {{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"name", "d"}}},
         {"minReplicas", 1},
         {"maxReplicas", 5},
         {"metrics",
          {{{"type", "Resource"},
            {"resource",
             {{"name", "cpu"}, {"target", {{"type", "Utilization"}, {"averageUtilization", 50}}}}}},
           {{"type", "Resource"},
            {"resource",
             {{"name", "memory"},
              {"target", {{"type", "AverageValue"}, {"averageValue", "100Mi"}}}}}},
           {{"type", "ContainerResource"},
            {"containerResource",
             {{"name", "cpu"},
              {"container", "app"},
              {"target", {{"type", "Utilization"}, {"averageUtilization", 60}}}}}},
           {{"type", "Pods"}, {"pods", {{"metric", {{"name", "qps"}}}}}}}},
         {"behavior",
          {{"scaleUp",
            {{"selectPolicy", "Min"},
             {"policies", {{{"type", "Pods"}, {"value", 1}, {"periodSeconds", 15}}}}}},
           {"scaleDown", {{"stabilizationWindowSeconds", 300}}}}}}},
       {"status",
        {{"currentReplicas", 2},
         {"desiredReplicas", 3},
         {"lastScaleTime", "t"},
         {"observedGeneration", 1},
         {"currentMetrics",
          {{{"type", "Resource"},
            {"resource",
             {{"name", "cpu"},
              {"current", {{"averageUtilization", 35}, {"averageValue", "350m"}}}}}}}},
         {"conditions", {{{"type", "AbleToScale"}, {"status", "True"}}}}}}});
}

TEST(Codec, RequiredFieldsAreAlwaysEmitted) {
  ContainerStatus cs;
  cs.name = "c";
  json j = toJson(cs);
  EXPECT_EQ(
      j,
      json({{"name", "c"}, {"ready", false}, {"restartCount", 0}, {"image", ""}, {"imageID", ""}}));

  NodeStatus status;
  json node_status = toJson(status);
  ASSERT_TRUE(node_status.contains("nodeInfo"));
  EXPECT_EQ(node_status["nodeInfo"].size(), 10u);
  EXPECT_EQ(node_status["nodeInfo"]["kubeProxyVersion"], "");

  Condition condition;
  EXPECT_EQ(toJson(condition), json({{"type", ""}, {"status", ""}}));
  OwnerReference ref;
  EXPECT_EQ(toJson(ref).size(), 4u);
  ContainerStateTerminated terminated;
  EXPECT_EQ(toJson(ContainerState{{}, {}, terminated}), json({{"terminated", {{"exitCode", 0}}}}));
}

TEST(Codec, OmitsEmptyOptionalFieldsButKeepsSetPointers) {
  Pod pod;
  pod.metadata.name = "p";
  json j = toJson(pod);
  EXPECT_EQ(j, json({{"metadata", {{"name", "p"}}},
                     {"spec", {{"containers", json::array()}}},
                     {"status", json::object()}}));
  pod.spec.enable_service_links = false;
  pod.spec.termination_grace_period_seconds = 0;
  Volume v;
  v.name = "scratch";
  v.empty_dir.emplace();
  pod.spec.volumes.push_back(v);
  j = toJson(pod);
  EXPECT_EQ(j["spec"]["enableServiceLinks"], false);
  EXPECT_EQ(j["spec"]["terminationGracePeriodSeconds"], 0);
  EXPECT_EQ(j["spec"]["volumes"][0]["emptyDir"], json::object());
}

TEST(Codec, TreatsNullAsAbsent) {
  Pod pod;
  ASSERT_TRUE(
      fromJson(json({{"metadata", {{"name", "p"}, {"labels", nullptr}}}, {"spec", nullptr}}), pod)
          .isOk());
  EXPECT_EQ(pod.metadata.name, "p");
  EXPECT_TRUE(pod.metadata.labels.empty());
}

TEST(Codec, ReportsUnknownFieldsWithNestedPaths) {
  json b = {{"name", "b"},
            {"imagePulPolicy", "x"},
            {"ports", json::array({{{"containerPort", 1}, {"proto", "TCP"}}})}};
  json spec = {{"containers", json::array({{{"name", "a"}}, b})}, {"bogus", 1}};
  json pod = {{"metadata", {{"name", "p"}}}, {"spec", spec}, {"extra", true}};
  std::vector<std::string> unknown;
  Pod out;
  ASSERT_TRUE(fromJson(pod, out, &unknown).isOk());
  std::sort(unknown.begin(), unknown.end());
  EXPECT_EQ(unknown,
            (std::vector<std::string>{"extra", "spec.bogus", "spec.containers[1].imagePulPolicy",
                                      "spec.containers[1].ports[0].proto"}));
}

TEST(Codec, RejectsWrongTypesNamingThePath) {
  struct Case {
    json in;
    const char* message;
  };
  const Case cases[] = {
      {{{"spec", {{"replicas", "3"}}}}, "spec.replicas: expected integer, got string"},
      {{{"spec", {{"paused", "yes"}}}}, "spec.paused: expected boolean, got string"},
      {{{"metadata", {{"labels", {{"a", 1}}}}}}, "metadata.labels.a: expected string, got integer"},
      {{{"spec",
         {{"template",
           {{"spec",
             {{"containers", {{{"name", "c"}, {"ports", {{{"containerPort", "80"}}}}}}}}}}}}}},
       "spec.template.spec.containers[0].ports[0].containerPort: expected integer, got string"},
      {{{"spec", {{"selector", "app=x"}}}}, "spec.selector: expected object, got string"},
      {{{"spec", {{"template", {{"spec", {{"containers", json::object()}}}}}}}},
       "spec.template.spec.containers: expected array, got object"},
      {{{"spec", {{"replicas", 3.5}}}}, "spec.replicas: expected integer, got number"},
      {{{"spec", {{"replicas", 4294967296LL}}}},
       "spec.replicas: value out of range for a 32-bit integer"},
  };
  for (const Case& c : cases) {
    Deployment d;
    Status st = fromJson(c.in, d);
    EXPECT_EQ(st.code(), Code::kBadRequest) << c.in.dump();
    EXPECT_EQ(st.message(), c.message);
  }
  Deployment top;
  EXPECT_EQ(fromJson(json::array(), top).message(), "expected object, got array");
}

TEST(Codec, AcceptsIntegralFloatsAndQuantitiesAsNumbers) {
  Pod pod;
  json in = {{"spec",
              {{"containers",
                {{{"name", "c"},
                  {"ports", {{{"containerPort", 80.0}}}},
                  {"resources", {{"limits", {{"cpu", 2}, {"memory", 0.5}}}}}}}}}}};
  ASSERT_TRUE(fromJson(in, pod).isOk());
  EXPECT_EQ(pod.spec.containers[0].ports[0].container_port, 80);
  EXPECT_EQ(pod.spec.containers[0].resources.limits["cpu"].toString(), "2");
  EXPECT_EQ(pod.spec.containers[0].resources.limits["memory"].toString(), "500m");
}

TEST(Codec, KeepsInvalidQuantitiesForValidation) {
  Pod pod;
  json in = {{"spec",
              {{"containers", {{{"name", "c"}, {"resources", {{"limits", {{"cpu", "lots"}}}}}}}}}}};
  ASSERT_TRUE(fromJson(in, pod).isOk());
  EXPECT_FALSE(pod.spec.containers[0].resources.limits["cpu"].isValid());
  EXPECT_EQ(toJson(pod)["spec"]["containers"][0]["resources"]["limits"]["cpu"], "lots");
}

TEST(Codec, DecodeReturnsTheValue) {
  Result<ObjectMeta> meta = decode<ObjectMeta>(json({{"name", "n"}, {"generation", 2}}));
  ASSERT_TRUE(meta.isOk());
  EXPECT_EQ(meta->name, "n");
  EXPECT_EQ(meta->generation, 2);
  EXPECT_FALSE(decode<ObjectMeta>(json({{"name", 5}})).isOk());
}

TEST(Codec, SeedKindsRoundTrip) {
  expectRoundTrip<Dns>(
      {{"apiVersion", "v1"},
       {"kind", "Dns"},
       {"metadata", {{"name", "d"}}},
       {"spec",
        {{"hostname", "a.com"},
         {"paths", {{{"serviceName", "s"}, {"servicePort", 80}, {"urlPath", "/x"}}}}}}});
  expectRoundTrip<Hpa>({{"apiVersion", "v1"},
                        {"kind", "Hpa"},
                        {"metadata", {{"name", "h"}}},
                        {"spec",
                         {{"minReplicas", 2},
                          {"maxReplicas", 5},
                          {"scaleTargetRef", {{"kind", "Pod"}, {"metadata", {{"name", "p"}}}}},
                          {"interval", 15},
                          {"selector", {{"matchLabels", {{"app", "hpa"}}}}},
                          {"metrics", {{"cpuPercent", 60}, {"memPercent", 40}}}}},
                        {"status", {{"currentReplicas", 2}}}});
}

}  // namespace codec_test
}  // namespace minik8s::api
