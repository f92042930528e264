#include "apiserver/table.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace minik8s::apiserver {
namespace table_test {

using nlohmann::json;
using namespace std::chrono_literals;

// 2026-01-01T00:10:00Z: objects below are created at 00:00:00, so they are 10m old.
const Clock::WallTime kNow = Clock::WallTime(std::chrono::seconds(1767225600)) + 10min;

api::ResourceInfo resource(const std::string& plural, const std::string& kind,
                           const std::string& group = "") {
  api::ResourceInfo info;
  info.group = group;
  info.version = "v1";
  info.plural = plural;
  info.kind = kind;
  return info;
}

json cellsOf(const api::ResourceInfo& info, const std::string& object) {
  return tableRow(info, json::parse(object), kNow, IncludeObject::kNone)["cells"];
}

std::vector<std::string> columnNames(const api::ResourceInfo& info, int priority) {
  std::vector<std::string> names;
  for (const json& c : tableColumns(info)) {
    if (c["priority"] == priority) names.push_back(c["name"]);
  }
  return names;
}

struct PodCase {
  std::string name;
  std::string status;  // the pod's status (and deletionTimestamp through metadata below)
  std::string want_ready;
  std::string want_status;
  std::string want_restarts;
  bool terminating = false;
  std::string spec = R"({"containers":[{"name":"a"},{"name":"b"}]})";
};

TEST(PodTable, StatusReadyAndRestartsFollowKubectlsPrinter) {
  const std::vector<PodCase> cases = {
      {"pending without statuses", R"({"phase":"Pending"})", "0/2", "Pending", "0"},
      {"running and ready",
       R"({"phase":"Running","containerStatuses":[
            {"name":"a","ready":true,"restartCount":0,"state":{"running":{}}},
            {"name":"b","ready":true,"restartCount":0,"state":{"running":{}}}]})",
       "2/2", "Running", "0"},
      {"one not ready",
       R"({"phase":"Running","containerStatuses":[
            {"name":"a","ready":true,"state":{"running":{}}},
            {"name":"b","ready":false,"state":{"running":{}}}]})",
       "1/2", "Running", "0"},
      {"container creating",
       R"({"phase":"Pending","containerStatuses":[
            {"name":"a","ready":false,"state":{"waiting":{"reason":"ContainerCreating"}}},
            {"name":"b","ready":false,"state":{"waiting":{"reason":"ContainerCreating"}}}]})",
       "0/2", "ContainerCreating", "0"},
      {"crash loop with restarts ago",
       R"({"phase":"Running","containerStatuses":[
            {"name":"a","ready":false,"restartCount":5,
             "state":{"waiting":{"reason":"CrashLoopBackOff"}},
             "lastState":{"terminated":{"exitCode":1,"finishedAt":"2026-01-01T00:05:00Z"}}},
            {"name":"b","ready":true,"restartCount":1,"state":{"running":{}}}]})",
       "1/2", "CrashLoopBackOff", "6 (5m ago)"},
      {"first container's reason wins",
       R"({"phase":"Pending","containerStatuses":[
            {"name":"a","state":{"waiting":{"reason":"ErrImageNeverPull"}}},
            {"name":"b","state":{"waiting":{"reason":"ContainerCreating"}}}]})",
       "0/2", "ErrImageNeverPull", "0"},
      {"completed",
       R"({"phase":"Succeeded","containerStatuses":[
            {"name":"a","state":{"terminated":{"exitCode":0,"reason":"Completed"}}},
            {"name":"b","state":{"terminated":{"exitCode":0,"reason":"Completed"}}}]})",
       "0/2", "Completed", "0"},
      {"error",
       R"({"phase":"Failed","containerStatuses":[
            {"name":"a","state":{"terminated":{"exitCode":2,"reason":"Error"}}},
            {"name":"b","state":{"terminated":{"exitCode":0,"reason":"Completed"}}}]})",
       "0/2", "Error", "0"},
      {"oom killed",
       R"({"phase":"Running","containerStatuses":[
            {"name":"a","state":{"terminated":{"exitCode":137,"reason":"OOMKilled"}}},
            {"name":"b","ready":true,"state":{"running":{}}}]})",
       "1/2", "OOMKilled", "0"},
      {"exit code without reason",
       R"({"phase":"Failed","containerStatuses":[
            {"name":"a","state":{"terminated":{"exitCode":3}}},
            {"name":"b","state":{"terminated":{"exitCode":0,"reason":"Completed"}}}]})",
       "0/2", "ExitCode:3", "0"},
      {"completed sidecar but running main becomes Running",
       R"({"phase":"Running","conditions":[{"type":"Ready","status":"True"}],
           "containerStatuses":[
            {"name":"a","ready":true,"state":{"running":{}}},
            {"name":"b","state":{"terminated":{"exitCode":0,"reason":"Completed"}}}]})",
       "1/2", "Running", "0"},
      {"terminating",
       R"({"phase":"Running","containerStatuses":[
            {"name":"a","ready":true,"state":{"running":{}}},
            {"name":"b","ready":true,"state":{"running":{}}}]})",
       "2/2", "Terminating", "0", true},
      {"terminal phase is not terminating", R"({"phase":"Succeeded"})", "0/2", "Succeeded", "0",
       true},
      {"init container running",
       R"({"phase":"Pending","initContainerStatuses":[
            {"name":"init","state":{"running":{}}}]})",
       "0/1", "Init:0/1", "0", false,
       R"({"initContainers":[{"name":"init"}],"containers":[{"name":"a"}]})"},
      {"init container crash looping",
       R"({"phase":"Pending","initContainerStatuses":[
            {"name":"init","restartCount":2,"state":{"waiting":{"reason":"CrashLoopBackOff"}}}]})",
       "0/1", "Init:CrashLoopBackOff", "2", false,
       R"({"initContainers":[{"name":"init"}],"containers":[{"name":"a"}]})"},
      {"init container failed",
       R"({"phase":"Pending","initContainerStatuses":[
            {"name":"init","state":{"terminated":{"exitCode":1,"reason":"Error"}}}]})",
       "0/1", "Init:Error", "0", false,
       R"({"initContainers":[{"name":"init"}],"containers":[{"name":"a"}]})"},
      {"init done, main creating",
       R"({"phase":"Pending","initContainerStatuses":[
            {"name":"init","state":{"terminated":{"exitCode":0,"reason":"Completed"}}}],
           "containerStatuses":[{"name":"a","state":{"waiting":{"reason":"PodInitializing"}}}]})",
       "0/1", "PodInitializing", "0", false,
       R"({"initContainers":[{"name":"init"}],"containers":[{"name":"a"}]})"},
  };
  for (const PodCase& c : cases) {
    json pod = {{"metadata", {{"name", "web"}, {"creationTimestamp", "2026-01-01T00:00:00Z"}}},
                {"spec", json::parse(c.spec)},
                {"status", json::parse(c.status)}};
    if (c.terminating) pod["metadata"]["deletionTimestamp"] = "2026-01-01T00:09:00Z";
    json cells = cellsOf(resource("pods", "Pod"), pod.dump());
    ASSERT_EQ(cells.size(), 9u) << c.name;
    EXPECT_EQ(cells[0], "web") << c.name;
    EXPECT_EQ(cells[1], c.want_ready) << c.name;
    EXPECT_EQ(cells[2], c.want_status) << c.name;
    EXPECT_EQ(cells[3], c.want_restarts) << c.name;
    EXPECT_EQ(cells[4], "10m") << c.name;
  }
}

