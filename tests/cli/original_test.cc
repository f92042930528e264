#include "cli/original.h"

#include <gtest/gtest.h>

#include "cli/printer.h"

namespace minik8s::cli {
namespace original_test {

using nlohmann::json;
using Rows = std::vector<std::vector<std::string>>;

Clock::WallTime at(const char* rfc3339) {
  Clock::WallTime t;
  EXPECT_TRUE(parseRfc3339(rfc3339, &t)) << rfc3339;
  return t;
}

std::string print(OriginalTable table, const OriginalInputs& in) {
  return alignColumns(originalRows(table, in));
}

TEST(GoDuration, WholeSecondsAsGoPrintsThem) {
  EXPECT_EQ(goDuration(std::chrono::seconds(0)), "0s");
  EXPECT_EQ(goDuration(std::chrono::seconds(45)), "45s");
  EXPECT_EQ(goDuration(std::chrono::seconds(60)), "1m0s");
  EXPECT_EQ(goDuration(std::chrono::seconds(65)), "1m5s");
  EXPECT_EQ(goDuration(std::chrono::seconds(3600)), "1h0m0s");
  EXPECT_EQ(goDuration(std::chrono::seconds(7203)), "2h0m3s");
  EXPECT_EQ(goDuration(std::chrono::seconds(100 * 3600 + 61)), "100h1m1s");
  EXPECT_EQ(goDuration(std::chrono::seconds(-5)), "0s");
}

TEST(OriginalPodStatus, LowerCasePhaseOrTerminating) {
  struct Case {
    json pod;
    const char* want;
  };
  for (const Case& c : std::vector<Case>{
           {json::object(), "pending"},
           {{{"status", {{"phase", "Pending"}}}}, "pending"},
           {{{"status", {{"phase", "Running"}}}}, "running"},
           {{{"status", {{"phase", "Succeeded"}}}}, "succeeded"},
           {{{"status", {{"phase", "Failed"}}}}, "failed"},
           {{{"status", {{"phase", "Unknown"}}}}, "unknown"},
           {{{"metadata", {{"deletionTimestamp", "2026-01-01T00:00:00Z"}}},
             {"status", {{"phase", "Running"}}}},
            "terminating"},
       }) {
    EXPECT_EQ(originalPodStatus(c.pod), c.want) << c.pod.dump();
  }
}

TEST(OriginalPodRuntime, SinceTheFirstContainerStartedOrNotAvailable) {
  Clock::WallTime now = at("2026-01-01T01:00:05Z");
  EXPECT_EQ(originalPodRuntime(json::object(), now), "N/A");
  json waiting = {
      {"status", {{"containerStatuses", {{{"state", {{"waiting", {{"reason", "X"}}}}}}}}}}};
  EXPECT_EQ(originalPodRuntime(waiting, now), "N/A");
  json pod = {{"status",
               {{"containerStatuses",
                 {{{"state", {{"running", {{"startedAt", "2026-01-01T00:59:00Z"}}}}}},
                  {{"state", {{"running", {{"startedAt", "2026-01-01T00:00:00Z"}}}}}}}}}}};
  EXPECT_EQ(originalPodRuntime(pod, now), "1h0m5s");
  // A restarted container: its first run (lastState) counts.
  json restarted = {
      {"status",
       {{"containerStatuses",
         {{{"state", {{"running", {{"startedAt", "2026-01-01T01:00:00Z"}}}}},
           {"lastState", {{"terminated", {{"startedAt", "2026-01-01T00:58:55Z"}}}}}}}}}}};
  EXPECT_EQ(originalPodRuntime(restarted, now), "1m10s");
}

TEST(OriginalPods, TableWithNotAvailableForWhatIsNotThereYet) {
  OriginalInputs in;
  in.now = at("2026-01-01T00:01:05Z");
  in.objects = {
      json::parse(R"({"metadata":{"name":"greet-pod","namespace":"default"},
                      "spec":{"nodeName":"node-1"},
                      "status":{"phase":"Running","podIP":"10.244.0.5","containerStatuses":[
                        {"state":{"running":{"startedAt":"2026-01-01T00:00:00Z"}}}]}})"),
      json::parse(R"({"metadata":{"name":"pod-hpa","namespace":"default"},"spec":{},
                      "status":{"phase":"Pending"}})"),
  };
  EXPECT_EQ(print(OriginalTable::kPods, in),
            "Name        Status    IP           Runtime   Node\n"
            "greet-pod   running   10.244.0.5   1m5s      node-1\n"
            "pod-hpa     pending   N/A          N/A       N/A\n");
}

TEST(OriginalPods, EmptyTableStillHasItsHeaderAndAllNamespacesAddsOne) {
  EXPECT_EQ(print(OriginalTable::kPods, {}), "Name   Status   IP    Runtime   Node\n");
  OriginalInputs in;
  in.with_namespace = true;
  in.objects = {json::parse(R"({"metadata":{"name":"a","namespace":"team"}})")};
  Rows rows = originalRows(OriginalTable::kPods, in);
  EXPECT_EQ(rows[0],
            (std::vector<std::string>{"Namespace", "Name", "Status", "IP", "Runtime", "Node"}));
  EXPECT_EQ(rows[1], (std::vector<std::string>{"team", "a", "pending", "N/A", "N/A", "N/A"}));
}

