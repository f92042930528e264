#include "client/informer.h"

#include <algorithm>

namespace minik8s::client {

using nlohmann::json;

std::string objectKey(const json& object) {
  const json& md = object.value("metadata", json::object());
  std::string ns = md.value("namespace", "");
  std::string name = md.value("name", "");
  return ns.empty() ? name : ns + "/" + name;
}

std::string resourceVersionOf(const json& object) {
  return object.value("metadata", json::object()).value("resourceVersion", "");
}

Reflector::Reflector(Client& client, api::ResourceInfo resource, InformerOptions options,
                     Sink& sink)
    : client_(client), resource_(std::move(resource)), options_(std::move(options)), sink_(sink) {}

Status Reflector::watchOnce(std::string* rv, std::stop_token stop) {
  ListOptions opts;
  opts.label_selector = options_.label_selector;
  opts.field_selector = options_.field_selector;
  opts.resource_version = *rv;
  opts.timeout_seconds = options_.watch_timeout_seconds;
  bool gone_event = false;
  Status s = client_.watch(
      resource_, options_.ns, opts,
      [&](const WatchEvent& event) {
        if (event.type == "ERROR") {
          int code = event.object.value("code", 0);
          if (code == 410) gone_event = true;
          log::info("reflector {}: watch error event: {}", resource_.plural,
                    event.object.value("message", ""));
          return false;
        }
        std::string new_rv = resourceVersionOf(event.object);
        if (!new_rv.empty()) *rv = new_rv;
        if (event.type != "BOOKMARK") sink_.apply(event.type, event.object);
        return true;
      },
      stop);
  if (gone_event) return gone("watch: resourceVersion too old");
  if (!s.isOk()) return s;
  return Status::ok();
}

void Reflector::run(std::stop_token stop) {
  std::chrono::milliseconds backoff = options_.initial_backoff;
  std::mutex mu;
  std::condition_variable_any cv;
  auto sleep = [&](std::chrono::milliseconds d) {
    std::unique_lock lock(mu);
    cv.wait_for(lock, stop, d, [] { return false; });
  };
  while (!stop.stop_requested()) {
    ListOptions opts;
    opts.label_selector = options_.label_selector;
    opts.field_selector = options_.field_selector;
    auto listed = client_.list(resource_, options_.ns, opts);
    if (!listed.isOk()) {
      log::warn("reflector {}: list failed: {}; retrying in {}ms", resource_.plural,
                listed.status().toString(), backoff.count());
      sleep(backoff);
      backoff = std::min(backoff * 2, options_.max_backoff);
      continue;
    }
    ++lists_;
    std::string rv = listed->value("metadata", json::object()).value("resourceVersion", "");
    std::vector<json> items;
    if (listed->contains("items") && (*listed)["items"].is_array()) {
      for (auto& item : (*listed)["items"]) items.push_back(std::move(item));
    }
    sink_.replace(std::move(items));
    backoff = options_.initial_backoff;
    // Watch until a relist is needed.
    while (!stop.stop_requested()) {
      Status s = watchOnce(&rv, stop);
      if (stop.stop_requested()) return;
      if (s.isOk()) continue;  // the server ended the stream: re-watch from rv
      if (s.code() == Code::kGone) {
        log::info("reflector {}: {}; relisting", resource_.plural, s.message());
      } else {
        log::warn("reflector {}: watch failed: {}; relisting in {}ms", resource_.plural,
                  s.toString(), backoff.count());
        sleep(backoff);
        backoff = std::min(backoff * 2, options_.max_backoff);
      }
      break;
    }
  }
}

}  // namespace minik8s::client
