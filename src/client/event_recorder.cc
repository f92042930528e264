#include "client/event_recorder.h"

#include <cstdio>

#include "api/scheme.h"
#include "common/log.h"

namespace minik8s::client {

using nlohmann::json;

std::string eventDedupKey(const EventSource& source, const EventTarget& target,
                          const EventRecord& record) {
  // Fields joined by the ASCII unit separator, which names, kinds and reasons cannot hold.
  std::string key;
  for (const std::string* part :
       {&source.component, &source.host, &target.kind, &target.api_version, &target.namespace_,
        &target.name, &target.uid, &target.field_path, &record.type, &record.reason,
        &record.message}) {
    key += *part;
    key += '\x1f';
  }
  return key;
}

EventTarget podEventTarget(const api::Pod& pod, std::string field_path) {
  return {"Pod",
          "v1",
          pod.metadata.namespace_,
          pod.metadata.name,
          pod.metadata.uid,
          pod.metadata.resource_version,
          std::move(field_path)};
}

json firstEvent(const EventSource& source, const EventTarget& target, const EventRecord& record,
                Clock::WallTime now) {
  char suffix[32];
  std::snprintf(suffix, sizeof(suffix), ".%llx",
                static_cast<unsigned long long>(now.time_since_epoch().count()));
  json involved = {{"kind", target.kind},
                   {"apiVersion", target.api_version},
                   {"namespace", target.namespace_},
                   {"name", target.name},
                   {"uid", target.uid}};
  if (!target.resource_version.empty()) involved["resourceVersion"] = target.resource_version;
  if (!target.field_path.empty()) involved["fieldPath"] = target.field_path;
  json event_source = {{"component", source.component}};
  if (!source.host.empty()) event_source["host"] = source.host;
  std::string ts = formatRfc3339(now);
  json event = {{"apiVersion", "v1"},
                {"kind", "Event"},
                {"metadata", {{"name", target.name + suffix}, {"namespace", target.namespace_}}},
                {"involvedObject", std::move(involved)},
                {"reason", record.reason},
                {"message", record.message},
                {"type", record.type},
                {"source", std::move(event_source)},
                {"reportingComponent", source.component},
                {"firstTimestamp", ts},
                {"lastTimestamp", ts},
                {"count", 1}};
  if (!source.host.empty()) event["reportingInstance"] = source.host;
  return event;
}

json repeatPatch(int64_t count, Clock::WallTime now) {
  return {{"count", count}, {"lastTimestamp", formatRfc3339(now)}};
}

EventRecorder::EventRecorder(Client& client, EventSource source, Clock& clock,
                             size_t max_tracked)
    : client_(client),
      source_(std::move(source)),
      clock_(clock),
      max_tracked_(max_tracked == 0 ? 1 : max_tracked),
      events_(api::findResource("", "v1", "events")) {}

void EventRecorder::record(const EventTarget& target, const EventRecord& record) {
  std::string key = eventDedupKey(source_, target, record);
  if (auto repeat = countRepeat(key)) {
    std::string patch = repeatPatch(repeat->count, clock_.now()).dump();
    auto patched =
        client_.patch(*events_, repeat->namespace_, repeat->name, PatchType::kMerge, patch);
    if (patched.isOk()) return;
    if (patched.status().code() != Code::kNotFound) {
      log::debug("{}: event {}: {}", source_.component, record.reason, patched.status().toString());
      return;
    }
    // The Event expired or was deleted: start a new one.
  }
  if (!createFirst(key, target, record)) forget(key);
}

std::optional<EventRecorder::Tracked> EventRecorder::countRepeat(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = tracked_.find(key);
  if (it == tracked_.end()) return std::nullopt;
  ++it->second.count;
  lru_.splice(lru_.begin(), lru_, it->second.lru_position);
  return it->second;
}

void EventRecorder::remember(const std::string& key, const std::string& namespace_,
                             const std::string& name, int64_t count) {
  std::lock_guard lock(mu_);
  if (auto it = tracked_.find(key); it != tracked_.end()) {
    lru_.erase(it->second.lru_position);
    tracked_.erase(it);
  }
  lru_.push_front(key);
  tracked_[key] = Tracked{namespace_, name, count, lru_.begin()};
  while (tracked_.size() > max_tracked_) {
    tracked_.erase(lru_.back());
    lru_.pop_back();
  }
}

void EventRecorder::forget(const std::string& key) {
  std::lock_guard lock(mu_);
  if (auto it = tracked_.find(key); it != tracked_.end()) {
    lru_.erase(it->second.lru_position);
    tracked_.erase(it);
  }
}

bool EventRecorder::createFirst(const std::string& key, const EventTarget& target,
                                const EventRecord& record) {
  json event = firstEvent(source_, target, record, clock_.now());
  std::string name = event["metadata"]["name"];
  // Remembered before the write so that a repeat racing this create patches it.
  remember(key, target.namespace_, name, 1);
  auto created = client_.create(*events_, target.namespace_, event);
  if (!created.isOk()) {
    log::debug("{}: event {}: {}", source_.component, record.reason, created.status().toString());
    return false;
  }
  return true;
}

}  // namespace minik8s::client
