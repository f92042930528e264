#include "kubelet_server/kubelet_server.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <list>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "common/files.h"
#include "common/log.h"
#include "common/strings.h"
#include "http/http_server.h"
#include "http/upgrade.h"
#include "kubelet_server/cri_log.h"
#include "kubelet_server/exec_bridge.h"
#include "kubelet_server/stats_summary.h"
#include "kubelet_server/stream_proxy.h"
#include "pki/certificates.h"

namespace minik8s::kubelet {

namespace {

namespace fs = std::filesystem;
using http::HandlerResult;
using http::HttpRequest;
using http::HttpResponse;

constexpr char kPodNameLabel[] = "io.kubernetes.pod.name";
constexpr char kPodNamespaceLabel[] = "io.kubernetes.pod.namespace";
constexpr char kPodUidLabel[] = "io.kubernetes.pod.uid";
constexpr char kContainerNameLabel[] = "io.kubernetes.container.name";
constexpr size_t kReadBlock = 64 * 1024;
// Dialing the runtime's streaming server (local) and reading its answer to an upgrade.
constexpr std::chrono::milliseconds kRuntimeDialTimeout{10000};

int64_t nowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

HandlerResult reply(HttpResponse response) {
  HandlerResult r;
  r.response = std::move(response);
  return r;
}

HandlerResult fail(const Status& status) {
  return reply(
      http::statusResponse(httpStatusOf(status.code()), codeName(status.code()), status.message()));
}

HandlerResult text(std::string body) {
  HttpResponse r;
  r.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  r.body = std::move(body);
  return reply(std::move(r));
}

// The log file of the attempt before `current_log` ("<dir>/<n>.log"): the highest-numbered
// "<k>.log" with k < n in the same directory. "" when there is none.
std::string previousLogFile(const std::string& current_log) {
  fs::path p(current_log);
  int current = -1;
  try {
    current = std::stoi(p.stem().string());
  } catch (...) {
    return "";
  }
  std::string best;
  int best_n = -1;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(p.parent_path(), ec)) {
    if (entry.path().extension() != ".log") continue;
    int n;
    try {
      n = std::stoi(entry.path().stem().string());
    } catch (...) {
      continue;
    }
    if (n < current && n > best_n) {
      best_n = n;
      best = entry.path().string();
    }
  }
  return best;
}

// Threads of `logs -f` streams. Thread-safe.
class ThreadGroup {
 public:
  ~ThreadGroup() { stopAll(); }

  // false once stopAll() began.
  bool spawn(std::function<void(std::stop_token)> fn) {
    std::lock_guard lock(mu_);
    if (stopped_) return false;
    threads_.remove_if([](const Entry& e) { return e.done->load(); });  // joins finished ones
    auto done = std::make_shared<std::atomic<bool>>(false);
    threads_.push_back(Entry{std::jthread([fn = std::move(fn), done](std::stop_token st) {
                               fn(st);
                               done->store(true);
                             }),
                             done});
    return true;
  }

  void stopAll() {
    std::list<Entry> threads;
    {
      std::lock_guard lock(mu_);
      stopped_ = true;
      threads.swap(threads_);
    }
    for (auto& e : threads) e.thread.request_stop();
    threads.clear();  // joins
  }

 private:
  struct Entry {
    std::jthread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::mutex mu_;
  std::list<Entry> threads_;  // GUARDED_BY(mu_)
  bool stopped_ = false;      // GUARDED_BY(mu_)
};

// Wakes a follower when its client goes away or the server stops.
struct FollowSignal {
  std::mutex mu;
  std::condition_variable_any cv;
  bool closed = false;  // GUARDED_BY(mu)
};

}  // namespace

struct KubeletServer::Impl {
  Impl(cri::Runtime& rt, KubeletServerOptions o) : runtime(rt), options(std::move(o)) {}

  cri::Runtime& runtime;
  const KubeletServerOptions options;
  std::unique_ptr<http::HttpServer> server;
  ThreadGroup followers;
  std::jthread sampler;
  int64_t boot_time_ns = readBootTimeNs();