TEST(OriginalServices, RunningOnceAReadyEndpointExists) {
  OriginalInputs in;
  in.objects = {
      json::parse(R"({"metadata":{"name":"simple-service","namespace":"default"},
                      "spec":{"clusterIP":"10.96.0.20"}})"),
      json::parse(R"({"metadata":{"name":"echo-service","namespace":"default"},
                      "spec":{"clusterIP":"10.96.0.21"}})"),
      json::parse(R"({"metadata":{"name":"not-ready","namespace":"default"},
                      "spec":{"clusterIP":"10.96.0.22"}})"),
      json::parse(R"({"metadata":{"name":"external","namespace":"default"},"spec":{}})"),
  };
  in.endpoints = {
      json::parse(R"({"metadata":{"name":"simple-service","namespace":"default"},"subsets":[
        {"addresses":[{"ip":"10.244.0.5"},{"ip":"10.244.0.6"}],
         "ports":[{"port":5000},{"port":80}]}]})"),
      // same name, other namespace: not this service's
      json::parse(R"({"metadata":{"name":"echo-service","namespace":"other"},"subsets":[
        {"addresses":[{"ip":"10.244.9.9"}],"ports":[{"port":1}]}]})"),
      json::parse(R"({"metadata":{"name":"not-ready","namespace":"default"},"subsets":[
        {"notReadyAddresses":[{"ip":"10.244.0.7"}],"ports":[{"port":80}]}]})"),
  };
  EXPECT_EQ(print(OriginalTable::kServices, in),
            "Name             Phase     ClusterIP    Endpoints\n"
            "simple-service   running   10.96.0.20   10.244.0.5/5000 10.244.0.5/80 "
            "10.244.0.6/5000 10.244.0.6/80\n"
            "echo-service     pending   10.96.0.21\n"
            "not-ready        pending   10.96.0.22\n"
            "external         pending   N/A\n");
  EXPECT_EQ(print(OriginalTable::kServices, {}), "Name   Phase   ClusterIP   Endpoints\n");
}

TEST(ReadyEndpoints, AddressesWithoutPortsAreTheIpAlone) {
  EXPECT_EQ(readyEndpoints(json::parse(R"({"subsets":[{"addresses":[{"ip":"1.2.3.4"}]}]})")),
            std::vector<std::string>{"1.2.3.4"});
  EXPECT_TRUE(readyEndpoints(json::object()).empty());
  EXPECT_EQ(originalServicePhase(nullptr), "pending");
}

TEST(OriginalDeployments, ReplicasAndReadyReplicas) {
  OriginalInputs in;
  in.objects = {
      json::parse(R"({"metadata":{"name":"simple-deployment"},"spec":{"replicas":3},
                      "status":{"readyReplicas":2}})"),
      json::parse(R"({"metadata":{"name":"fresh"},"spec":{"replicas":1},"status":{}})"),
  };
  EXPECT_EQ(print(OriginalTable::kDeployments, in),
            "Name                Replicas   ReadyReplicas\n"
            "simple-deployment   3          2\n"
            "fresh               1          0\n");
  EXPECT_EQ(print(OriginalTable::kDeployments, {}), "Name   Replicas   ReadyReplicas\n");
}

TEST(OriginalHpas, SeedHpaAndAutoscalingV2InOneTable) {
  OriginalInputs in;
  in.objects = {
      json::parse(R"({"kind":"Hpa","metadata":{"name":"test-hpa"},
                      "spec":{"minReplicas":2,"maxReplicas":5,"metrics":{"cpuPercent":60}},
                      "status":{"currentReplicas":3,"currentCPUPercent":45,"currentMemPercent":20}})"),
      json::parse(R"({"kind":"Hpa","metadata":{"name":"new-hpa"},
                      "spec":{"minReplicas":2,"maxReplicas":5}})"),
      json::parse(R"({"kind":"HorizontalPodAutoscaler","metadata":{"name":"web"},
                      "spec":{"minReplicas":1,"maxReplicas":4},
                      "status":{"currentReplicas":2,"desiredReplicas":2,"currentMetrics":[
                        {"type":"Resource","resource":{"name":"cpu",
                          "current":{"averageUtilization":35,"averageValue":"35m"}}}]}})"),
  };
  EXPECT_EQ(print(OriginalTable::kHpas, in),
            "Name       Min   Max   Current   cpu(%)   memory(%)\n"
            "test-hpa   2     5     3         45       20\n"
            "new-hpa    2     5     N/A       N/A      N/A\n"
            "web        1     4     2         35       N/A\n");
  EXPECT_EQ(print(OriginalTable::kHpas, {}), "Name   Min   Max   Current   cpu(%)   memory(%)\n");
}

