#include "store/etcd_store.h"

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <utility>

#include "common/log.h"
#include "rpc/connection_keeper.h"
#include "etcd.grpc.pb.h"

namespace minik8s::store {

namespace pb = ::etcdserverpb;

namespace {

using SteadyClock = std::chrono::steady_clock;

// The one place where gRPC/etcd errors become Status.
Status fromGrpc(const grpc::Status& s, std::string_view what) {
  if (s.ok()) return Status::ok();
  std::string msg = std::string(what) + ": " + s.error_message();
  switch (s.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::CANCELLED: return unavailable(std::move(msg));
    case grpc::StatusCode::DEADLINE_EXCEEDED: return deadlineExceeded(std::move(msg));
    case grpc::StatusCode::OUT_OF_RANGE:
      // "etcdserver: mvcc: required revision has been compacted" or "... is a future revision"
      if (s.error_message().find("compacted") != std::string::npos) return gone(std::move(msg));
      return badRequest(std::move(msg));
    case grpc::StatusCode::NOT_FOUND:  // "etcdserver: requested lease not found"
      return notFound(std::move(msg));
    case grpc::StatusCode::INVALID_ARGUMENT: return badRequest(std::move(msg));
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      if (s.error_message().find("space exceeded") != std::string::npos) {
        return internalError(std::move(msg));
      }
      return Status(Code::kTooManyRequests, std::move(msg));
    default: return internalError(std::move(msg));
  }
}

KeyValue fromPb(const pb::KeyValue& kv) {
  KeyValue out;
  out.key = kv.key();
  out.value = kv.value();
  out.create_revision = kv.create_revision();
  out.mod_revision = kv.mod_revision();
  out.lease = kv.lease();
  return out;
}

std::string stripScheme(std::string endpoint) {
  constexpr std::string_view kHttp = "http://";
  if (endpoint.starts_with(kHttp)) endpoint.erase(0, kHttp.size());
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  return endpoint;
}

// compare: key's mod_revision == expected, or (expected 0) the key exists.
void addExistsOrRevision(pb::TxnRequest* req, const std::string& key, int64_t expected) {
  pb::Compare* c = req->add_compare();
  c->set_key(key);
  if (expected != 0) {
    c->set_target(pb::Compare::MOD);
    c->set_result(pb::Compare::EQUAL);
    c->set_mod_revision(expected);
  } else {
    c->set_target(pb::Compare::CREATE);
    c->set_result(pb::Compare::GREATER);
    c->set_create_revision(0);
  }
}

// Tells a failed conditional write apart: absent (kNotFound) or stale (kConflict). The
// failure branch of the txn is a Range of the key.
Status casFailure(const pb::TxnResponse& resp, const std::string& key, int64_t expected) {
  if (resp.responses_size() == 0 || resp.responses(0).response_range().kvs_size() == 0) {
    return notFound("key " + key + " not found");
  }
  int64_t current = resp.responses(0).response_range().kvs(0).mod_revision();
  return conflict("key " + key + " has revision " + std::to_string(current) + ", not " +
                  std::to_string(expected));
}

}  // namespace

std::string prefixRangeEnd(const std::string& prefix) {
  std::string end = prefix;
  for (size_t i = end.size(); i > 0; --i) {
    auto byte = static_cast<unsigned char>(end[i - 1]);
    if (byte < 0xff) {
      end[i - 1] = static_cast<char>(byte + 1);
      end.resize(i);
      return end;
    }
  }
  return std::string(1, '\0');
}

struct EtcdStore::Impl {
  std::string endpoint;
  EtcdStoreOptions options;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<pb::KV::Stub> kv;
  std::unique_ptr<pb::Watch::Stub> watch;
  std::unique_ptr<pb::Lease::Stub> lease;
  std::unique_ptr<rpc::ConnectionKeeper> connection_keeper;  // see rpc/connection_keeper.h

  std::mutex calls_mu;
  std::set<grpc::ClientContext*> calls;  // in flight, for shutdown(). GUARDED_BY(calls_mu)
  bool shut_down = false;                // GUARDED_BY(calls_mu)

  // One unary or short streaming call: its context with the call deadline, registered so
  // that shutdown() can cancel it. `admitted` is kUnavailable after shutdown().
  struct Call {
    explicit Call(Impl& impl) : impl(impl) {
      ctx.set_deadline(std::chrono::system_clock::now() + impl.options.call_timeout);
      std::lock_guard lock(impl.calls_mu);
      if (impl.shut_down) {
        admitted = unavailable("etcd client is shut down");
      } else {
        impl.calls.insert(&ctx);
      }
    }
    ~Call() {
      std::lock_guard lock(impl.calls_mu);
      impl.calls.erase(&ctx);
    }
    Call(const Call&) = delete;
    Call& operator=(const Call&) = delete;