  std::mutex stats_mu;
  std::optional<StatsSample> current_sample;   // GUARDED_BY(stats_mu)
  std::optional<StatsSample> previous_sample;  // GUARDED_BY(stats_mu)
  std::string summary;                         // GUARDED_BY(stats_mu)

  std::mutex state_mu;
  bool started = false;  // GUARDED_BY(state_mu)
  bool stopped = false;  // GUARDED_BY(state_mu)

  HandlerResult handle(HttpRequest& req);

  // ---- containers ----
  struct Found {
    cri::Container current;
    std::optional<cri::Container> previous;
  };
  Result<Found> findContainer(const std::string& ns, const std::string& pod,
                              const std::string& container);

  // ---- logs ----
  HandlerResult handleLogs(HttpRequest& req, const std::string& ns, const std::string& pod,
                           const std::string& container);
  void follow(std::stop_token stop, const std::shared_ptr<http::ResponseStream>& stream,
              const std::shared_ptr<FollowSignal>& signal, const std::string& path,
              const std::string& container_id, const LogOptions& options);

  // ---- exec, attach, port-forward ----
  // The runtime's answer to the client's SPDY upgrade, relayed (stream_proxy.h).
  HandlerResult spdyProxy(HttpRequest& req, const std::string& url);
  HandlerResult handleAttach(HttpRequest& req, const std::string& ns, const std::string& pod,
                             const std::string& container);
  HandlerResult handlePortForward(HttpRequest& req, const std::string& ns, const std::string& pod);
  HandlerResult handleExec(HttpRequest& req, const std::string& ns, const std::string& pod,
                           const std::string& container);

  // ---- stats ----
  void sampleNow();
  void runSampler(std::stop_token stop);
};

bool kubeletCallerAllowed(const std::string& common_name,
                          const std::vector<std::string>& organizations) {
  return common_name == kApiserverKubeletClientName ||
         std::find(organizations.begin(), organizations.end(), "system:masters") !=
             organizations.end();
}

Result<ServingCertificate> ensureSelfSignedServingCertificate(const std::string& dir,
                                                              const std::string& node_name,
                                                              const std::vector<std::string>& ips) {
  const std::string cert_path = dir + "/kubelet.crt";
  const std::string key_path = dir + "/kubelet.key";
  auto cert = readFile(cert_path);
  auto key = readFile(key_path);
  if (cert.isOk() && key.isOk() && pki::keyMatchesCertificate(*key, *cert).isOk()) {
    auto info = pki::parseCertificate(*cert);
    bool names_all = info.isOk() && std::find(info->dns_names.begin(), info->dns_names.end(),
                                              node_name) != info->dns_names.end();
    for (const auto& ip : ips) {
      if (!names_all) break;
      names_all = std::find(info->ip_addresses.begin(), info->ip_addresses.end(), ip) !=
                  info->ip_addresses.end();
    }
    if (names_all &&
        info->not_after > std::chrono::system_clock::now() + std::chrono::hours(24 * 30)) {
      return ServingCertificate{*cert, *key};
    }
  }
  const auto now = std::chrono::system_clock::now();
  const std::string ca_name =
      node_name + "-ca@" +
      std::to_string(
          std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count());
  ASSIGN_OR_RETURN(auto ca, pki::createCa(ca_name, std::chrono::hours(24 * 365)));
  pki::CertificateSpec spec;
  spec.subject.common_name = node_name + "@" + ca_name.substr(ca_name.find('@') + 1);
  spec.dns_names = {node_name};
  spec.ip_addresses = ips;
  spec.server_auth = true;
  spec.validity = std::chrono::hours(24 * 365);
  ASSIGN_OR_RETURN(auto leaf, pki::issueCertificate(ca, spec));
  ServingCertificate out{leaf.cert_pem + ca.cert_pem, leaf.key_pem};
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return internalError("creating " + dir + ": " + ec.message());
  auto write = [](const std::string& path, const std::string& data, fs::perms mode) -> Status {
    const std::string tmp = path + ".tmp";
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      if (!out) return internalError("writing " + tmp);
      out << data;
      if (!out.flush()) return internalError("writing " + tmp);
    }
    std::error_code e;
    fs::permissions(tmp, mode, e);
    fs::rename(tmp, path, e);
    if (e) return internalError("renaming " + tmp + ": " + e.message());
    return Status::ok();
  };
  RETURN_IF_ERROR(write(key_path, out.key_pem, fs::perms::owner_read | fs::perms::owner_write));
  RETURN_IF_ERROR(write(cert_path, out.cert_pem,
                        fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                            fs::perms::others_read));
  return out;
}

