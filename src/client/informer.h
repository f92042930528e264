// Informer: a local, indexed, always-up-to-date copy of one collection, fed by a Reflector.
//
// Reflector: LIST, then WATCH from the list's resourceVersion. When the server ends the
// stream it re-watches from the last resourceVersion seen; on 410 Gone (an answer or an
// ERROR event) it relists at once; on any other failure it relists after an exponential
// back-off (reset by a successful list). Runs on the thread that calls run().
//
// Informer<T>: owns a Reflector on its own std::jthread, an ObjectCache<T> keyed by
// "namespace/name" (or "name") handing out std::shared_ptr<const T> (T is an api struct
// decoded with api::decode, or nlohmann::json as is) with named secondary indexes, and
// event handlers (add / update / delete) called on the reflector thread after the cache
// has changed, never with a lock held. A relist calls add/update/delete for the difference.
// Lister<T> reads a cache by namespace and label selector. SharedInformerFactory hands
// every component of a process the same informer for the same collection.
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
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include "api/codec.h"
#include "api/scheme.h"
#include "api/selector.h"
#include "client/client.h"
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

  Reflector(Client& client, api::ResourceInfo resource, InformerOptions options, Sink& sink);

  // Lists and watches until `stop` is requested.
  void run(std::stop_token stop);
  int64_t listCount() const { return lists_.load(); }

 private:
  // One watch from `rv`; returns kGone when a relist is needed, ok when the stream ended.
  Status watchOnce(std::string* rv, std::stop_token stop);

  Client& client_;
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

// "namespace/name" (or "name") of a typed object or of a JSON one.
template <typename T>
std::string keyOf(const T& object) {
  if constexpr (std::is_same_v<T, nlohmann::json>) {
    return objectKey(object);
  } else {
    return object.metadata.namespace_.empty()
               ? object.metadata.name
               : object.metadata.namespace_ + "/" + object.metadata.name;
  }
}

// ObjectCache<T>: the informer's store, a thread-safe map from key to
// std::shared_ptr<const T> with named secondary indexes (client-go's Indexer). An informer
// fills it; a controller's unit test fills one by hand and hands it to a Lister.
template <typename T>
class ObjectCache {
 public:
  using Ptr = std::shared_ptr<const T>;
  using IndexFunc = std::function<std::vector<std::string>(const T&)>;

  // REQUIRES: before the first put().
  void addIndex(const std::string& name, IndexFunc fn) { index_funcs_[name] = std::move(fn); }

  // Stores (or, with obj == nullptr, removes) the item at `key`; returns the previous one.
  Ptr put(const std::string& key, const std::string& rv, Ptr obj) {
    std::lock_guard lock(mu_);
    Ptr old;
    if (auto it = items_.find(key); it != items_.end()) {
      old = it->second.obj;
      unindexLocked(key, *old);
      items_.erase(it);
    }
    if (obj) {
      indexLocked(key, *obj);
      items_[key] = {rv, obj};
    }
    return old;
  }
  // For tests: stores a copy of `object` under its own key.
  void add(T object) {
    std::string key = keyOf(object);
    put(key, "", std::make_shared<const T>(std::move(object)));
  }

  Ptr get(const std::string& key) const {
    std::lock_guard lock(mu_);
    auto it = items_.find(key);
    return it == items_.end() ? nullptr : it->second.obj;
  }
  // The resourceVersion stored with `key` (nullopt when absent).
  std::optional<std::string> resourceVersion(const std::string& key) const {
    std::lock_guard lock(mu_);
    auto it = items_.find(key);
    if (it == items_.end()) return std::nullopt;
    return it->second.rv;
  }
  std::vector<Ptr> list() const {
    std::lock_guard lock(mu_);
    std::vector<Ptr> out;
    out.reserve(items_.size());
    for (const auto& [key, item] : items_) out.push_back(item.obj);
    return out;
  }
  std::vector<std::string> keys() const {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    out.reserve(items_.size());
    for (const auto& [key, item] : items_) out.push_back(key);
    return out;
  }
  size_t size() const {
    std::lock_guard lock(mu_);
    return items_.size();
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
      if (auto it = items_.find(key); it != items_.end()) out.push_back(it->second.obj);
    }
    return out;
  }

 private:
  struct Item {
    std::string rv;
    Ptr obj;
  };
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

  std::map<std::string, IndexFunc> index_funcs_;
  mutable std::mutex mu_;
  std::map<std::string, Item> items_;                                            // GUARDED_BY(mu_)
  std::map<std::string, std::map<std::string, std::set<std::string>>> indexes_;  // GUARDED_BY(mu_)
};

