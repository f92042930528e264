// Probe workers of the kubelet: liveness, readiness and startup probes of every running
// container of the node, with Kubernetes' semantics (thresholds, initial delay, period,
// startup gating), scheduled on the injected Clock.
//
// The decisions are pure functions (nextProbeStatus, containerProbeState) with table
// tests; ProbeManager is the thin effectful part: one scheduler thread that wakes at the
// next due time (or when syncPod/removePod/wake/stop change something) and a small pool
// that runs the probes, which may block up to their timeout.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "api/types_core.h"
#include "common/clock.h"
#include "cri/runtime.h"
#include "kubelet/prober.h"

namespace minik8s::kubelet {

enum class ProbeType { kLiveness, kReadiness, kStartup };

std::string_view probeTypeName(ProbeType type);  // "Liveness", "Readiness", "Startup"

// A container the runtime reports running, as the kubelet passes it to syncPod.
struct RunningContainer {
  std::string name;
  std::string id;
  std::chrono::system_clock::time_point started_at;
};

// What the probes say about one container, for the pod status and for restarts.
struct ContainerProbeState {
  bool started = false;          // no startup probe: true; else the startup probe succeeded
  bool ready = false;            // started, and the readiness probe (if any) succeeds
  bool liveness_failed = false;  // liveness or startup probe failed: restart the container
  std::string message;           // the latest failure ("Liveness probe failed: ...")

  bool operator==(const ContainerProbeState&) const = default;
};

// The threshold state of one probe of one container, as Kubernetes' probe worker keeps it.
struct ProbeStatus {
  ProbeResult result = ProbeResult::kUnknown;  // the settled result the kubelet acts on
  ProbeResult last = ProbeResult::kUnknown;    // the latest counted answer
  int32_t run = 0;                             // how many times in a row `last` came
  bool on_hold = false;  // liveness/startup settled on failure: no probing until restart
  bool done = false;     // startup settled on success: no more probing

  bool operator==(const ProbeStatus&) const = default;
};

// Before the first answer: liveness kSuccess, readiness kFailure, startup kUnknown.
ProbeStatus initialProbeStatus(ProbeType type);

// Counts one answer. The settled result changes only after `success_threshold` successes
// or `failure_threshold` failures in a row; kUnknown answers are not counted.
ProbeStatus nextProbeStatus(ProbeType type, const ProbeStatus& status, ProbeResult answer,
                            int32_t success_threshold, int32_t failure_threshold);

// Combines the probes a container has (nullptr: no such probe).
ContainerProbeState containerProbeState(const ProbeStatus* startup, const ProbeStatus* readiness,
                                        const ProbeStatus* liveness);

// One probe run, as handed to a ProbeRunner. The references live for the call.
struct ProbeTarget {
  ProbeType type;
  const api::Probe& probe;  // with defaults filled in
  const api::Container& container;
  const std::string& pod_ip;
  const std::string& container_id;
};

// Runs one probe; must be thread-safe. The default runs the real handlers (runProbe).
using ProbeRunner = std::function<ProbeOutcome(const ProbeTarget&)>;

// Owns the probe workers of all pods of the node; owned by the kubelet. Thread-safe.
// `on_change(pod_uid)` is called without any lock held (from a pool thread, or from
// runDueProbes' caller) whenever started/ready/liveness_failed of one of the pod's
// containers changes because of a probe answer; never from syncPod or removePod.
class ProbeManager {
 public:
  struct Options {
    ProbeRunner runner;  // empty: runProbe against the runtime
    // Threads that run probes. 0: no threads at all (no scheduler either); the owner
    // drives everything with runDueProbes(), as unit tests do.
    int threads = 2;
  };

  ProbeManager(cri::Runtime& runtime, Clock& clock,
               std::function<void(const std::string& pod_uid)> on_change);
  ProbeManager(cri::Runtime& runtime, Clock& clock,
               std::function<void(const std::string& pod_uid)> on_change, Options options);
  ~ProbeManager();  // stop()
  ProbeManager(const ProbeManager&) = delete;
  ProbeManager& operator=(const ProbeManager&) = delete;

  // Called by the kubelet after every sync of `pod`. Starts workers for the running
  // containers (spec.containers and restartable init containers) that have probes; a
  // container whose id changed (a restart) gets fresh workers; containers no longer
  // running lose theirs. `pod_ip` is the default host of httpGet/tcpSocket probes.
  void syncPod(const api::Pod& pod, const std::string& pod_ip,
               const std::vector<RunningContainer>& running);
  void removePod(const std::string& pod_uid);

  // The probe state of a container passed to syncPod (with or without probes). An
  // unknown id answers all false with message "unknown container".
  ContainerProbeState state(const std::string& container_id) const;

  // Stops the scheduler and joins the pool (a running probe finishes first). Idempotent.
  void stop();

  // Runs every probe due at clock.now() on the calling thread, again until none is due;
  // returns how many probes ran. The way to drive a manager with threads = 0.
  int runDueProbes();
  // Makes the scheduler re-read the clock (e.g. after a FakeClock advance).
  void wake();

 private:
  struct Worker {
    ProbeType type;
    api::Probe probe;  // defaults filled in
    ProbeStatus status;
    std::string message;  // of the latest answer that was not a success
    Clock::WallTime first_due;
    Clock::WallTime due;
    bool in_flight = false;
  };
  struct Entry {  // one running container
    std::string pod_uid;
    std::string id;
    std::shared_ptr<const api::Container> container;
    std::string pod_ip;
    std::vector<Worker> workers;  // at most one per type
  };
  struct Task {
    std::shared_ptr<Entry> entry;
    size_t worker;
    ProbeType type;
    api::Probe probe;
    std::string pod_ip;
  };

  // REQUIRES: mu_ is held.
  std::vector<Task> takeDueLocked(Clock::WallTime now);
  Clock::WallTime nextDueLocked() const;
  void removeEntryLocked(const std::string& container_id);
  static ContainerProbeState stateOf(const Entry& entry);
  bool isCurrentLocked(const Task& task) const;

  ProbeOutcome runTask(const Task& task);
  // Records an answer; returns the pod uid to notify, or "" when nothing changed.
  std::string apply(const Task& task, const ProbeOutcome& outcome);
  void schedulerLoop();
  void poolLoop();

  cri::Runtime& runtime_;
  Clock& clock_;
  std::function<void(const std::string&)> on_change_;
  ProbeRunner runner_;

  mutable std::mutex mu_;
  std::condition_variable scheduler_cv_;
  std::condition_variable pool_cv_;
  std::map<std::string, std::shared_ptr<Entry>> entries_;  // by container id. GUARDED_BY(mu_)
  std::map<std::string, std::map<std::string, std::string>>
      pods_;                // uid -> name -> id. GUARDED_BY(mu_)
  std::deque<Task> queue_;  // GUARDED_BY(mu_)
  bool stopping_ = false;   // GUARDED_BY(mu_)
  bool woken_ = false;      // GUARDED_BY(mu_)

  std::vector<std::jthread> threads_;  // scheduler first, then the pool
};

}  // namespace minik8s::kubelet