TEST(PodTable, WideColumnsShowIpNodeAndReadinessGates) {
  json cells = cellsOf(resource("pods", "Pod"), R"({"metadata":{"name":"p"},
      "spec":{"nodeName":"node-1","containers":[{"name":"a"}],
              "readinessGates":[{"conditionType":"example.com/gate"}]},
      "status":{"podIPs":[{"ip":"10.244.0.6"}],
                "conditions":[{"type":"example.com/gate","status":"True"}]}})");
  EXPECT_EQ(cells,
            json::parse(R"(["p","0/1","","0","<unknown>","10.244.0.6","node-1","<none>","1/1"])"));
  json bare = cellsOf(resource("pods", "Pod"), R"({"metadata":{"name":"q"},"spec":{}})");
  EXPECT_EQ(bare[5], "<none>");
  EXPECT_EQ(bare[6], "<none>");
  EXPECT_EQ(bare[8], "<none>");
}

TEST(Table, ColumnsAndWidePrioritiesMatchTheRealApiserver) {
  struct Case {
    api::ResourceInfo info;
    std::vector<std::string> normal;
    std::vector<std::string> wide;
  };
  const std::vector<Case> cases = {
      {resource("pods", "Pod"),
       {"Name", "Ready", "Status", "Restarts", "Age"},
       {"IP", "Node", "Nominated Node", "Readiness Gates"}},
      {resource("deployments", "Deployment", "apps"),
       {"Name", "Ready", "Up-to-date", "Available", "Age"},
       {"Containers", "Images", "Selector"}},
      {resource("replicasets", "ReplicaSet", "apps"),
       {"Name", "Desired", "Current", "Ready", "Age"},
       {"Containers", "Images", "Selector"}},
      {resource("services", "Service"),
       {"Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age"},
       {"Selector"}},
      {resource("nodes", "Node"),
       {"Name", "Status", "Roles", "Age", "Version"},
       {"Internal-IP", "External-IP", "OS-Image", "Kernel-Version", "Container-Runtime"}},
      {resource("events", "Event"),
       {"Last Seen", "Type", "Reason", "Object", "Message"},
       {"Subobject", "Source", "First Seen", "Count", "Name"}},
      {resource("horizontalpodautoscalers", "HorizontalPodAutoscaler", "autoscaling"),
       {"Name", "Reference", "Targets", "MinPods", "MaxPods", "Replicas", "Age"},
       {}},
      {resource("widgets", "Widget"), {"Name", "Age"}, {}},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(columnNames(c.info, 0), c.normal) << c.info.plural;
    EXPECT_EQ(columnNames(c.info, 1), c.wide) << c.info.plural;
  }
  json name_column = tableColumns(resource("pods", "Pod"))[0];
  EXPECT_EQ(name_column, json::parse(R"({"name":"Name","type":"string","format":"name",
                                          "description":"","priority":0})"));
}

