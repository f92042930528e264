// EventRecorder: writes core/v1 Events about objects, the way client-go's recorder does
// for kubectl describe: the first occurrence creates an Event named <object>.<hex time>;
// a repeat (same object, type, reason and message from the same source) patches that
// Event's count and lastTimestamp instead of adding another object, so a crash-looping pod
// or an unschedulable pod retried for an hour leaves one Event per distinct message.
//
// Best effort: a failed write is logged and forgotten (events never block a component).
// Thread-safe; remembers the last `max_tracked` distinct events (least recently used
// forgotten first).
#pragma once

#include <cstdint>
#include <list>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>

#include "api/types_core.h"
#include "client/rest_client.h"
#include "common/clock.h"

namespace minik8s::client {

// Who reports: source.component / source.host, reportingComponent / reportingInstance.
struct EventSource {
  std::string component;
  std::string host;  // "" for control-plane components
};

// What the event is about (involvedObject).
struct EventTarget {
  std::string kind;
  std::string api_version;
  std::string namespace_;
  std::string name;
  std::string uid;
  std::string resource_version;  // optional
  std::string field_path;        // optional, e.g. spec.containers{app}
};

// A pod as involvedObject (field_path names a container: spec.containers{app}).
EventTarget podEventTarget(const api::Pod& pod, std::string field_path = "");

struct EventRecord {
  std::string type;  // Normal | Warning
  std::string reason;
  std::string message;
};

// The identity under which repeats of one event are counted.
std::string eventDedupKey(const EventSource& source, const EventTarget& target,
                          const EventRecord& record);

// The Event for a first occurrence at `now`.
nlohmann::json firstEvent(const EventSource& source, const EventTarget& target,
                          const EventRecord& record, Clock::WallTime now);

// The merge patch that makes an existing Event say it happened `count` times, last at `now`.
nlohmann::json repeatPatch(int64_t count, Clock::WallTime now);

class EventRecorder {
 public:
  EventRecorder(Client& client, EventSource source, Clock& clock = Clock::real(),
                size_t max_tracked = 4096);

  void record(const EventTarget& target, const EventRecord& record);

 private:
  struct Tracked {
    std::string namespace_;
    std::string name;
    int64_t count = 0;
    std::list<std::string>::iterator lru_position;
  };

  // The tracked occurrence of `key` after counting one more, or nullopt for a first one.
  std::optional<Tracked> countRepeat(const std::string& key);
  void remember(const std::string& key, const std::string& namespace_, const std::string& name,
                int64_t count);
  void forget(const std::string& key);
  bool createFirst(const std::string& key, const EventTarget& target, const EventRecord& record);

  Client& client_;
  const EventSource source_;
  Clock& clock_;
  const size_t max_tracked_;
  const api::ResourceInfo* events_;

  std::mutex mu_;
  std::unordered_map<std::string, Tracked> tracked_;  // GUARDED_BY(mu_)
  std::list<std::string> lru_;                        // GUARDED_BY(mu_), most recent first
};

}  // namespace minik8s::client