    Impl& impl;
    grpc::ClientContext ctx;
    Status admitted;
  };

  void shutdown() {
    std::lock_guard lock(calls_mu);
    shut_down = true;
    for (auto* ctx : calls) ctx->TryCancel();
  }

  Result<pb::TxnResponse> txn(const pb::TxnRequest& req) {
    Call call(*this);
    RETURN_IF_ERROR(call.admitted);
    pb::TxnResponse resp;
    Status st = fromGrpc(kv->Txn(&call.ctx, req, &resp), "etcd txn");
    if (!st.isOk()) return st;
    return resp;
  }

  Result<pb::RangeResponse> range(const pb::RangeRequest& req) {
    Call call(*this);
    RETURN_IF_ERROR(call.admitted);
    pb::RangeResponse resp;
    Status st = fromGrpc(kv->Range(&call.ctx, req, &resp), "etcd range");
    if (!st.isOk()) return st;
    return resp;
  }
};

namespace {

// State shared by an EtcdWatch and its thread; the thread keeps it alive, so a watch
// cancelled from its own callback can let the thread finish detached.
struct WatchShared {
  std::shared_ptr<grpc::Channel> channel;  // declared first: outlives the call
  grpc::ClientContext ctx;
  std::unique_ptr<grpc::ClientReaderWriter<pb::WatchRequest, pb::WatchResponse>> stream;
  WatchCallback on_events;
  WatchErrorCallback on_error;
  std::atomic<bool> cancelled{false};

  std::mutex mu;
  std::condition_variable cv;
  bool created = false;                // GUARDED_BY(mu)
  std::optional<Status> create_error;  // GUARDED_BY(mu)

  void signalCreated(std::optional<Status> error) {
    {
      std::lock_guard lock(mu);
      created = true;
      create_error = std::move(error);
    }
    cv.notify_all();
  }

  void deliver(const pb::WatchResponse& resp) {
    if (resp.events_size() == 0 || cancelled) return;
    std::vector<WatchEvent> events;
    events.reserve(resp.events_size());
    for (const auto& e : resp.events()) {
      WatchEvent ev;
      ev.type = e.type() == pb::Event::DELETE ? EventType::kDelete : EventType::kPut;
      ev.kv = fromPb(e.kv());
      if (e.has_prev_kv()) ev.prev = fromPb(e.prev_kv());
      events.push_back(std::move(ev));
    }
    on_events(events);
  }

  void run(pb::WatchRequest create) {
    if (!stream->Write(create)) {
      signalCreated(fromGrpc(stream->Finish(), "etcd watch"));
      return;
    }
    pb::WatchResponse resp;
    if (!stream->Read(&resp)) {
      Status st = fromGrpc(stream->Finish(), "etcd watch");
      if (st.isOk()) st = unavailable("etcd watch: stream closed before the watch was created");
      signalCreated(std::move(st));
      return;
    }
    signalCreated(std::nullopt);

    std::optional<Status> error;
    bool open = true;
    do {
      if (cancelled) break;
      if (resp.compact_revision() != 0) {
        error = gone("etcd watch: revision " +
                     std::to_string(create.create_request().start_revision()) +
                     " has been compacted (compact revision " +
                     std::to_string(resp.compact_revision()) + ")");
        break;
      }
      if (resp.canceled()) {
        error = unavailable("etcd watch canceled by the server: " + resp.cancel_reason());
        break;
      }
      deliver(resp);
      open = stream->Read(&resp);
    } while (open);

    ctx.TryCancel();  // etcd never ends a Watch stream on its own; Finish would block
    grpc::Status final_status = stream->Finish();
    if (cancelled) return;
    if (!error) {
      error = open ? unavailable("etcd watch ended") : fromGrpc(final_status, "etcd watch");
      if (error->isOk()) error = unavailable("etcd watch: stream closed by the server");
    }
    log::warn("etcd watch on {} ended: {}", create.create_request().key(), error->toString());
    if (on_error && !cancelled) on_error(*error);
  }
};

class EtcdWatch : public Watch {
 public:
  EtcdWatch(std::shared_ptr<WatchShared> shared, std::thread thread)
      : shared_(std::move(shared)), thread_(std::move(thread)) {}
  ~EtcdWatch() override { cancel(); }

  void cancel() override {
    shared_->cancelled = true;
    shared_->ctx.TryCancel();
    if (!thread_.joinable()) return;
    if (thread_.get_id() == std::this_thread::get_id()) {
      thread_.detach();  // cancelled from its own callback; the thread ends after it
    } else {
      thread_.join();
    }
  }