KubeletServer::KubeletServer(cri::Runtime& runtime, KubeletServerOptions options)
    : impl_(std::make_unique<Impl>(runtime, std::move(options))) {}

KubeletServer::~KubeletServer() {
  stop();
}

Status KubeletServer::start() {
  std::lock_guard lock(impl_->state_mu);
  if (impl_->started) return Status(Code::kInternal, "KubeletServer::start called twice");
  impl_->started = true;
  http::HttpServerOptions o;
  o.bind_address = impl_->options.bind_address;
  o.port = impl_->options.port;
  o.io_threads = impl_->options.io_threads;
  o.worker_threads = impl_->options.worker_threads;
  o.max_in_flight = 64;
  o.max_connections = 1000;
  if (!impl_->options.client_ca_pem.empty()) {
    if (impl_->options.tls_cert_pem.empty() || impl_->options.tls_key_pem.empty()) {
      return invalid("kubelet server: a client CA needs a serving certificate and key");
    }
    http::TlsServerOptions tls;
    tls.cert_pem = impl_->options.tls_cert_pem;
    tls.key_pem = impl_->options.tls_key_pem;
    tls.client_ca_pem = impl_->options.client_ca_pem;
    tls.require_client_certificate = true;
    o.tls = std::move(tls);
  }
  o.is_long_running = [](const HttpRequest& r) {
    return http::isTrueValue(r.queryValue("follow")) || r.path.rfind("/exec/", 0) == 0 ||
           r.path.rfind("/attach/", 0) == 0 || r.path.rfind("/portForward/", 0) == 0;
  };
  Impl* impl = impl_.get();
  impl_->server = http::HttpServer::create(o, [impl](HttpRequest& r) { return impl->handle(r); });
  Status s = impl_->server->start();
  if (!s.isOk()) return s.withContext("kubelet server");
  impl_->sampler = std::jthread([impl](std::stop_token st) { impl->runSampler(st); });
  log::info("kubelet: serving logs, exec and stats on {}://{}:{}", o.tls ? "https" : "http",
            o.bind_address, impl_->server->port());
  return Status::ok();
}

void KubeletServer::stop() {
  {
    std::lock_guard lock(impl_->state_mu);
    if (impl_->stopped) return;
    impl_->stopped = true;
  }
  if (impl_->server) impl_->server->stop();  // ends streams: followers see it
  impl_->followers.stopAll();
  impl_->sampler = std::jthread();
}

uint16_t KubeletServer::port() const {
  return impl_->server ? impl_->server->port() : 0;
}

std::string KubeletServer::statsSummary() {
  {
    std::lock_guard lock(impl_->stats_mu);
    if (!impl_->summary.empty()) return impl_->summary;
  }
  impl_->sampleNow();
  std::lock_guard lock(impl_->stats_mu);
  return impl_->summary;
}