TEST(Table, CellsOfEachResourceMatchKubectlOutput) {
  struct Case {
    api::ResourceInfo info;
    std::string object;
    std::string want;
  };
  const std::vector<Case> cases = {
      {resource("deployments", "Deployment", "apps"),
       R"({"metadata":{"name":"demo","creationTimestamp":"2026-01-01T00:00:00Z"},
           "spec":{"replicas":3,"selector":{"matchLabels":{"app":"demo"}},
                   "template":{"spec":{"containers":[{"name":"app","image":"nginx"},
                                                     {"name":"side","image":"busybox"}]}}},
           "status":{"readyReplicas":2,"updatedReplicas":3,"availableReplicas":2}})",
       R"(["demo","2/3",3,2,"10m","app,side","nginx,busybox","app=demo"])"},
      {resource("replicasets", "ReplicaSet", "apps"),
       R"({"metadata":{"name":"demo-1"},"spec":{"replicas":2,
           "template":{"spec":{"containers":[{"name":"app","image":"nginx"}]}}},
           "status":{"replicas":2,"readyReplicas":1}})",
       R"(["demo-1",2,2,1,"<unknown>","app","nginx","<none>"])"},
      {resource("services", "Service"),
       R"({"metadata":{"name":"web"},"spec":{"type":"NodePort","clusterIP":"10.96.0.10",
           "selector":{"app":"web","tier":"a"},
           "ports":[{"port":80,"nodePort":30080,"protocol":"TCP"},{"port":443,"protocol":"TCP"},
                    {"port":53,"protocol":"UDP"}]}})",
       R"(["web","NodePort","10.96.0.10","<none>","80:30080/TCP,443/TCP,53/UDP","<unknown>","app=web,tier=a"])"},
      {resource("services", "Service"),
       R"({"metadata":{"name":"headless"},"spec":{"type":"ClusterIP","clusterIP":"None"}})",
       R"(["headless","ClusterIP","None","<none>","<none>","<unknown>","<none>"])"},
      {resource("services", "Service"),
       R"({"metadata":{"name":"lb"},"spec":{"type":"LoadBalancer","clusterIP":"10.96.0.2",
           "ports":[{"port":80,"nodePort":31000}]}})",
       R"(["lb","LoadBalancer","10.96.0.2","<pending>","80:31000/TCP","<unknown>","<none>"])"},
      {resource("nodes", "Node"),
       R"({"metadata":{"name":"node-1","labels":{"node-role.kubernetes.io/control-plane":"",
                                                 "kubernetes.io/hostname":"node-1"}},
           "spec":{"unschedulable":true},
           "status":{"conditions":[{"type":"Ready","status":"True"}],
                     "addresses":[{"type":"InternalIP","address":"10.0.0.1"}],
                     "nodeInfo":{"kubeletVersion":"v1.32.0","osImage":"Debian GNU/Linux 12",
                                 "kernelVersion":"6.1.0","containerRuntimeVersion":"containerd://1.6.20"}}})",
       R"(["node-1","Ready,SchedulingDisabled","control-plane","<unknown>","v1.32.0","10.0.0.1",
           "<none>","Debian GNU/Linux 12","6.1.0","containerd://1.6.20"])"},
      {resource("nodes", "Node"),
       R"({"metadata":{"name":"node-2"},"status":{"conditions":[{"type":"Ready","status":"Unknown"}]}})",
       R"(["node-2","NotReady","<none>","<unknown>","","<none>","<none>","<unknown>","<unknown>","<unknown>"])"},
      {resource("nodes", "Node"), R"({"metadata":{"name":"node-3"}})",
       R"(["node-3","Unknown","<none>","<unknown>","","<none>","<none>","<unknown>","<unknown>","<unknown>"])"},
      {resource("endpoints", "Endpoints"),
       R"({"metadata":{"name":"web"},"subsets":[{"addresses":[{"ip":"10.244.0.5"},{"ip":"10.244.0.6"}],
           "ports":[{"port":80}]}]})",
       R"(["web","10.244.0.5:80,10.244.0.6:80","<unknown>"])"},
      {resource("endpoints", "Endpoints"),
       R"({"metadata":{"name":"many"},"subsets":[{"addresses":[{"ip":"10.0.0.1"},{"ip":"10.0.0.2"},
           {"ip":"10.0.0.3"},{"ip":"10.0.0.4"},{"ip":"10.0.0.5"}],"ports":[{"port":80}]}]})",
       R"(["many","10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 2 more...","<unknown>"])"},
      {resource("endpoints", "Endpoints"), R"({"metadata":{"name":"empty"}})",
       R"(["empty","<none>","<unknown>"])"},
      {resource("events", "Event"),
       R"({"metadata":{"name":"web.1"},"type":"Normal","reason":"Pulled",
           "message":"  Container image \"nginx\" already present  ",
           "involvedObject":{"kind":"Pod","name":"web","fieldPath":"spec.containers{web}"},
           "source":{"component":"kubelet","host":"node-1"},
           "firstTimestamp":"2026-01-01T00:00:00Z","lastTimestamp":"2026-01-01T00:08:00Z","count":3})",
       R"(["2m","Normal","Pulled","pod/web","spec.containers{web}","kubelet, node-1",
           "Container image \"nginx\" already present","10m","3","web.1"])"},
      {resource("namespaces", "Namespace"),
       R"({"metadata":{"name":"default"},"status":{"phase":"Active"}})",
       R"(["default","Active","<unknown>"])"},
      {resource("configmaps", "ConfigMap"),
       R"({"metadata":{"name":"cfg"},"data":{"a":"1","b":"2"},"binaryData":{"c":"AA=="}})",
       R"(["cfg",3,"<unknown>"])"},
      {resource("secrets", "Secret"),
       R"({"metadata":{"name":"s"},"type":"Opaque","data":{"a":"MQ=="}})",
       R"(["s","Opaque",1,"<unknown>"])"},
      {resource("horizontalpodautoscalers", "HorizontalPodAutoscaler", "autoscaling"),
       R"({"metadata":{"name":"h"},"spec":{"scaleTargetRef":{"kind":"Deployment","name":"demo"},
           "minReplicas":1,"maxReplicas":5,
           "metrics":[{"type":"Resource","resource":{"name":"cpu",
                       "target":{"type":"Utilization","averageUtilization":50}}}]},
           "status":{"currentReplicas":2,"currentMetrics":[{"type":"Resource",
                       "resource":{"name":"cpu","current":{"averageUtilization":10}}}]}})",
       R"(["h","Deployment/demo","cpu: 10%/50%","1",5,2,"<unknown>"])"},
      {resource("horizontalpodautoscalers", "HorizontalPodAutoscaler", "autoscaling"),
       R"({"metadata":{"name":"h2"},"spec":{"scaleTargetRef":{"kind":"Deployment","name":"demo"},
           "maxReplicas":3,"metrics":[{"type":"Resource","resource":{"name":"memory",
                       "target":{"type":"Utilization","averageUtilization":50}}}]}})",
       R"(["h2","Deployment/demo","memory: <unknown>/50%","<unset>",3,0,"<unknown>"])"},
      {resource("leases", "Lease", "coordination.k8s.io"),
       R"({"metadata":{"name":"node-1"},"spec":{"holderIdentity":"node-1"}})",
       R"(["node-1","node-1","<unknown>"])"},
      {resource("dnses", "Dns"),
       R"({"metadata":{"name":"test-dns"},"spec":{"hostname":"vahag.com",
           "paths":[{"serviceName":"simple-service","servicePort":80,"urlPath":"/test"}]}})",
       R"(["test-dns","vahag.com","/test->simple-service:80","<unknown>"])"},
      {resource("hpas", "Hpa"),
       R"({"metadata":{"name":"test-hpa"},"spec":{"minReplicas":2,"maxReplicas":5,
           "scaleTargetRef":{"kind":"Pod","metadata":{"name":"test-pod"}}}})",
       R"(["test-hpa",2,5,"N/A","N/A","N/A","Pod/test-pod","<unknown>"])"},
      {resource("hpas", "Hpa"),
       R"({"metadata":{"name":"test-hpa"},"spec":{"maxReplicas":5,
           "scaleTargetRef":{"kind":"Pod","metadata":{"name":"test-pod"}}},
           "status":{"currentReplicas":3,"currentCPUPercent":72,"currentMemPercent":20}})",
       R"(["test-hpa","1",5,3,72,20,"Pod/test-pod","<unknown>"])"},
      {resource("widgets", "Widget"),
       R"({"metadata":{"name":"w","creationTimestamp":"2026-01-01T00:09:15Z"}})", R"(["w","45s"])"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(cellsOf(c.info, c.object), json::parse(c.want)) << c.info.plural << " " << c.object;
  }
}

