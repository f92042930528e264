#include "controller/taint_eviction.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "api/codec.h"
#include "api/taints.h"
#include "common/log.h"
#include "controller/pod_util.h"

namespace minik8s::controller {

using nlohmann::json;

namespace {

constexpr char kNodeNameIndex[] = "spec.nodeName";


std::vector<api::Taint> noExecuteTaints(const api::Node& node) {
  std::vector<api::Taint> out;
  for (const auto& t : node.spec.taints) {
    if (t.effect == "NoExecute") out.push_back(t);
  }
  return out;
}

bool sameTaints(const std::vector<api::Taint>& a, const std::vector<api::Taint>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].key != b[i].key || a[i].value != b[i].value) return false;
  }
  return true;
}

bool sameTolerations(const std::vector<api::Toleration>& a, const std::vector<api::Toleration>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].key != b[i].key || a[i].op != b[i].op || a[i].value != b[i].value ||
        a[i].effect != b[i].effect || a[i].toleration_seconds != b[i].toleration_seconds)
      return false;
  }
  return true;
}

}  // namespace

std::optional<std::chrono::seconds> evictionDelay(const std::vector<api::Toleration>& tolerations,
                                                  const std::vector<api::Taint>& taints) {
  std::optional<std::chrono::seconds> delay;
  for (const auto& taint : taints) {
    if (taint.effect != "NoExecute") continue;
    bool tolerated = false;
    for (const auto& t : tolerations) {
      if (!api::toleratesTaint(t, taint)) continue;
      tolerated = true;
      if (!t.toleration_seconds) continue;  // forever
      auto seconds = std::chrono::seconds(std::max<int64_t>(*t.toleration_seconds, 0));
      if (!delay || seconds < *delay) delay = seconds;
    }
    if (!tolerated) return std::chrono::seconds(0);
  }
  return delay;
}

TaintEvictionController::TaintEvictionController(client::Client& client,
                                                 const client::ObjectCache<api::Pod>& pods,
                                                 const client::ObjectCache<api::Node>& nodes,
                                                 Clock& clock)
    : client_(client),
      pods_(pods),
      nodes_(nodes),
      clock_(clock),
      recorder_(client, {"taint-eviction-controller", ""}, clock),
      queue_(clock),
      loop_("taint-eviction", queue_, [this](const std::string& key) { return sync(key); }) {}

TaintEvictionController::TaintEvictionController(client::Client& client,
                                                 client::SharedInformerFactory& informers,
                                                 Clock& clock)
    : TaintEvictionController(client, informers.informerFor<api::Pod>(podsResource()).cache(),
                              informers.informerFor<api::Node>(nodesResource()).cache(), clock) {
  auto& pods = informers.informerFor<api::Pod>(podsResource());
  auto& nodes = informers.informerFor<api::Node>(nodesResource());
  pods.addIndex(kNodeNameIndex, [](const api::Pod& p) {
    return p.spec.node_name.empty() ? std::vector<std::string>{} : std::vector{p.spec.node_name};
  });
  pods.addHandler({
      .on_add = [this](const auto& p) {
        if (!p->spec.node_name.empty()) queue_.add(keyOf(p->metadata));
      },
      .on_update = [this](const auto& old_pod, const auto& p) {
        if (p->spec.node_name.empty()) return;
        if (old_pod->spec.node_name != p->spec.node_name ||
            !sameTolerations(old_pod->spec.tolerations, p->spec.tolerations)) {
          queue_.add(keyOf(p->metadata));
        }
      },
      .on_delete = nullptr,
  });
  nodes.addHandler({
      .on_add = [this](const auto& n) { onNodeChanged(nullptr, *n); },
      .on_update = [this](const auto& old_node, const auto& n) { onNodeChanged(old_node.get(), *n); },
      .on_delete = nullptr,
  });
  informers_ = {&pods, &nodes};
}

TaintEvictionController::~TaintEvictionController() {
  stop();
}

Status TaintEvictionController::run(int workers, std::chrono::milliseconds sync_timeout) {
  return loop_.run(workers, informers_, sync_timeout);
}

void TaintEvictionController::stop() {
  loop_.stop();
}

void TaintEvictionController::onNodeChanged(const api::Node* old_node, const api::Node& node) {
  std::vector<api::Taint> taints = noExecuteTaints(node);
  if (old_node ? sameTaints(noExecuteTaints(*old_node), taints) : taints.empty()) return;
  for (const auto& pod : pods_.byIndex(kNodeNameIndex, node.metadata.name)) {
    queue_.add(keyOf(pod->metadata));
  }
}

Status TaintEvictionController::sync(const std::string& key) {
  auto pod = pods_.get(key);
  if (!pod || pod->spec.node_name.empty() || !pod->metadata.deletion_timestamp.empty()) {
    return Status::ok();
  }
  auto node = nodes_.get(pod->spec.node_name);
  if (!node) return Status::ok();
  std::vector<api::Taint> taints = noExecuteTaints(*node);
  auto delay = evictionDelay(pod->spec.tolerations, taints);
  if (!delay) return Status::ok();
  // The countdown starts at the earliest of the taints' timeAdded.
  Clock::WallTime since = clock_.now();
  for (const auto& t : taints) {
    Clock::WallTime added;
    if (!t.time_added.empty() && parseRfc3339(t.time_added, &added) && added < since) since = added;
  }
  auto due = since + *delay;
  if (due > clock_.now()) {
    queue_.addAfter(key, due - clock_.now());
    return Status::ok();
  }
  log::info("taint eviction: evicting pod {} from node {}", key, pod->spec.node_name);
  recorder_.record({"Pod", "v1", pod->metadata.namespace_, pod->metadata.name, pod->metadata.uid, "", ""},
                   {"Normal", "TaintManagerEviction", "Marking for deletion Pod " + key});
  // Kubernetes' DisruptionTarget condition tells the pod's owner why it went.
  json conditions = json::array();
  for (const auto& c : pod->status.conditions) {
    if (c.type != "DisruptionTarget") conditions.push_back(api::toJson(c));
  }
  conditions.push_back({{"type", "DisruptionTarget"},
                        {"status", "True"},
                        {"reason", "DeletionByTaintManager"},
                        {"message", "Taint manager: deleting due to NoExecute taint"},
                        {"lastTransitionTime", formatRfc3339(clock_.now())}});
  json patch = {{"status", {{"conditions", conditions}}}};
  auto marked = client_.patch(podsResource(), pod->metadata.namespace_, pod->metadata.name,
                              client::PatchType::kMerge, patch.dump(),
                              client::PatchOptions{.subresource = "status"});
  if (!marked.isOk() && marked.status().code() != Code::kNotFound) return marked.status();
  client::DeleteOptions options;
  options.precondition_uid = pod->metadata.uid;
  auto gone = client_.remove(podsResource(), pod->metadata.namespace_, pod->metadata.name, options);
  if (!gone.isOk() && gone.status().code() != Code::kNotFound &&
      gone.status().code() != Code::kConflict) {
    return gone.status();
  }
  return Status::ok();
}

}  // namespace minik8s::controller