HandlerResult KubeletServer::Impl::handle(HttpRequest& req) {
  auto parts = http::splitPath(req.path);
  if (!options.client_ca_pem.empty()) {
    // The handshake already refused callers without a certificate from the client CA.
    if (!req.client_certificate) return fail(Status(Code::kUnauthorized, "Unauthorized"));
    const auto& who = *req.client_certificate;
    if (!kubeletCallerAllowed(who.common_name, who.organizations)) {
      // The kubelet's wording (server.go): nodes/<subresource> is what it would authorize.
      std::string subresource = "proxy";
      if (!parts.empty() && parts[0] == "stats") subresource = "stats";
      return fail(
          Status(Code::kForbidden, "Forbidden (user=" + who.common_name +
                                       ", verb=" + (req.method == "GET" ? "get" : "create") +
                                       ", resource=nodes, subresource=" + subresource + ")"));
    }
  }
  if (parts.size() == 1 && parts[0] == "healthz") return text("ok");
  if (parts.size() == 2 && parts[0] == "stats" && parts[1] == "summary") {
    if (req.method != "GET") return fail(Status(Code::kMethodNotAllowed, "method not allowed"));
    HttpResponse r;
    r.headers.emplace_back("Content-Type", "application/json");
    std::string summary;
    {
      std::lock_guard lock(stats_mu);
      summary = this->summary;
    }
    if (summary.empty()) {
      sampleNow();
      std::lock_guard lock(stats_mu);
      summary = this->summary;
    }
    r.body = std::move(summary);
    return reply(std::move(r));
  }
  if (parts.size() == 4 && parts[0] == "containerLogs") {
    if (req.method != "GET") return fail(Status(Code::kMethodNotAllowed, "method not allowed"));
    return handleLogs(req, std::string(parts[1]), std::string(parts[2]), std::string(parts[3]));
  }
  if (parts.size() == 4 && parts[0] == "exec") {
    if (req.method != "GET" && req.method != "POST") {
      return fail(Status(Code::kMethodNotAllowed, "method not allowed"));
    }
    return handleExec(req, std::string(parts[1]), std::string(parts[2]), std::string(parts[3]));
  }
  if (parts.size() == 4 && parts[0] == "attach") {
    if (req.method != "GET" && req.method != "POST") {
      return fail(Status(Code::kMethodNotAllowed, "method not allowed"));
    }
    return handleAttach(req, std::string(parts[1]), std::string(parts[2]), std::string(parts[3]));
  }
  if (parts.size() == 3 && parts[0] == "portForward") {
    if (req.method != "GET" && req.method != "POST") {
      return fail(Status(Code::kMethodNotAllowed, "method not allowed"));
    }
    return handlePortForward(req, std::string(parts[1]), std::string(parts[2]));
  }
  return fail(notFound("the server could not find the requested resource"));
}

// ---------------------------------------------------------------------------------------
// Containers

Result<KubeletServer::Impl::Found> KubeletServer::Impl::findContainer(
    const std::string& ns, const std::string& pod, const std::string& container) {
  cri::PodSandboxFilter sf;
  sf.label_selector = {{kPodNamespaceLabel, ns}, {kPodNameLabel, pod}};
  ASSIGN_OR_RETURN(auto sandboxes, runtime.listPodSandbox(sf));
  cri::ContainerFilter cf;
  cf.label_selector = {
      {kPodNamespaceLabel, ns}, {kPodNameLabel, pod}, {kContainerNameLabel, container}};
  ASSIGN_OR_RETURN(auto containers, runtime.listContainers(cf));
  if (sandboxes.empty() && containers.empty()) {
    return notFound("pod \"" + pod + "\" does not exist on this node");
  }
  // The pod's current sandbox: a ready one before a stopped one, then the newest.
  std::sort(sandboxes.begin(), sandboxes.end(), [](const auto& a, const auto& b) {
    if (a.state != b.state) return a.state == cri::SandboxState::kReady;
    return a.created_at > b.created_at;
  });
  std::string uid;
  if (!sandboxes.empty()) {
    auto it = sandboxes.front().labels.find(kPodUidLabel);
    uid = it != sandboxes.front().labels.end() ? it->second : sandboxes.front().metadata.uid;
  }
  // Newest first; containers of the current sandbox before older ones of the same pod.
  const std::string current_sandbox = sandboxes.empty() ? "" : sandboxes.front().id;
  std::vector<cri::Container> mine;
  for (auto& c : containers) {
    auto it = c.labels.find(kPodUidLabel);
    bool same_pod = uid.empty() || it == c.labels.end() || it->second == uid;
    if (same_pod) mine.push_back(std::move(c));
  }
  if (mine.empty()) {
    return notFound("container \"" + container + "\" not found in pod \"" + pod + "\"");
  }
  std::sort(mine.begin(), mine.end(), [&](const auto& a, const auto& b) {
    bool a_cur = a.pod_sandbox_id == current_sandbox, b_cur = b.pod_sandbox_id == current_sandbox;
    if (a_cur != b_cur) return a_cur;
    if (a.metadata.attempt != b.metadata.attempt) return a.metadata.attempt > b.metadata.attempt;
    return a.created_at > b.created_at;
  });
  Found found{mine[0], std::nullopt};
  if (mine.size() > 1) found.previous = mine[1];
  return found;
}