TEST(Table, AgesUseHumanDurationFromCreationTimestamp) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"2026-01-01T00:09:58Z", "2s"}, {"2026-01-01T00:04:30Z", "5m30s"},
      {"2025-12-31T21:10:00Z", "3h"}, {"2025-12-29T00:10:00Z", "3d"},
      {"not a time", "<unknown>"},
  };
  for (const auto& [created, want] : cases) {
    json cells =
        cellsOf(resource("widgets", "Widget"),
                json{{"metadata", {{"name", "w"}, {"creationTimestamp", created}}}}.dump());
    EXPECT_EQ(cells[1], want) << created;
  }
}

TEST(Table, ListTableCarriesPartialObjectMetadataByDefault) {
  json pod = json::parse(R"({"apiVersion":"v1","kind":"Pod",
      "metadata":{"name":"nginx","namespace":"default","uid":"u1","resourceVersion":"107",
                  "creationTimestamp":"2026-01-01T00:05:00Z","labels":{"app":"x"},
                  "managedFields":[{"manager":"kubectl"}]},
      "spec":{"containers":[{"name":"nginx"}],"nodeName":"node-1"},
      "status":{"phase":"Running","podIPs":[{"ip":"10.244.0.6"}],
                "containerStatuses":[{"name":"nginx","ready":true,"restartCount":0,
                                      "state":{"running":{}}}]}})");
  json table = buildTable(resource("pods", "Pod"), {&pod}, kNow, IncludeObject::kMetadata, "108");
  json want = json::parse(R"({"kind":"Table","apiVersion":"meta.k8s.io/v1",
      "metadata":{"resourceVersion":"108"},
      "rows":[{"cells":["nginx","1/1","Running","0","5m","10.244.0.6","node-1","<none>","<none>"],
               "object":{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1",
                         "metadata":{"name":"nginx","namespace":"default","uid":"u1",
                                     "resourceVersion":"107",
                                     "creationTimestamp":"2026-01-01T00:05:00Z",
                                     "labels":{"app":"x"}}}}]})");
  want["columnDefinitions"] = tableColumns(resource("pods", "Pod"));
  EXPECT_EQ(table, want) << table.dump(2);
}