// The index every cache of namespaced objects gets: metadata.namespace.
inline constexpr char kNamespaceIndex[] = "namespace";

// Lister<T>: typed, namespace- and selector-filtered reads from an ObjectCache.
template <typename T>
class Lister {
 public:
  using Ptr = std::shared_ptr<const T>;
  explicit Lister(const ObjectCache<T>& cache) : cache_(&cache) {}

  Ptr get(std::string_view ns, std::string_view name) const {
    return cache_->get(ns.empty() ? std::string(name) : std::string(ns) + "/" + std::string(name));
  }
  // Every object matching `selector`, in key order.
  std::vector<Ptr> list(const api::LabelSelector& selector = {}) const {
    return filter(cache_->list(), selector);
  }
  // The objects of namespace `ns` matching `selector` (uses the namespace index when the
  // cache has one).
  std::vector<Ptr> listNamespace(std::string_view ns,
                                 const api::LabelSelector& selector = {}) const {
    std::vector<Ptr> in_ns = cache_->byIndex(kNamespaceIndex, std::string(ns));
    if (in_ns.empty()) {
      for (auto& item : cache_->list()) {
        if (item->metadata.namespace_ == ns) in_ns.push_back(std::move(item));
      }
    }
    return filter(std::move(in_ns), selector);
  }

 private:
  static std::vector<Ptr> filter(std::vector<Ptr> items, const api::LabelSelector& selector) {
    if (selector.matchesEverything()) return items;
    std::vector<Ptr> out;
    for (auto& item : items) {
      if (selector.matches(item->metadata.labels)) out.push_back(std::move(item));
    }
    return out;
  }

  const ObjectCache<T>* cache_;
};

// What a SharedInformerFactory holds: any Informer<T>.
class InformerBase {
 public:
  virtual ~InformerBase() = default;
  virtual void start() = 0;
  virtual void stop() = 0;
  virtual bool hasSynced() const = 0;
  virtual bool waitForSync(std::chrono::milliseconds timeout, std::stop_token stop = {}) = 0;
};

template <typename T>
class Informer : public InformerBase, private Reflector::Sink {
 public:
  using Ptr = std::shared_ptr<const T>;
  using IndexFunc = typename ObjectCache<T>::IndexFunc;

  Informer(Client& client, const api::ResourceInfo& resource, InformerOptions options = {})
      : reflector_(client, resource, std::move(options), *this) {
    if (resource.namespaced) {
      if constexpr (!std::is_same_v<T, nlohmann::json>) {
        cache_.addIndex(kNamespaceIndex,
                        [](const T& obj) { return std::vector<std::string>{obj.metadata.namespace_}; });
      }
    }
  }
  ~Informer() override { stop(); }
  Informer(const Informer&) = delete;
  Informer& operator=(const Informer&) = delete;

  // REQUIRES: before start(). Handlers run on the reflector thread, in order.
  void addHandler(EventHandler<T> handler) {
    std::lock_guard lock(handlers_mu_);
    handlers_.push_back(std::move(handler));
  }
  // REQUIRES: before start().
  void addIndex(const std::string& name, IndexFunc fn) { cache_.addIndex(name, std::move(fn)); }

  // Starts the reflector; a second call does nothing.
  void start() override {
    std::lock_guard lock(handlers_mu_);
    if (started_) return;
    started_ = true;
    thread_ = std::jthread([this](std::stop_token stop) { reflector_.run(stop); });
  }
  void stop() override {
    if (thread_.joinable()) {
      thread_.request_stop();
      thread_.join();
    }
  }

  // True once the first LIST has been applied and its add handlers have returned.
  bool hasSynced() const override {
    std::lock_guard lock(mu_);
    return synced_;
  }
  // Waits until synced, `timeout` passes (false) or stop is requested (false).
  bool waitForSync(std::chrono::milliseconds timeout, std::stop_token stop = {}) override {
    std::unique_lock lock(mu_);
    return synced_cv_.wait_for(lock, stop, timeout, [&] { return synced_; });
  }

  const ObjectCache<T>& cache() const { return cache_; }
  Lister<T> lister() const { return Lister<T>(cache_); }
  Ptr get(const std::string& key) const { return cache_.get(key); }
  std::vector<Ptr> list() const { return cache_.list(); }
  // Objects whose index function `name` returned `value`.
  std::vector<Ptr> byIndex(const std::string& name, const std::string& value) const {
    return cache_.byIndex(name, value);
  }
  int64_t listCount() const { return reflector_.listCount(); }

