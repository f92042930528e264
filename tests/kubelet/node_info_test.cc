#include "kubelet/node_info.h"

#include <gtest/gtest.h>

namespace minik8s::kubelet {
namespace node_info_test {

NodeConfig config() {
  NodeConfig c;
  c.node_name = "node-a";
  c.node_ip = "192.168.1.10";
  c.kubelet_port = 10250;
  c.pod_cidr = "10.244.1.0/24";
  c.runtime_version = "containerd://1.6.20";
  return c;
}

HostInfo host() {
  HostInfo h;
  h.cpus = 4;
  h.memory_bytes = 8LL * 1024 * 1024 * 1024;
  h.kernel_version = "6.1.0";
  h.os_image = "Debian GNU/Linux 12 (bookworm)";
  h.architecture = "amd64";
  h.machine_id = "abc123";
  h.hostname = "box";
  return h;
}

const api::Condition* cond(const api::Node& n, const std::string& type) {
  for (const auto& c : n.status.conditions) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

TEST(DesiredNode, DescribesTheHost) {
  api::Node n = desiredNode(config(), host(), {true, ""}, {}, "2026-01-01T00:00:00Z");
  EXPECT_EQ(n.kind, "Node");
  EXPECT_EQ(n.api_version, "v1");
  EXPECT_EQ(n.metadata.name, "node-a");
  EXPECT_EQ(n.metadata.labels.at("kubernetes.io/hostname"), "node-a");
  EXPECT_EQ(n.metadata.labels.at("kubernetes.io/os"), "linux");
  EXPECT_EQ(n.metadata.labels.at("kubernetes.io/arch"), "amd64");
  EXPECT_EQ(n.spec.pod_cidr, "10.244.1.0/24");
  EXPECT_EQ(n.spec.pod_cidrs, std::vector<std::string>{"10.244.1.0/24"});
  for (const auto* list : {&n.status.capacity, &n.status.allocatable}) {
    EXPECT_EQ(list->at("cpu").value(), 4);
    EXPECT_EQ(list->at("memory").value(), 8LL * 1024 * 1024 * 1024);
    EXPECT_EQ(list->at("pods").value(), 110);
  }
  ASSERT_EQ(n.status.addresses.size(), 2u);
  EXPECT_EQ(n.status.addresses[0].type, "InternalIP");
  EXPECT_EQ(n.status.addresses[0].address, "192.168.1.10");
  EXPECT_EQ(n.status.addresses[1].type, "Hostname");
  EXPECT_EQ(n.status.addresses[1].address, "node-a");
  EXPECT_EQ(n.status.daemon_endpoints.kubelet_endpoint.port, 10250);
  EXPECT_EQ(n.status.node_info.kernel_version, "6.1.0");
  EXPECT_EQ(n.status.node_info.os_image, "Debian GNU/Linux 12 (bookworm)");
  EXPECT_EQ(n.status.node_info.container_runtime_version, "containerd://1.6.20");
  EXPECT_EQ(n.status.node_info.operating_system, "linux");
  EXPECT_EQ(n.status.node_info.architecture, "amd64");
  EXPECT_EQ(n.status.node_info.machine_id, "abc123");
}

TEST(DesiredNode, KeepsThePodCidrOfThePreviousNodeWhenNoneIsConfigured) {
  api::Node previous;
  previous.spec.pod_cidr = "10.244.7.0/24";
  NodeConfig c = config();
  c.pod_cidr = "";
  api::Node n = desiredNode(c, host(), {true, ""}, previous, "2026-01-01T00:00:00Z");
  EXPECT_EQ(n.spec.pod_cidr, "10.244.7.0/24");
}

TEST(DesiredNode, ReadyConditionFollowsRuntimeHealth) {
  struct Case {
    RuntimeHealth health;
    std::string status, reason, message;
  };
  std::vector<Case> cases = {
      {{true, ""}, "True", "KubeletReady", "kubelet is posting ready status"},
      {{false, "container runtime is down"}, "False", "KubeletNotReady",
       "container runtime is down"},
  };
  for (const auto& c : cases) {
    api::Node n = desiredNode(config(), host(), c.health, {}, "2026-01-01T00:00:00Z");
    const api::Condition* ready = cond(n, "Ready");
    ASSERT_NE(ready, nullptr);
    EXPECT_EQ(ready->status, c.status);
    EXPECT_EQ(ready->reason, c.reason);
    EXPECT_EQ(ready->message, c.message);
    EXPECT_EQ(ready->last_heartbeat_time, "2026-01-01T00:00:00Z");
    EXPECT_EQ(ready->last_transition_time, "2026-01-01T00:00:00Z");
    for (const char* pressure : {"MemoryPressure", "DiskPressure", "PIDPressure"}) {
      ASSERT_NE(cond(n, pressure), nullptr) << pressure;
      EXPECT_EQ(cond(n, pressure)->status, "False") << pressure;
    }
  }
}

TEST(DesiredNode, KeepsLastTransitionTimeWhileTheStatusHoldsAndBeatsNow) {
  const std::string t0 = "2026-01-01T00:00:00Z", t1 = "2026-01-01T00:00:40Z",
                    t2 = "2026-01-01T00:01:20Z";
  api::Node first = desiredNode(config(), host(), {true, ""}, {}, t0);
  api::Node second = desiredNode(config(), host(), {true, ""}, first, t1);
  for (const auto& c : second.status.conditions) {
    EXPECT_EQ(c.last_transition_time, t0) << c.type;
    EXPECT_EQ(c.last_heartbeat_time, t1) << c.type;
  }
  api::Node third = desiredNode(config(), host(), {false, "runtime down"}, second, t2);
  EXPECT_EQ(cond(third, "Ready")->last_transition_time, t2);
  EXPECT_EQ(cond(third, "Ready")->last_heartbeat_time, t2);
  EXPECT_EQ(cond(third, "MemoryPressure")->last_transition_time, t0);
  EXPECT_EQ(third.status.conditions.size(), 4u);
}

}  // namespace node_info_test
}  // namespace minik8s::kubelet