TEST(Table, IncludeObjectSelectsFullObjectOrNone) {
  json cm = json::parse(R"({"metadata":{"name":"cfg","namespace":"default"},"data":{"a":"1"}})");
  json full =
      buildTable(resource("configmaps", "ConfigMap"), {&cm}, kNow, IncludeObject::kObject, "5");
  json want_object = cm;
  want_object["kind"] = "ConfigMap";
  want_object["apiVersion"] = "v1";
  EXPECT_EQ(full["rows"][0]["object"], want_object);
  json none =
      buildTable(resource("configmaps", "ConfigMap"), {&cm}, kNow, IncludeObject::kNone, "5");
  EXPECT_FALSE(none["rows"][0].contains("object"));
  json empty = buildTable(resource("configmaps", "ConfigMap"), {}, kNow, IncludeObject::kNone, "");
  EXPECT_EQ(empty["rows"], json::array());
  EXPECT_EQ(empty["metadata"], json::object());
}

TEST(Table, WatchEventTableHasOneRowAndOptionalColumns) {
  json pod = json::parse(R"({"metadata":{"name":"p","resourceVersion":"110"},"spec":{}})");
  json first =
      buildWatchEventTable(resource("pods", "Pod"), pod, kNow, IncludeObject::kMetadata, true);
  EXPECT_EQ(first["kind"], "Table");
  EXPECT_EQ(first["metadata"]["resourceVersion"], "110");
  EXPECT_EQ(first["columnDefinitions"].size(), 9u);
  ASSERT_EQ(first["rows"].size(), 1u);
  EXPECT_EQ(first["rows"][0]["object"]["kind"], "PartialObjectMetadata");
  json later =
      buildWatchEventTable(resource("pods", "Pod"), pod, kNow, IncludeObject::kMetadata, false);
  EXPECT_EQ(later["columnDefinitions"], json::array());
  EXPECT_EQ(later["rows"], first["rows"]);
}

TEST(Table, MalformedObjectsStillProduceARow) {
  json weird = json::parse(R"({"metadata":{"name":"w","labels":"oops"},
      "spec":{"containers":"nope"},"status":{"containerStatuses":[1,2]}})");
  json row = tableRow(resource("pods", "Pod"), weird, kNow, IncludeObject::kMetadata);
  ASSERT_EQ(row["cells"].size(), 9u);
  EXPECT_EQ(row["cells"][0], "w");
  json scalar = tableRow(resource("nodes", "Node"), json("x"), kNow, IncludeObject::kMetadata);
  EXPECT_EQ(scalar["cells"].size(), 10u);
}

TEST(Table, IncludeObjectParsesTheQueryParameter) {
  EXPECT_EQ(*parseIncludeObject(""), IncludeObject::kMetadata);
  EXPECT_EQ(*parseIncludeObject("Metadata"), IncludeObject::kMetadata);
  EXPECT_EQ(*parseIncludeObject("Object"), IncludeObject::kObject);
  EXPECT_EQ(*parseIncludeObject("None"), IncludeObject::kNone);
  EXPECT_EQ(parseIncludeObject("All").status().code(), Code::kBadRequest);
}

}  // namespace table_test
}  // namespace minik8s::apiserver