 private:
  std::shared_ptr<WatchShared> shared_;
  std::thread thread_;
};

}  // namespace

EtcdStore::EtcdStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

EtcdStore::~EtcdStore() = default;

void EtcdStore::shutdown() {
  impl_->shutdown();
}

const std::string& EtcdStore::endpoint() const {
  return impl_->endpoint;
}

Result<std::unique_ptr<EtcdStore>> EtcdStore::connect(const std::vector<std::string>& endpoints,
                                                      EtcdStoreOptions options) {
  if (endpoints.empty()) return invalid("no etcd endpoints given");
  for (const auto& e : endpoints) {
    if (e.starts_with("https://")) return invalid("etcd endpoint " + e + ": TLS is not supported");
  }
  auto deadline = SteadyClock::now() + options.connect_timeout;
  Status last = unavailable("no etcd endpoint answered");
  for (;;) {
    for (const auto& endpoint : endpoints) {
      grpc::ChannelArguments args;
      args.SetMaxReceiveMessageSize(-1);  // large lists come back in one Range
      args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
      args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 500);  // loopback: retrying is cheap
      // Also the deadline of one connection attempt (TCP + HTTP/2 SETTINGS): a hung etcd
      // that accepts but never answers is given up on after it.
      args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 5000);
      // Our own subchannels: another channel to the same address (a readiness probe) must
      // neither hide nor disturb this one's reconnects.
      args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
      args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
      args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
      auto channel = grpc::CreateCustomChannel(stripScheme(endpoint),
                                               grpc::InsecureChannelCredentials(), args);
      auto wait = std::min<SteadyClock::duration>(deadline - SteadyClock::now(),
                                                  std::chrono::milliseconds(500));
      if (!channel->WaitForConnected(std::chrono::system_clock::now() + wait)) {
        last = unavailable("etcd endpoint " + endpoint + " is not reachable");
        continue;
      }
      auto impl = std::make_unique<Impl>();
      impl->endpoint = endpoint;
      impl->options = options;
      impl->channel = channel;
      impl->kv = pb::KV::NewStub(channel);
      impl->watch = pb::Watch::NewStub(channel);
      impl->lease = pb::Lease::NewStub(channel);
      impl->connection_keeper = std::make_unique<rpc::ConnectionKeeper>(channel);
      std::unique_ptr<EtcdStore> store(new EtcdStore(std::move(impl)));
      auto rev = store->currentRevision();
      if (rev.isOk()) return store;
      last = rev.status();
    }
    if (SteadyClock::now() >= deadline) return last;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

Result<KeyValue> EtcdStore::get(const std::string& key) {
  pb::RangeRequest req;
  req.set_key(key);
  ASSIGN_OR_RETURN(pb::RangeResponse resp, impl_->range(req));
  if (resp.kvs_size() == 0) return notFound("key " + key + " not found");
  return fromPb(resp.kvs(0));
}

Result<ListResult> EtcdStore::list(const std::string& prefix, int64_t revision) {
  pb::RangeRequest req;
  req.set_key(prefix.empty() ? std::string(1, '\0') : prefix);
  req.set_range_end(prefixRangeEnd(prefix));
  req.set_revision(revision);
  ASSIGN_OR_RETURN(pb::RangeResponse resp, impl_->range(req));
  ListResult result;
  result.revision = revision != 0 ? revision : resp.header().revision();
  result.items.reserve(resp.kvs_size());
  for (const auto& kv : resp.kvs()) result.items.push_back(fromPb(kv));
  return result;
}

Result<int64_t> EtcdStore::create(const std::string& key, const std::string& value, int64_t lease) {
  pb::TxnRequest req;
  pb::Compare* c = req.add_compare();
  c->set_key(key);
  c->set_target(pb::Compare::MOD);
  c->set_result(pb::Compare::EQUAL);
  c->set_mod_revision(0);
  pb::PutRequest* put = req.add_success()->mutable_request_put();
  put->set_key(key);
  put->set_value(value);
  put->set_lease(lease);
  ASSIGN_OR_RETURN(pb::TxnResponse resp, impl_->txn(req));
  if (!resp.succeeded()) return alreadyExists("key " + key + " already exists");
  return resp.header().revision();
}

Result<int64_t> EtcdStore::update(const std::string& key, const std::string& value,
                                  int64_t expected_revision, int64_t lease) {
  pb::TxnRequest req;
  addExistsOrRevision(&req, key, expected_revision);
  pb::PutRequest* put = req.add_success()->mutable_request_put();
  put->set_key(key);
  put->set_value(value);
  put->set_lease(lease);
  req.add_failure()->mutable_request_range()->set_key(key);
  ASSIGN_OR_RETURN(pb::TxnResponse resp, impl_->txn(req));
  if (!resp.succeeded()) return casFailure(resp, key, expected_revision);
  return resp.header().revision();
}

Result<KeyValue> EtcdStore::remove(const std::string& key, int64_t expected_revision) {
  pb::TxnRequest req;
  addExistsOrRevision(&req, key, expected_revision);
  pb::DeleteRangeRequest* del = req.add_success()->mutable_request_delete_range();
  del->set_key(key);
  del->set_prev_kv(true);
  req.add_failure()->mutable_request_range()->set_key(key);
  ASSIGN_OR_RETURN(pb::TxnResponse resp, impl_->txn(req));
  if (!resp.succeeded()) return casFailure(resp, key, expected_revision);
  if (resp.responses_size() == 0 ||
      resp.responses(0).response_delete_range().prev_kvs_size() == 0) {
    return notFound("key " + key + " not found");
  }
  return fromPb(resp.responses(0).response_delete_range().prev_kvs(0));
}

Result<std::unique_ptr<Watch>> EtcdStore::watch(const std::string& prefix, int64_t after_revision,
                                                WatchCallback on_events,
                                                WatchErrorCallback on_error) {
  auto shared = std::make_shared<WatchShared>();
  shared->channel = impl_->channel;
  shared->on_events = std::move(on_events);
  shared->on_error = std::move(on_error);
  shared->stream = impl_->watch->Watch(&shared->ctx);

  pb::WatchRequest req;
  pb::WatchCreateRequest* create = req.mutable_create_request();
  create->set_key(prefix.empty() ? std::string(1, '\0') : prefix);
  create->set_range_end(prefixRangeEnd(prefix));
  create->set_start_revision(after_revision != 0 ? after_revision + 1 : 0);
  create->set_prev_kv(true);

  std::thread thread([shared, req] { shared->run(req); });
  auto watch = std::make_unique<EtcdWatch>(shared, std::move(thread));

  std::unique_lock lock(shared->mu);
  bool created =
      shared->cv.wait_for(lock, impl_->options.call_timeout, [&] { return shared->created; });
  std::optional<Status> error = shared->create_error;
  lock.unlock();
  if (!created) {
    watch->cancel();
    return deadlineExceeded("etcd watch on " + prefix + ": not created in time");
  }
  if (error) {
    watch->cancel();
    return *error;
  }
  return std::unique_ptr<Watch>(std::move(watch));
}

Status EtcdStore::compact(int64_t revision) {
  Impl::Call call(*impl_);
  RETURN_IF_ERROR(call.admitted);
  pb::CompactionRequest req;
  req.set_revision(revision);
  pb::CompactionResponse resp;
  return fromGrpc(impl_->kv->Compact(&call.ctx, req, &resp), "etcd compact");
}

Result<int64_t> EtcdStore::currentRevision() {
  pb::RangeRequest req;
  req.set_key(std::string(1, '\0'));
  req.set_count_only(true);
  ASSIGN_OR_RETURN(pb::RangeResponse resp, impl_->range(req));
  return resp.header().revision();
}

Result<int64_t> EtcdStore::grantLease(int64_t ttl_seconds) {
  Impl::Call call(*impl_);
  RETURN_IF_ERROR(call.admitted);
  pb::LeaseGrantRequest req;
  req.set_ttl(ttl_seconds);
  pb::LeaseGrantResponse resp;
  RETURN_IF_ERROR(fromGrpc(impl_->lease->LeaseGrant(&call.ctx, req, &resp), "etcd lease grant"));
  if (!resp.error().empty()) return internalError("etcd lease grant: " + resp.error());
  return resp.id();
}

Status EtcdStore::keepAliveLease(int64_t lease_id) {
  Impl::Call call(*impl_);
  RETURN_IF_ERROR(call.admitted);
  grpc::ClientContext& ctx = call.ctx;
  auto stream = impl_->lease->LeaseKeepAlive(&ctx);
  pb::LeaseKeepAliveRequest req;
  req.set_id(lease_id);
  pb::LeaseKeepAliveResponse resp;
  if (!stream->Write(req) || !stream->Read(&resp)) {
    Status st = fromGrpc(stream->Finish(), "etcd lease keep-alive");
    return st.isOk() ? unavailable("etcd lease keep-alive: stream closed") : st;
  }
  ctx.TryCancel();
  (void)stream->Finish();
  if (resp.ttl() <= 0) return notFound("lease " + std::to_string(lease_id) + " not found");
  return Status::ok();
}

Status EtcdStore::revokeLease(int64_t lease_id) {
  Impl::Call call(*impl_);
  RETURN_IF_ERROR(call.admitted);
  pb::LeaseRevokeRequest req;
  req.set_id(lease_id);
  pb::LeaseRevokeResponse resp;
  return fromGrpc(impl_->lease->LeaseRevoke(&call.ctx, req, &resp), "etcd lease revoke");
}

}  // namespace minik8s::store
