// DaemonSetController: one pod of each DaemonSet on every node that should run it
// (Kubernetes' DaemonSet controller).
//
// sync(key) is level-triggered. For each Node, nodeShouldRunDaemonPod (pure) decides from
// the template's nodeSelector, required node affinity and the node's taints (NoSchedule and
// NoExecute to start, NoExecute alone to keep running) whether a daemon pod belongs there.
// Missing pods are created bound to their node the Kubernetes 1.32 way: a required node
// affinity term `metadata.name In [node]`, placed by the scheduler; they carry the
// daemon tolerations (not-ready and unreachable NoExecute forever, the pressure and
// unschedulable NoSchedule taints). Pods on nodes that should not run one, failed pods and
// duplicates are deleted. Updates: the template's hash is the pods'
// `controller-revision-hash` label; RollingUpdate deletes old pods while at most
// maxUnavailable daemon pods are unavailable (maxSurge is not implemented: surge counts as 0);
// OnDelete waits for the user. Status counts follow the API's definitions. Expectations
// as in the ReplicaSet controller. Events: SuccessfulCreate, FailedCreate, SuccessfulDelete.
//
// Not yet: ControllerRevision objects (so `kubectl rollout undo daemonset` has no history)
// and maxSurge.
// Thread-safe; one sync per key at a time.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "api/types_apps.h"
#include "api/types_core.h"
#include "client/client.h"
#include "client/controller_loop.h"
#include "client/event_recorder.h"
#include "client/informer.h"
#include "client/work_queue.h"
#include "common/clock.h"
#include "controller/expectations.h"

namespace minik8s::controller {

inline constexpr char kControllerRevisionHashLabel[] = "controller-revision-hash";

struct NodeShouldRun {
  bool run = false;       // a new daemon pod belongs there
  bool keep = false;      // an existing one may stay
};
NodeShouldRun nodeShouldRunDaemonPod(const api::Node& node, const api::DaemonSet& ds);

// The template of the DaemonSet's pods: its hash label and the daemon tolerations added.
api::PodTemplateSpec daemonPodTemplate(const api::DaemonSet& ds, const std::string& hash);
std::string daemonSetHash(const api::DaemonSet& ds);

class DaemonSetController {
 public:
  DaemonSetController(client::Client& client, client::SharedInformerFactory& informers,
                      Clock& clock = Clock::real());
  // For tests: prefilled caches, no handlers.
  DaemonSetController(client::Client& client, const client::ObjectCache<api::DaemonSet>& sets,
                      const client::ObjectCache<api::Pod>& pods,
                      const client::ObjectCache<api::Node>& nodes, Clock& clock = Clock::real());
  ~DaemonSetController();
  DaemonSetController(const DaemonSetController&) = delete;
  DaemonSetController& operator=(const DaemonSetController&) = delete;

  Status run(int workers, std::chrono::milliseconds sync_timeout = std::chrono::seconds(30));
  void stop();

  // key: "namespace/name".
  Status sync(const std::string& key);
  client::WorkQueue& queue() { return queue_; }

 private:
  void enqueueAll();
  void onPod(const api::Pod& pod, bool deleted);
  void recordEvent(const api::DaemonSet& ds, const std::string& type, const std::string& reason,
                   const std::string& message);

  client::Client& client_;
  const client::ObjectCache<api::DaemonSet>& sets_;
  const client::ObjectCache<api::Pod>& pods_;
  const client::ObjectCache<api::Node>& nodes_;
  Clock& clock_;
  Expectations expectations_;
  client::EventRecorder events_;
  std::vector<client::InformerBase*> informers_;
  client::WorkQueue queue_;
  client::ControllerLoop loop_;
};

}  // namespace minik8s::controller