json node(const char* name, const char* ready) {
  json n = {{"metadata", {{"name", name}}},
            {"status",
             {{"addresses",
               {{{"type", "InternalIP"}, {"address", "192.168.1.10"}},
                {{"type", "Hostname"}, {"address", std::string(name) + ".lan"}}}},
              {"allocatable", {{"cpu", "2"}, {"memory", "4Gi"}}}}}};
  if (*ready) n["status"]["conditions"] = {{{"type", "Ready"}, {"status", ready}}};
  return n;
}

TEST(OriginalNodes, ConditionPodsAndUsageFromTheMetricsApi) {
  OriginalInputs in;
  in.objects = {node("node-1", "True"), node("node-2", "False"), node("node-3", "")};
  in.objects[2]["status"].erase("addresses");
  in.pods = {
      json::parse(R"({"spec":{"nodeName":"node-1"},"status":{"phase":"Running"}})"),
      json::parse(R"({"spec":{"nodeName":"node-1"},"status":{"phase":"Pending"}})"),
      json::parse(R"({"spec":{"nodeName":"node-1"},"status":{"phase":"Succeeded"}})"),
      json::parse(R"({"spec":{"nodeName":"node-2"},"status":{"phase":"Failed"}})"),
      json::parse(R"({"spec":{},"status":{"phase":"Pending"}})"),
  };
  in.node_metrics = {
      json::parse(R"({"metadata":{"name":"node-1"},"usage":{"cpu":"250m","memory":"1Gi"}})")};
  EXPECT_EQ(print(OriginalTable::kNodes, in),
            "IP             HostName     Condition   NumPods   CpuPercent   MemPercent\n"
            "192.168.1.10   node-1.lan   Ready       2         12           25\n"
            "192.168.1.10   node-2.lan   NotReady    0         N/A          N/A\n"
            "N/A            node-3       Unknown     0         N/A          N/A\n");
  EXPECT_EQ(print(OriginalTable::kNodes, {}),
            "IP    HostName   Condition   NumPods   CpuPercent   MemPercent\n");
}

TEST(OriginalNodes, NoNamespaceColumnForNodes) {
  OriginalInputs in;
  in.with_namespace = true;
  in.objects = {node("node-1", "True")};
  EXPECT_EQ(originalRows(OriginalTable::kNodes, in)[0].front(), "IP");
}

TEST(UsagePercent, CapacityWhenNoAllocatableAndNotAvailableWhenUnknown) {
  json n = {{"status", {{"capacity", {{"cpu", "4"}}}}}};
  json m = {{"usage", {{"cpu", "1"}, {"memory", "10Mi"}}}};
  EXPECT_EQ(usagePercent(&m, n, "cpu"), "25");
  EXPECT_EQ(usagePercent(&m, n, "memory"), "N/A");
  EXPECT_EQ(usagePercent(nullptr, n, "cpu"), "N/A");
  json zero = {{"status", {{"allocatable", {{"cpu", "0"}}}}}};
  EXPECT_EQ(usagePercent(&m, zero, "cpu"), "N/A");
}

TEST(OriginalDnses, HostPhaseAndServicePaths) {
  OriginalInputs in;
  in.objects = {
      json::parse(R"({"metadata":{"name":"test-dns"},"spec":{"hostname":"vahag.com","paths":[
        {"serviceName":"simple-service","servicePort":80,"urlPath":"/test"},
        {"serviceName":"echo-service","servicePort":8080,"urlPath":"/echo"}]}})"),
      json::parse(R"({"metadata":{"name":"live"},"spec":{"hostname":"a.com","paths":[]},
                      "status":{"phase":"Running"}})"),
  };
  EXPECT_EQ(print(OriginalTable::kDnses, in),
            "Name       Host        Phase     Paths\n"
            "test-dns   vahag.com   pending   simple-service/80 echo-service/8080\n"
            "live       a.com       running\n");
  EXPECT_EQ(print(OriginalTable::kDnses, {}), "Name   Host   Phase   Paths\n");
}

TEST(OriginalTableOf, TheOriginalsKindsAndNothingElse) {
  const auto& all = api::allResources();
  EXPECT_EQ(originalTableOf(*api::findResource("", "v1", "pods")), OriginalTable::kPods);
  EXPECT_EQ(originalTableOf(*api::findResource("", "v1", "hpas")), OriginalTable::kHpas);
  EXPECT_EQ(originalTableOf(*api::findResource("autoscaling", "v2", "horizontalpodautoscalers")),
            OriginalTable::kHpas);
  EXPECT_EQ(originalTableOf(*api::findResource("", "v1", "configmaps")), std::nullopt);
  EXPECT_EQ(originalTableOf(*api::findResource("apps", "v1", "replicasets")), std::nullopt);
  EXPECT_EQ(originalTableResources(OriginalTable::kHpas, all).size(), 2u);
  EXPECT_EQ(originalTableResources(OriginalTable::kDeployments, all).size(), 1u);
}

}  // namespace original_test
}  // namespace minik8s::cli
