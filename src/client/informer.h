// Informer: a local, indexed, always-up-to-date copy of one collection, fed by a Reflector.
//
// Reflector: LIST, then WATCH from the list's resourceVersion. When the server ends the
// stream it re-watches from the last resourceVersion seen; on 410 Gone (an answer or an
// ERROR event) it relists at once; on any other failure it relists after an exponential
// back-off (reset by a successful list). Runs on the thread that calls run().
//
// Informer<T>: owns a Reflector on its own std::jthread, a thread-safe cache keyed by
// "namespace/name" (or "name") handing out std::shared_ptr<const T> (T is an api struct
// decoded with api::decode, or nlohmann::json as is), named secondary indexes, and event
// handlers (add / update / delete) called on the reflector thread after the cache has
// changed, never with a lock held. A relist calls add/update/delete for the difference.
// Thread-safe: every const method may be called from any thread; addHandler and addIndex
// must be called before start().
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <stop_token>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "api/codec.h"
#include "api/scheme.h"
#include "client/rest_client.h"
#include "common/log.h"
#include "common/status.h"

namespace minik8s::client {

// "namespace/name", or "name" for cluster-scoped objects.
std::string objectKey(const nlohmann::json& object);
// metadata.resourceVersion of an object ("" when none).
std::string resourceVersionOf(const nlohmann::json& object);

struct InformerOptions {
  std::string ns;  // "" = every namespace
  std::string label_selector;
  std::string field_selector;
  std::chrono::milliseconds initial_backoff{100};
  std::chrono::milliseconds max_backoff{std::chrono::seconds(5)};
  int watch_timeout_seconds = 300;  // the server ends each watch after this; we re-watch
};

class Reflector {
 public:
  // What the reflector feeds. Called on the reflector thread only.
  class Sink {
   public:
    virtual ~Sink() = default;
    virtual void replace(std::vector<nlohmann::json> items) = 0;             // after each LIST
    virtual void apply(const std::string& type, nlohmann::json object) = 0;  // ADDED/...
  };

  Reflector(RestClient& client, api::ResourceInfo resource, InformerOptions options, Sink& sink);

  // Lists and watches until `stop` is requested.
  void run(std::stop_token stop);
  int64_t listCount() const { return lists_.load(); }

 private:
  // One watch from `rv`; returns kGone when a relist is needed, ok when the stream ended.
  Status watchOnce(std::string* rv, std::stop_token stop);

  RestClient& client_;
  const api::ResourceInfo resource_;
  const InformerOptions options_;
  Sink& sink_;
  std::atomic<int64_t> lists_{0};
};

template <typename T>
struct EventHandler {
  std::function<void(const std::shared_ptr<const T>&)> on_add;
  std::function<void(const std::shared_ptr<const T>& old_obj,
                     const std::shared_ptr<const T>& new_obj)>
      on_update;
  std::function<void(const std::shared_ptr<const T>&)> on_delete;
};

template <typename T>
class Informer : private Reflector::Sink {
 public:
  using Ptr = std::shared_ptr<const T>;
  using IndexFunc = std::function<std::vector<std::string>(const T&)>;

  Informer(RestClient& client, const api::ResourceInfo& resource, InformerOptions options = {})
      : reflector_(client, resource, std::move(options), *this) {}
  ~Informer() { stop(); }
  Informer(const Informer&) = delete;
  Informer& operator=(const Informer&) = delete;

  // REQUIRES: before start().
  void addHandler(EventHandler<T> handler) { handlers_.push_back(std::move(handler)); }
  void addIndex(const std::string& name, IndexFunc fn) { index_funcs_[name] = std::move(fn); }

  void start() {
    thread_ = std::jthread([this](std::stop_token stop) { reflector_.run(stop); });
  }
  void stop() {
    if (thread_.joinable()) {
      thread_.request_stop();
      thread_.join();
    }
  }

  // True once the first LIST has been applied and its add handlers have returned.
  bool hasSynced() const {
    std::lock_guard lock(mu_);
    return synced_;
  }
  // Waits until synced, `timeout` passes (false) or stop is requested (false).
  bool waitForSync(std::chrono::milliseconds timeout, std::stop_token stop = {}) {
    std::unique_lock lock(mu_);
    return synced_cv_.wait_for(lock, stop, timeout, [&] { return synced_; });
  }

  Ptr get(const std::string& key) const {
    std::lock_guard lock(mu_);
    auto it = items_.find(key);
    return it == items_.end() ? nullptr : it->second;
  }
  std::vector<Ptr> list() const {
    std::lock_guard lock(mu_);
    std::vector<Ptr> out;
    out.reserve(items_.size());
    for (const auto& [key, item] : items_) out.push_back(item);
    return out;
  }
  // Objects whose index function `name` returned `value`.
  std::vector<Ptr> byIndex(const std::string& name, const std::string& value) const {
    std::lock_guard lock(mu_);
    std::vector<Ptr> out;
    auto idx = indexes_.find(name);
    if (idx == indexes_.end()) return out;
    auto keys = idx->second.find(value);
    if (keys == idx->second.end()) return out;
    for (const auto& key : keys->second) {
      if (auto it = items_.find(key); it != items_.end()) out.push_back(it->second);
    }
    return out;
  }
  int64_t listCount() const { return reflector_.listCount(); }