// ---------------------------------------------------------------------------------------
// Logs

HandlerResult KubeletServer::Impl::handleLogs(HttpRequest& req, const std::string& ns,
                                              const std::string& pod,
                                              const std::string& container) {
  auto options = parseLogOptions([&req](std::string_view name) -> std::optional<std::string> {
    if (!req.hasQuery(name)) return std::nullopt;
    return req.queryValue(name);
  });
  if (!options.isOk()) return fail(options.status());
  auto found = findContainer(ns, pod, container);
  if (!found.isOk()) return fail(found.status());

  auto status = runtime.containerStatus(found->current.id);
  if (!status.isOk()) return fail(status.status());
  std::string path = status->log_path;
  bool running = status->state == cri::ContainerState::kRunning;
  std::string container_id = found->current.id;
  if (options->previous) {
    path.clear();
    if (found->previous) {
      auto prev = runtime.containerStatus(found->previous->id);
      if (prev.isOk()) path = prev->log_path;
    }
    if (path.empty() && !status->log_path.empty()) path = previousLogFile(status->log_path);
    if (path.empty()) {
      return fail(badRequest("previous terminated container \"" + container + "\" in pod \"" + pod +
                             "\" not found"));
    }
    running = false;  // a previous attempt has ended: nothing to follow
  }
  if (path.empty()) {
    return fail(internalError("the runtime reports no log path for container \"" + container +
                              "\" in pod \"" + pod + "\""));
  }

  if (!options->follow || !running) {
    auto file = readFile(path);  // no file yet: an empty log
    HttpResponse r;
    r.headers.emplace_back("Content-Type", "text/plain");
    r.body = renderLog(file.isOk() ? *file : std::string(), *options, nowNs());
    return reply(std::move(r));
  }

  HandlerResult result;
  result.response.headers.emplace_back("Content-Type", "text/plain");
  LogOptions opts = *options;
  result.start_stream = [this, path, container_id,
                         opts](std::shared_ptr<http::ResponseStream> stream) {
    auto signal = std::make_shared<FollowSignal>();
    stream->setOnClose([signal] {
      {
        std::lock_guard lock(signal->mu);
        signal->closed = true;
      }
      signal->cv.notify_all();
    });
    bool spawned =
        followers.spawn([this, stream, signal, path, container_id, opts](std::stop_token st) {
          follow(st, stream, signal, path, container_id, opts);
        });
    if (!spawned) stream->finish();
  };
  return result;
}

void KubeletServer::Impl::follow(std::stop_token stop,
                                 const std::shared_ptr<http::ResponseStream>& stream,
                                 const std::shared_ptr<FollowSignal>& signal,
                                 const std::string& path, const std::string& container_id,
                                 const LogOptions& options) {
  CriLogDecoder decoder;
  LogWriter writer(options, nowNs());
  std::optional<LogTail> tail;
  if (options.tail_lines) tail.emplace(*options.tail_lines);
  int fd = -1;
  std::vector<char> block(kReadBlock);
  std::vector<LogEntry> entries;
  std::string out;

  // Reads what the file has now; false when the client must be let go.
  auto drain = [&]() -> bool {
    if (fd < 0) {
      fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) return true;  // not written yet
    }
    for (;;) {
      ssize_t n = ::read(fd, block.data(), block.size());
      if (n <= 0) break;
      decoder.feed(std::string_view(block.data(), static_cast<size_t>(n)), &entries);
    }
    return true;
  };
  // Hands decoded entries to the client (or to the initial tail); false when done.
  auto emit = [&]() -> bool {
    for (auto& e : entries) {
      if (tail) {
        tail->add(std::move(e));
      } else if (!writer.write(e, &out)) {
        break;
      }
    }
    entries.clear();
    if (!out.empty()) {
      bool ok = stream->write(std::move(out));
      out.clear();
      if (!ok) return false;
    }
    return !writer.full();
  };

  bool go_on = drain() && emit();
  if (go_on && tail) {
    for (const auto& e : tail->entries()) {
      if (!writer.write(e, &out)) break;
    }
    tail.reset();
    go_on = emit();
  }
  auto next_status_check = std::chrono::steady_clock::now() + this->options.container_poll_interval;
  while (go_on) {
    {
      std::unique_lock lock(signal->mu);
      signal->cv.wait_for(lock, stop, this->options.log_poll_interval,
                          [&] { return signal->closed; });
      if (signal->closed || stop.stop_requested()) break;
    }
    if (!drain() || !emit()) break;
    if (std::chrono::steady_clock::now() < next_status_check) continue;
    next_status_check = std::chrono::steady_clock::now() + this->options.container_poll_interval;
    auto st = runtime.containerStatus(container_id);
    bool exited = (!st.isOk() && st.status().code() == Code::kNotFound) ||
                  (st.isOk() && st->state != cri::ContainerState::kRunning);
    if (exited) {
      drain();
      decoder.flush(&entries);
      emit();
      break;
    }
  }
  if (fd >= 0) ::close(fd);
  stream->finish();
}