 private:
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

  void notify(const Ptr& old_obj, const Ptr& new_obj) {
    for (const auto& h : handlers_) {
      if (!old_obj && new_obj && h.on_add) h.on_add(new_obj);
      if (old_obj && new_obj && h.on_update) h.on_update(old_obj, new_obj);
      if (old_obj && !new_obj && h.on_delete) h.on_delete(old_obj);
    }
  }

  void replace(std::vector<nlohmann::json> items) override {
    std::vector<std::pair<Ptr, Ptr>> changes;
    std::set<std::string> seen;
    for (const auto& object : items) {
      std::string key = objectKey(object);
      std::string rv = resourceVersionOf(object);
      seen.insert(key);
      if (cache_.resourceVersion(key) == rv) continue;  // unchanged
      Ptr obj = decodeItem(object);
      if (!obj) continue;
      changes.emplace_back(cache_.put(key, rv, obj), obj);
    }
    for (const auto& key : cache_.keys()) {
      if (!seen.count(key)) changes.emplace_back(cache_.put(key, "", nullptr), nullptr);
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
    if (type == "DELETED") {
      old_obj = cache_.put(key, "", nullptr);
    } else {
      new_obj = decodeItem(object);
      if (!new_obj) return;
      old_obj = cache_.put(key, resourceVersionOf(object), new_obj);
    }
    if (old_obj || new_obj) notify(old_obj, new_obj);
  }

  Reflector reflector_;
  ObjectCache<T> cache_;
  std::mutex handlers_mu_;
  std::vector<EventHandler<T>> handlers_;  // written before start() only
  bool started_ = false;                   // GUARDED_BY(handlers_mu_)
  mutable std::mutex mu_;
  std::condition_variable_any synced_cv_;
  bool synced_ = false;  // GUARDED_BY(mu_)
  std::jthread thread_;
};

// SharedInformerFactory: one informer per (type, resource, namespace, selectors) in a
// process, however many components ask for it (client-go's SharedInformerFactory). The
// scheduler, the controllers and later the proxy and DNS share one watch of pods.
// Ask for informers (and add handlers) first, then start() once; informers asked for
// after start() are started at once. Thread-safe.
class SharedInformerFactory {
 public:
  explicit SharedInformerFactory(Client& client) : client_(client) {}
  ~SharedInformerFactory() { stop(); }
  SharedInformerFactory(const SharedInformerFactory&) = delete;
  SharedInformerFactory& operator=(const SharedInformerFactory&) = delete;

  template <typename T>
  Informer<T>& informerFor(const api::ResourceInfo& resource, const InformerOptions& options = {}) {
    std::string key = std::string(typeid(T).name()) + "|" + resource.group + "/" +
                      resource.version + "/" + resource.plural + "|" + options.ns + "|" +
                      options.label_selector + "|" + options.field_selector;
    std::lock_guard lock(mu_);
    auto it = informers_.find(key);
    if (it == informers_.end()) {
      auto informer = std::make_unique<Informer<T>>(client_, resource, options);
      if (started_) informer->start();
      it = informers_.emplace(key, std::move(informer)).first;
    }
    return static_cast<Informer<T>&>(*it->second);
  }

  void start() {
    std::lock_guard lock(mu_);
    started_ = true;
    for (auto& [key, informer] : informers_) informer->start();
  }
  // Waits until every informer made so far has synced; false on timeout or stop.
  bool waitForCacheSync(std::chrono::milliseconds timeout, std::stop_token stop = {}) {
    std::vector<InformerBase*> all;
    {
      std::lock_guard lock(mu_);
      for (auto& [key, informer] : informers_) all.push_back(informer.get());
    }
    for (auto* informer : all) {
      if (!informer->waitForSync(timeout, stop)) return false;
    }
    return true;
  }
  void stop() {
    std::lock_guard lock(mu_);
    for (auto& [key, informer] : informers_) informer->stop();
  }
  size_t size() const {
    std::lock_guard lock(mu_);
    return informers_.size();
  }

 private:
  Client& client_;
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<InformerBase>> informers_;  // GUARDED_BY(mu_)
  bool started_ = false;                                            // GUARDED_BY(mu_)
};

}  // namespace minik8s::client
