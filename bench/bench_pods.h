// Realistic pods for the codec and create benchmarks: the original's seed pod
// (e2e/seed-manifests/pod.yaml: 3 containers with env, ports, volume mounts, a hostPath
// volume, pod-level resources), with resources on every container too, as kubectl sends
// it and as the apiserver stores it once a kubelet has written its status.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace minik8s::bench {

// The seed pod as kubectl sends it on a create (no defaults, no status).
inline nlohmann::json seedPod(const std::string& name) {
  using nlohmann::json;
  auto resources = [](const char* cpu, const char* mem) {
    return json{{"requests", {{"cpu", cpu}, {"memory", mem}}},
                {"limits", {{"cpu", "100m"}, {"memory", "64Mi"}}}};
  };
  json mount = {{{"name", "shared-data"}, {"mountPath", "/test"}}};
  return json{
      {"apiVersion", "v1"},
      {"kind", "Pod"},
      {"metadata",
       {{"name", name},
        {"namespace", "default"},
        {"labels", {{"app", "greet-server"}, {"tier", "backend"}}},
        {"annotations", {{"bench.minik8s.io/owner", "issue-12"}}}}},
      {"spec",
       {{"containers",
         json::array(
             {{{"name", "greet-container"},
               {"image", "greeting-app"},
               {"env", {{{"name", "NAME"}, {"value", "World"}}, {{"name", "GREETING"}, {"value", "Hello"}}}},
               {"ports", {{{"containerPort", 5000}, {"protocol", "TCP"}}}},
               {"resources", resources("10m", "10Mi")},
               {"volumeMounts", mount}},
              {{"name", "welcome-container"},
               {"image", "welcome-app"},
               {"env", {{{"name", "VERSION"}, {"value", "2"}}}},
               {"ports", {{{"containerPort", 80}, {"name", "http"}, {"protocol", "TCP"}}}},
               {"resources", resources("10m", "10Mi")},
               {"volumeMounts", mount}},
              {{"name", "dir-creator"},
               {"image", "busybox:1.36.1"},
               {"command", {"sh", "-c"}},
               {"args", {"mkdir -p /testCommand && tail -f /dev/null"}},
               {"resources", resources("5m", "8Mi")},
               {"volumeMounts", mount}}})},
        {"resources",
         {{"requests", {{"cpu", "10m"}, {"memory", "10Mi"}}},
          {"limits", {{"cpu", "30m"}, {"memory", "30Mi"}}}}},
        {"volumes", {{{"name", "shared-data"}, {"hostPath", {{"path", "/root/shared_dir"}}}}}},
        {"nodeName", "vahag-node"}}}};
}

// What a kubelet writes into the status of `pod` once its three containers run (added to
// a pod the apiserver has already normalized and stamped).
inline void addRunningStatus(nlohmann::json& pod) {
  using nlohmann::json;
  const std::string t0 = "2026-12-07T06:00:00Z", t1 = "2026-12-07T06:00:02Z";
  auto condition = [&](const char* type) {
    return json{{"type", type}, {"status", "True"}, {"lastProbeTime", nullptr},
                {"lastTransitionTime", type == std::string("PodScheduled") ? t0 : t1}};
  };
  json statuses = json::array();
  int i = 0;
  for (const auto& c : pod["spec"]["containers"]) {
    statuses.push_back(
        {{"name", c["name"]},
         {"image", c["image"]},
         {"imageID", "sha256:4b8a2c1e6f0d3b7a9c5e2f1d0a8b6c4e2f0d9b7a5c3e1f0d8b6a4c2e0f9d7b5" +
                         std::to_string(i)},
         {"containerID", "containerd://9f2b7c4e1a6d3f8b0c5e2a7d4f1b8c6e3a0d5f2b9c7e4a1d6f3b8c0e5a2d7f4" +
                             std::to_string(i)},
         {"ready", true},
         {"started", true},
         {"restartCount", 0},
         {"state", {{"running", {{"startedAt", t1}}}}},
         {"lastState", json::object()}});
    ++i;
  }
  pod["status"] = {
      {"phase", "Running"},
      {"conditions",
       {condition("PodReadyToStartContainers"), condition("Initialized"), condition("Ready"),
        condition("ContainersReady"), condition("PodScheduled")}},
      {"hostIP", "10.0.0.4"},
      {"hostIPs", {{{"ip", "10.0.0.4"}}}},
      {"podIP", "10.244.0.17"},
      {"podIPs", {{{"ip", "10.244.0.17"}}}},
      {"startTime", t0},
      {"containerStatuses", statuses},
      {"qosClass", "Burstable"}};
}

}  // namespace minik8s::bench