// ---------------------------------------------------------------------------------------
// Exec

HandlerResult KubeletServer::Impl::handleExec(HttpRequest& req, const std::string& ns,
                                              const std::string& pod,
                                              const std::string& container) {
  const bool spdy = isSpdyUpgrade(req);
  std::string protocol;
  if (!spdy) {
    if (!iequals(req.header("Upgrade"), "websocket") ||
        !icontains(req.header("Connection"), "upgrade")) {
      return fail(
          badRequest("exec needs a WebSocket (v5.channel.k8s.io or v4.channel.k8s.io) or SPDY/3.1 "
                     "upgrade"));
    }
    std::string offered;
    for (const auto& [name, value] : req.headers) {
      if (!iequals(name, "Sec-WebSocket-Protocol")) continue;
      if (!offered.empty()) offered += ",";
      offered += value;
    }
    protocol = negotiateExecProtocol(offered);
    if (protocol.empty()) {
      return fail(badRequest("none of the WebSocket subprotocols offered (" + offered +
                             ") is supported: minik8s speaks " + kExecProtocolV5 + " and " +
                             kExecProtocolV4));
    }
  }
  cri::ExecRequest exec;
  for (auto [it, end] = req.query.equal_range("command"); it != end; ++it) {
    exec.cmd.push_back(it->second);
  }
  if (exec.cmd.empty()) return fail(badRequest("you must specify at least 1 command"));
  for (auto [name, field] : {std::pair{"stdin", &exec.stdin}, std::pair{"stdout", &exec.stdout},
                             std::pair{"stderr", &exec.stderr}, std::pair{"tty", &exec.tty}}) {
    std::string v = req.queryValue(name);
    *field = http::isTrueValue(v);
    if (!v.empty() && !*field && v != "0" && v != "f" && v != "F" && v != "false" && v != "False" &&
        v != "FALSE") {
      return fail(badRequest("invalid value \"" + v + "\" for " + name + ": not a boolean"));
    }
  }
  if (exec.tty) exec.stderr = false;  // a terminal merges stderr into stdout
  if (!exec.stdin && !exec.stdout && !exec.stderr) {
    return fail(badRequest("you must specify at least 1 of stdin, stdout, stderr"));
  }
  if (protocol == kExecProtocolV5 && exec.stdin) {
    // The runtime's WebSocket is v4, which cannot pass on v5's stdin close (`FF 00`), and a
    // command reading stdin to its end would never finish. Refused before the switch, so
    // that kubectl retries over SPDY, where the close is a half-closed stream.
    return fail(
        badRequest("exec with stdin over v5.channel.k8s.io is not supported by this kubelet: use "
                   "SPDY/3.1 or v4.channel.k8s.io"));
  }
  auto found = findContainer(ns, pod, container);
  if (!found.isOk()) return fail(found.status());
  if (found->current.state != cri::ContainerState::kRunning) {
    return fail(
        badRequest("container \"" + container + "\" in pod \"" + pod + "\" is not running"));
  }
  exec.container_id = found->current.id;
  auto url = runtime.exec(exec);
  if (!url.isOk()) {
    Status s = url.status();
    return fail(Status(s.code() == Code::kNotFound ? Code::kNotFound : Code::kInternal,
                       "error executing command in container: " + s.message()));
  }
  if (spdy) return spdyProxy(req, *url);
  HandlerResult result;
  ExecBridgeOptions bridge;
  bridge.upstream_url = *url;
  bridge.protocol = protocol;
  bridge.stdin = exec.stdin;
  result.upgrade = [bridge](std::unique_ptr<http::UpgradedConnection> conn) {
    startExecBridge(std::move(conn), bridge);
  };
  return result;
}

