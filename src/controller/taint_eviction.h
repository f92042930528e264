// TaintEvictionController: deletes pods from nodes with NoExecute taints they do not
// tolerate, or tolerate only for a while (Kubernetes' taint-eviction-controller, the
// former NoExecuteTaintManager).
//
// sync(pod key) is level-triggered: evictionDelay() on the pod's tolerations and its
// node's NoExecute taints decides now, later (the key is requeued for then) or never. The
// wait counts from the earliest of those taints' timeAdded, so a restarted controller
// neither forgets nor restarts a countdown. Evicting records the TaintManagerEviction
// event, adds the DisruptionTarget condition (reason DeletionByTaintManager) and deletes
// the pod with its uid as precondition; the pod keeps its grace period.
// Queued: a pod when it is bound or its tolerations change; every pod of a node when the
// node's NoExecute taints change.
// Thread-safe.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/types_core.h"
#include "client/client.h"
#include "client/controller_loop.h"
#include "client/event_recorder.h"
#include "client/informer.h"
#include "client/work_queue.h"
#include "common/clock.h"

namespace minik8s::controller {

// How long after the taints appeared a pod is evicted: 0 when a NoExecute taint is not
// tolerated; the smallest tolerationSeconds of the tolerations used (negative counts as
// 0); nullopt when they tolerate forever or there is no NoExecute taint.
std::optional<std::chrono::seconds> evictionDelay(const std::vector<api::Toleration>& tolerations,
                                                  const std::vector<api::Taint>& taints);

class TaintEvictionController {
 public:
  TaintEvictionController(client::Client& client, client::SharedInformerFactory& informers,
                          Clock& clock = Clock::real());
  // For tests: prefilled caches, no handlers.
  TaintEvictionController(client::Client& client, const client::ObjectCache<api::Pod>& pods,
                          const client::ObjectCache<api::Node>& nodes, Clock& clock = Clock::real());
  ~TaintEvictionController();
  TaintEvictionController(const TaintEvictionController&) = delete;
  TaintEvictionController& operator=(const TaintEvictionController&) = delete;

  Status run(int workers, std::chrono::milliseconds sync_timeout = std::chrono::seconds(30));
  void stop();

  // key: "namespace/name" of a pod.
  Status sync(const std::string& key);
  client::WorkQueue& queue() { return queue_; }

 private:
  void onNodeChanged(const api::Node* old_node, const api::Node& node);

  client::Client& client_;
  const client::ObjectCache<api::Pod>& pods_;
  const client::ObjectCache<api::Node>& nodes_;
  Clock& clock_;
  client::EventRecorder recorder_;
  std::vector<client::InformerBase*> informers_;
  client::WorkQueue queue_;
  client::ControllerLoop loop_;
};

}  // namespace minik8s::controller
