// NodeStatusManager: the kubelet's Node and its Lease (Kubernetes' node status manager and
// node lease controller). registerNode() creates the Node, or takes over an existing one
// (its labels and podCIDR patched, the rest kept), writes its status and creates the Lease
// in kube-node-lease; the heartbeat thread then writes the status and renews the Lease
// every period, registering again when someone deleted the Node. What the status says is
// decided by desiredNode (node_info.h) from the host, the runtime's health and its version.
//
// Owned by the Kubelet: registerNode() until it succeeds, then start(); stop() once (also
// from the destructor). Thread-safe.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <thread>

#include "api/types_core.h"
#include "client/client.h"
#include "common/clock.h"
#include "common/status.h"
#include "cri/runtime.h"
#include "kubelet/node_info.h"

namespace minik8s::kubelet {

class NodeStatusManager {
 public:
  NodeStatusManager(client::Client& client, cri::Runtime& runtime, NodeConfig node,
                    std::chrono::milliseconds heartbeat_period, Clock& clock = Clock::real());
  ~NodeStatusManager();

  // Creates or takes over the Node, writes its status and renews the Lease.
  Status registerNode();
  // Starts the heartbeat thread: heartbeat() every period.
  void start();
  void stop();
  // Writes the node status and renews the Lease once; failures are logged.
  void heartbeat();

  // The host's facts and "<runtime>://<version>" as last registered.
  HostInfo host() const;
  std::string runtimeVersion() const;

 private:
  Status updateNodeStatus();
  Status renewLease();
  RuntimeHealth runtimeHealth();
  NodeConfig config() const;  // node_ with the runtime's version

  client::Client& client_;
  cri::Runtime& runtime_;
  const NodeConfig node_;
  const std::chrono::milliseconds heartbeat_period_;
  Clock& clock_;

  mutable std::mutex mu_;
  HostInfo host_;                // GUARDED_BY(mu_)
  std::string runtime_version_;  // GUARDED_BY(mu_)
  api::Node last_node_;          // GUARDED_BY(mu_)

  std::jthread heartbeat_;
};

}  // namespace minik8s::kubelet