HandlerResult KubeletServer::Impl::spdyProxy(HttpRequest& req, const std::string& url) {
  auto up = dialRuntimeUpgrade(url, spdyUpgradeHeaders(req), kRuntimeDialTimeout);
  if (!up.isOk()) {
    return fail(Status(Code::kInternal, "error upgrading the runtime's streaming connection: " +
                                            up.status().message()));
  }
  if (up->status != 101) {
    std::string body = readRefusalBody(*up, kRuntimeDialTimeout);
    while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
    log::warn("kubelet: the runtime's streaming server refused an upgrade: HTTP {}: {}", up->status,
              body);
    return fail(
        Status(Code::kInternal, "the runtime's streaming server refused the upgrade: HTTP " +
                                    std::to_string(up->status) + ": " + body));
  }
  auto shared = std::make_shared<RuntimeUpgrade>(std::move(*up));
  HandlerResult result;
  result.upgrade = [shared](std::unique_ptr<http::UpgradedConnection> conn) {
    startRawSplice(std::move(conn), std::move(*shared));
  };
  return result;
}

HandlerResult KubeletServer::Impl::handleAttach(HttpRequest& req, const std::string& ns,
                                                const std::string& pod,
                                                const std::string& container) {
  if (!isSpdyUpgrade(req)) {
    // kubectl offers WebSocket v5 first and retries with SPDY on any refusal.
    return fail(badRequest("attach needs a SPDY/3.1 upgrade"));
  }
  cri::AttachRequest attach;
  for (auto [name, field] : {std::pair{"stdin", &attach.stdin}, std::pair{"stdout", &attach.stdout},
                             std::pair{"stderr", &attach.stderr}, std::pair{"tty", &attach.tty}}) {
    *field = http::isTrueValue(req.queryValue(name));
  }
  if (attach.tty) attach.stderr = false;
  if (!attach.stdin && !attach.stdout && !attach.stderr) {
    return fail(badRequest("you must specify at least 1 of stdin, stdout, stderr"));
  }
  auto found = findContainer(ns, pod, container);
  if (!found.isOk()) return fail(found.status());
  if (found->current.state != cri::ContainerState::kRunning) {
    return fail(
        badRequest("container \"" + container + "\" in pod \"" + pod + "\" is not running"));
  }
  attach.container_id = found->current.id;
  auto url = runtime.attach(attach);
  if (!url.isOk()) {
    Status s = url.status();
    return fail(Status(s.code() == Code::kNotFound ? Code::kNotFound : Code::kInternal,
                       "error attaching to container: " + s.message()));
  }
  return spdyProxy(req, *url);
}

HandlerResult KubeletServer::Impl::handlePortForward(HttpRequest& req, const std::string& ns,
                                                     const std::string& pod) {
  if (!isSpdyUpgrade(req)) {
    // kubectl 1.32 tries WebSocket (SPDY tunneled in it) first and falls back to SPDY.
    return fail(badRequest("port forwarding needs a SPDY/3.1 upgrade (portforward.k8s.io)"));
  }
  cri::PodSandboxFilter sf;
  sf.label_selector = {{kPodNamespaceLabel, ns}, {kPodNameLabel, pod}};
  sf.state = cri::SandboxState::kReady;
  auto sandboxes = runtime.listPodSandbox(sf);
  if (!sandboxes.isOk()) return fail(sandboxes.status());
  if (sandboxes->empty()) {
    return fail(notFound("pod \"" + pod + "\" has no running sandbox on this node"));
  }
  std::sort(sandboxes->begin(), sandboxes->end(),
            [](const auto& a, const auto& b) { return a.created_at > b.created_at; });
  std::vector<int32_t> ports;  // SPDY names them per stream
  auto url = runtime.portForward(sandboxes->front().id, ports);
  if (!url.isOk()) {
    Status s = url.status();
    return fail(Status(s.code() == Code::kNotFound ? Code::kNotFound : Code::kInternal,
                       "error forwarding ports: " + s.message()));
  }
  return spdyProxy(req, *url);
}