 private:
  struct Entry {
    std::string key;
    std::string rv;
    Ptr obj;
  };

  static Ptr decodeItem(const nlohmann::json& object) {
    if constexpr (std::is_same_v<T, nlohmann::json>) {
      return std::make_shared<const nlohmann::json>(object);
    } else {
      auto decoded = api::decode<T>(object);
      if (!decoded.isOk()) {
        log::warn("informer: skipping {}: {}", objectKey(object), decoded.status().toString());
        return nullptr;
      }
      return std::make_shared<const T>(std::move(decoded).value());
    }
  }

  // REQUIRES: mu_ held.
  void unindexLocked(const std::string& key, const T& obj) {
    for (const auto& [name, fn] : index_funcs_) {
      for (const auto& value : fn(obj)) {
        auto& keys = indexes_[name][value];
        keys.erase(key);
        if (keys.empty()) indexes_[name].erase(value);
      }
    }
  }
  void indexLocked(const std::string& key, const T& obj) {
    for (const auto& [name, fn] : index_funcs_) {
      for (const auto& value : fn(obj)) indexes_[name][value].insert(key);
    }
  }
  // Stores (or with obj == nullptr removes) one item; returns the previous one.
  Ptr storeLocked(const std::string& key, const std::string& rv, Ptr obj) {
    Ptr old;
    if (auto it = items_.find(key); it != items_.end()) {
      old = it->second;
      unindexLocked(key, *old);
      items_.erase(it);
      rvs_.erase(key);
    }
    if (obj) {
      indexLocked(key, *obj);
      items_[key] = obj;
      rvs_[key] = rv;
    }
    return old;
  }

  void notify(const Ptr& old_obj, const Ptr& new_obj) {
    for (const auto& h : handlers_) {
      if (!old_obj && new_obj && h.on_add) h.on_add(new_obj);
      if (old_obj && new_obj && h.on_update) h.on_update(old_obj, new_obj);
      if (old_obj && !new_obj && h.on_delete) h.on_delete(old_obj);
    }
  }

  void replace(std::vector<nlohmann::json> items) override {
    std::vector<std::pair<Ptr, Ptr>> changes;
    {
      std::lock_guard lock(mu_);
      std::set<std::string> seen;
      for (const auto& object : items) {
        std::string key = objectKey(object);
        std::string rv = resourceVersionOf(object);
        seen.insert(key);
        auto rv_it = rvs_.find(key);
        if (rv_it != rvs_.end() && rv_it->second == rv) continue;  // unchanged
        Ptr obj = decodeItem(object);
        if (!obj) continue;
        Ptr old = storeLocked(key, rv, obj);
        changes.emplace_back(old, obj);
      }
      std::vector<std::string> gone;
      for (const auto& [key, item] : items_) {
        if (!seen.count(key)) gone.push_back(key);
      }
      for (const auto& key : gone) changes.emplace_back(storeLocked(key, "", nullptr), nullptr);
    }
    for (const auto& [old_obj, new_obj] : changes) notify(old_obj, new_obj);
    {
      std::lock_guard lock(mu_);
      synced_ = true;
    }
    synced_cv_.notify_all();
  }

  void apply(const std::string& type, nlohmann::json object) override {
    std::string key = objectKey(object);
    Ptr old_obj, new_obj;
    {
      std::lock_guard lock(mu_);
      if (type == "DELETED") {
        old_obj = storeLocked(key, "", nullptr);
      } else {
        new_obj = decodeItem(object);
        if (!new_obj) return;
        old_obj = storeLocked(key, resourceVersionOf(object), new_obj);
      }
    }
    if (old_obj || new_obj) notify(old_obj, new_obj);
  }

  Reflector reflector_;
  std::vector<EventHandler<T>> handlers_;
  std::map<std::string, IndexFunc> index_funcs_;
  mutable std::mutex mu_;
  std::condition_variable_any synced_cv_;
  std::map<std::string, Ptr> items_;                                             // GUARDED_BY(mu_)
  std::map<std::string, std::string> rvs_;                                       // GUARDED_BY(mu_)
  std::map<std::string, std::map<std::string, std::set<std::string>>> indexes_;  // GUARDED_BY(mu_)
  bool synced_ = false;                                                          // GUARDED_BY(mu_)
  std::jthread thread_;
};

}  // namespace minik8s::client