// ---------------------------------------------------------------------------------------
// Stats

void KubeletServer::Impl::sampleNow() {
  StatsSample sample;
  sample.node = readNodeSample(nowNs());
  cri::PodSandboxFilter sf;
  sf.state = cri::SandboxState::kReady;
  auto sandboxes = runtime.listPodSandbox(sf);
  cri::ContainerFilter cf;
  cf.state = cri::ContainerState::kRunning;
  auto containers = runtime.listContainers(cf);
  auto stats = runtime.listContainerStats({});
  if (sandboxes.isOk() && containers.isOk()) {
    std::map<std::string, const cri::ContainerStats*> by_id;
    if (stats.isOk()) {
      for (const auto& s : *stats) by_id[s.id] = &s;
    } else {
      log::warn("kubelet: stats: {}", stats.status().toString());
    }
    std::map<std::string, size_t> pod_index;  // sandbox id -> sample.pods index
    auto label = [](const cri::Labels& labels, const char* key, const std::string& fallback) {
      auto it = labels.find(key);
      return it != labels.end() ? it->second : fallback;
    };
    for (const auto& sb : *sandboxes) {
      PodSample p;
      p.name = label(sb.labels, kPodNameLabel, sb.metadata.name);
      p.namespace_ = label(sb.labels, kPodNamespaceLabel, sb.metadata.namespace_);
      p.uid = label(sb.labels, kPodUidLabel, sb.metadata.uid);
      p.start_time_ns = sb.created_at;
      pod_index[sb.id] = sample.pods.size();
      sample.pods.push_back(std::move(p));
    }
    for (const auto& c : *containers) {
      auto pod = pod_index.find(c.pod_sandbox_id);
      if (pod == pod_index.end()) continue;
      ContainerSample cs;
      cs.id = c.id;
      cs.name = label(c.labels, kContainerNameLabel, c.metadata.name);
      cs.start_time_ns = c.created_at;
      cs.time_ns = sample.node.time_ns;
      if (auto s = by_id.find(c.id); s != by_id.end()) {
        const auto& st = *s->second;
        if (st.timestamp > 0) cs.time_ns = st.timestamp;
        cs.cpu_usage_core_nano_seconds = st.cpu_usage_core_nano_seconds;
        cs.memory_working_set_bytes = st.memory_working_set_bytes;
        cs.memory_usage_bytes = st.memory_usage_bytes;
        cs.memory_rss_bytes = st.memory_rss_bytes;
        cs.memory_available_bytes = st.memory_available_bytes;
      }
      sample.pods[pod->second].containers.push_back(std::move(cs));
    }
  } else {
    log::warn("kubelet: stats: the runtime did not answer: {}",
              (!sandboxes.isOk() ? sandboxes.status() : containers.status()).toString());
  }
  std::lock_guard lock(stats_mu);
  previous_sample = std::move(current_sample);
  current_sample = std::move(sample);
  summary = buildStatsSummary(options.node_name, boot_time_ns, *current_sample,
                              previous_sample ? &*previous_sample : nullptr)
                .dump();
}

void KubeletServer::Impl::runSampler(std::stop_token stop) {
  std::mutex mu;
  std::condition_variable_any cv;
  auto delay = std::min<std::chrono::milliseconds>(std::chrono::seconds(1), options.stats_interval);
  while (!stop.stop_requested()) {
    sampleNow();
    std::unique_lock lock(mu);
    cv.wait_for(lock, stop, delay, [] { return false; });
    delay = options.stats_interval;
  }
}

}  // namespace minik8s::kubelet
