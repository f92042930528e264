#include "apiserver/node_proxy.h"

#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <cctype>
#include <list>
#include <mutex>
#include <thread>

#include "api/scheme.h"
#include "apiserver/kubelet_client.h"
#include "apiserver/status_response.h"
#include "common/log.h"
#include "common/strings.h"
#include "http/splice.h"
#include "http/upgrade.h"

namespace minik8s::apiserver {

using nlohmann::json;

namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;

constexpr auto kDialTimeout = 5s;
constexpr auto kHeadTimeout = 30s;
constexpr auto kBodyTimeout = 60s;

const json* findContainerStatus(const json& pod, const std::string& container) {
  if (!pod.is_object() || !pod.contains("status") || !pod["status"].is_object()) return nullptr;
  const json& status = pod["status"];
  for (const char* list : {"containerStatuses", "initContainerStatuses"}) {
    if (!status.contains(list) || !status[list].is_array()) continue;
    for (const auto& s : status[list]) {
      if (s.is_object() && s.value("name", "") == container) return &s;
    }
  }
  return nullptr;
}

bool hasState(const json& state, const char* which) {
  return state.is_object() && state.contains(which) && state[which].is_object();
}

Status waitingError(const std::string& container, const std::string& pod,
                    const std::string& reason) {
  std::string prefix = "container \"" + container + "\" in pod \"" + pod + "\" is waiting to start";
  if (reason == "ErrImagePull") return badRequest(prefix + ": image can't be pulled");
  if (reason == "ImagePullBackOff") {
    return badRequest(prefix + ": trying and failing to pull image");
  }
  return badRequest(prefix + ": " + (reason.empty() ? "ContainerCreating" : reason));
}

std::string podName(const json& pod) {
  return pod.contains("metadata") ? pod["metadata"].value("name", "") : "";
}

HandlerResult reply(HttpResponse response) {
  HandlerResult r;
  r.response = std::move(response);
  return r;
}

// An answer of the kubelet passed on as it is (status, type, body).
HandlerResult relay(const KubeletResponseHead& head, std::string body) {
  HttpResponse r;
  r.status = head.status;
  std::string type = head.header("Content-Type");
  r.headers.emplace_back("Content-Type", type.empty() ? "text/plain" : type);
  r.body = std::move(body);
  return reply(std::move(r));
}

}  // namespace

Result<KubeletAddress> kubeletAddressOf(const json& node) {
  KubeletAddress out;
  const json status = node.contains("status") ? node["status"] : json();
  std::string internal, hostname;
  if (status.is_object() && status.contains("addresses") && status["addresses"].is_array()) {
    for (const auto& a : status["addresses"]) {
      if (!a.is_object()) continue;
      std::string type = a.value("type", ""), address = a.value("address", "");
      if (type == "InternalIP" && internal.empty()) internal = address;
      if (type == "Hostname" && hostname.empty()) hostname = address;
    }
  }
  out.host = !internal.empty() ? internal : hostname;
  std::string name = node.contains("metadata") ? node["metadata"].value("name", "") : "";
  if (out.host.empty()) {
    return unavailable("node \"" + name + "\" reports no address for its kubelet");
  }
  out.port = 10250;
  try {
    const json& port = status.at("daemonEndpoints").at("kubeletEndpoint").at("Port");
    if (port.is_number_integer() && port.get<int64_t>() > 0 && port.get<int64_t>() < 65536) {
      out.port = static_cast<uint16_t>(port.get<int64_t>());
    }
  } catch (const json::exception&) {
  }
  return out;
}

Result<std::string> pickContainer(const json& pod, const std::string& requested) {
  std::vector<std::string> names;
  if (pod.contains("spec") && pod["spec"].is_object()) {
    for (const char* list : {"containers", "initContainers"}) {
      if (!pod["spec"].contains(list) || !pod["spec"][list].is_array()) continue;
      for (const auto& c : pod["spec"][list]) {
        if (c.is_object()) names.push_back(c.value("name", ""));
      }
    }
  }
  const std::string name = podName(pod);
  if (!requested.empty()) {
    if (std::find(names.begin(), names.end(), requested) == names.end()) {
      return badRequest("container " + requested + " is not valid for pod " + name);
    }
    return requested;
  }
  if (pod.contains("metadata") && pod["metadata"].contains("annotations") &&
      pod["metadata"]["annotations"].is_object()) {
    std::string def =
        pod["metadata"]["annotations"].value("kubectl.kubernetes.io/default-container", "");
    if (!def.empty() && std::find(names.begin(), names.end(), def) != names.end()) return def;
  }
  const json* containers = nullptr;
  if (pod.contains("spec") && pod["spec"].contains("containers")) {
    containers = &pod["spec"]["containers"];
  }
  if (containers == nullptr || !containers->is_array() || containers->empty()) {
    return badRequest("a container name must be specified for pod " + name);
  }
  return (*containers)[0].value("name", "");
}

Status checkLogReadable(const json& pod, const std::string& container, bool previous) {
  const std::string name = podName(pod);
  const json* st = findContainerStatus(pod, container);
  if (st == nullptr) {
    if (previous) {
      return badRequest("previous terminated container \"" + container + "\" in pod \"" + name +
                        "\" not found");
    }
    return waitingError(container, name, "ContainerCreating");
  }
  const json state = st->contains("state") ? (*st)["state"] : json();
  const json last = st->contains("lastState") ? (*st)["lastState"] : json();
  if (previous) {
    if (!hasState(last, "terminated")) {
      return badRequest("previous terminated container \"" + container + "\" in pod \"" + name +
                        "\" not found");
    }
    return Status::ok();
  }
  if (hasState(state, "running") || hasState(state, "terminated") || hasState(last, "terminated")) {
    return Status::ok();
  }
  if (hasState(state, "waiting")) {
    return waitingError(container, name, state["waiting"].value("reason", ""));
  }
  return badRequest("container \"" + container + "\" in pod \"" + name +
                    "\" is waiting to start - no logs yet");
}

Status checkExecutable(const json& pod, const std::string& container) {
  const std::string name = podName(pod);
  const json* st = findContainerStatus(pod, container);
  if (st == nullptr) return waitingError(container, name, "ContainerCreating");
  const json state = st->contains("state") ? (*st)["state"] : json();
  if (hasState(state, "running")) return Status::ok();
  if (hasState(state, "waiting")) {
    return waitingError(container, name, state["waiting"].value("reason", ""));
  }
  return badRequest("container \"" + container + "\" in pod \"" + name + "\" is not running");
}

std::string kubeletQuery(const std::string& raw_target) {
  size_t q = raw_target.find('?');
  if (q == std::string::npos) return "";
  std::string_view query(raw_target);
  query.remove_prefix(q + 1);
  std::string out;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (part.empty()) continue;
    std::string_view key = part.substr(0, part.find('='));
    if (key == "container") continue;
    if (!out.empty()) out += '&';
    out += part;
  }
  return out;
}

struct NodeProxy::Impl {
  Impl(RestHandler& r, KubeletClient k) : rest(r), kubelet(std::move(k)) {}

  RestHandler& rest;
  const KubeletClient kubelet;
  std::mutex mu;
  bool stopped = false;  // GUARDED_BY(mu)
  struct Follower {
    std::jthread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::list<Follower> followers;  // GUARDED_BY(mu)

  // The pod, its container, and its kubelet's address; or the error to answer.
  struct Target {
    json pod;
    std::string container;
    KubeletAddress kubelet;
    std::string node;
  };

  Result<json> readPod(const RequestInfo& info) {
    const auto* pods = api::findResource("", "v1", "pods");
    return rest.getFromStore(*pods, info.namespace_, info.name);
  }

  Result<KubeletAddress> kubeletOf(const std::string& node_name) {
    const auto* nodes = api::findResource("", "v1", "nodes");
    ASSIGN_OR_RETURN(json node, rest.getFromStore(*nodes, "", node_name));
    return kubeletAddressOf(node);
  }

  std::string kubeletTarget(const char* endpoint, const RequestInfo& info,
                            const std::string& container, const HttpRequest& request) {
    std::string target = std::string("/") + endpoint + "/" + urlEncode(info.namespace_) + "/" +
                         urlEncode(info.name) + "/" + urlEncode(container);
    std::string query = kubeletQuery(request.raw_target);
    if (!query.empty()) target += "?" + query;
    return target;
  }

  static std::string urlEncode(const std::string& s) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
      if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
        out.push_back(static_cast<char>(c));
      } else {
        out.push_back('%');
        out.push_back(hex[c >> 4]);
        out.push_back(hex[c & 15]);
      }
    }
    return out;
  }

  Result<std::unique_ptr<KubeletConnection>> dial(const std::string& node,
                                                  const KubeletAddress& a) {
    auto conn = kubelet.connect(a.host, a.port, kDialTimeout);
    if (!conn.isOk()) {
      return unavailable("error dialing the kubelet of node \"" + node +
                         "\": " + conn.status().message());
    }
    return conn;
  }

  HandlerResult log(const RequestInfo& info, HttpRequest& request);
  // exec, attach, portforward: the upgrade passed to the kubelet, then a splice.
  HandlerResult stream(const RequestInfo& info, HttpRequest& request);
  bool spawn(std::function<void(std::stop_token)> fn);
};

bool NodeProxy::Impl::spawn(std::function<void(std::stop_token)> fn) {
  std::lock_guard lock(mu);
  if (stopped) return false;
  followers.remove_if([](const Follower& f) { return f.done->load(); });
  auto done = std::make_shared<std::atomic<bool>>(false);
  followers.push_back(Follower{std::jthread([fn = std::move(fn), done](std::stop_token st) {
                                 fn(st);
                                 done->store(true);
                               }),
                               done});
  return true;
}

HandlerResult NodeProxy::Impl::log(const RequestInfo& info, HttpRequest& request) {
  StatusDetails details{info.name, "", "pods"};
  auto pod = readPod(info);
  if (!pod.isOk()) return statusResult(pod.status(), details);
  auto container = pickContainer(*pod, request.queryValue("container"));
  if (!container.isOk()) return statusResult(container.status());
  bool previous = http::isTrueValue(request.queryValue("previous"));
  Status readable = checkLogReadable(*pod, *container, previous);
  if (!readable.isOk()) return statusResult(readable);
  std::string node = (*pod)["spec"].value("nodeName", "");
  if (node.empty()) return statusResult(waitingError(*container, info.name, "ContainerCreating"));
  auto address = kubeletOf(node);
  if (!address.isOk()) return statusResult(address.status());
  auto conn = dial(node, *address);
  if (!conn.isOk()) return statusResult(conn.status());
  std::string target = kubeletTarget("containerLogs", info, *container, request);
  std::string req = "GET " + target + " HTTP/1.1\r\nHost: " + (*conn)->address() +
                    "\r\nUser-Agent: minik8s-apiserver\r\n\r\n";
  Status sent = (*conn)->send(req, kHeadTimeout);
  if (!sent.isOk()) return statusResult(sent);
  auto head = (*conn)->readHead(kHeadTimeout);
  if (!head.isOk()) return statusResult(head.status());
  const bool chunked = iequals(head->header("Transfer-Encoding"), "chunked");
  if (head->status < 200 || head->status >= 300 || !chunked) {
    auto body = (*conn)->readBody(*head, kBodyTimeout);
    if (!body.isOk()) return statusResult(body.status());
    return relay(*head, std::move(*body));
  }
  // A followed log: pass the chunks on from a thread of our own.
  HandlerResult result;
  result.response.headers.emplace_back("Content-Type", "text/plain");
  std::shared_ptr<KubeletConnection> shared(std::move(*conn));
  KubeletResponseHead h = *head;
  result.start_stream = [this, shared, h](std::shared_ptr<ResponseStream> stream) {
    stream->setOnClose([shared] { shared->cancel(); });
    bool spawned = spawn([shared, h, stream](std::stop_token st) {
      std::stop_callback on_stop(st, [&shared] { shared->cancel(); });
      Status s = shared->streamBody(
          h, [&stream](std::string_view piece) { return stream->write(std::string(piece)); });
      if (!s.isOk() && s.message() != "cancelled") {
        minik8s::log::debug("apiserver: log stream from {} ended: {}", shared->address(),
                            s.toString());
      }
      stream->finish();
    });
    if (!spawned) stream->finish();
  };
  return result;
}

HandlerResult NodeProxy::Impl::stream(const RequestInfo& info, HttpRequest& request) {
  StatusDetails details{info.name, "", "pods"};
  const std::string& sub = info.subresource;
  auto pod = readPod(info);
  if (!pod.isOk()) return statusResult(pod.status(), details);
  std::string container;
  if (sub != "portforward") {
    auto picked = pickContainer(*pod, request.queryValue("container"));
    if (!picked.isOk()) return statusResult(picked.status());
    container = *picked;
  }
  std::string node = (*pod)["spec"].value("nodeName", "");
  if (node.empty())
    return statusResult(badRequest("pod " + info.name + " does not have a host assigned"));
  if (sub != "portforward") {
    Status executable = checkExecutable(*pod, container);
    if (!executable.isOk()) return statusResult(executable);
  }
  // After the checks above, so that kubectl's SPDY retry of a refused WebSocket gets the
  // same answer.
  const bool websocket = iequals(request.header("Upgrade"), "websocket");
  const bool spdy = icontains(request.header("Upgrade"), "SPDY/3.1");
  if ((!websocket && !spdy) || !icontains(request.header("Connection"), "upgrade")) {
    return statusResult(badRequest("pods/" + sub +
                                   " needs an upgrade: WebSocket (Sec-WebSocket-Protocol "
                                   "v5.channel.k8s.io or v4.channel.k8s.io) or SPDY/3.1"));
  }
  auto address = kubeletOf(node);
  if (!address.isOk()) return statusResult(address.status());
  auto conn = dial(node, *address);
  if (!conn.isOk()) return statusResult(conn.status());

  std::string target;
  if (sub == "portforward") {
    target = "/portForward/" + urlEncode(info.namespace_) + "/" + urlEncode(info.name);
  } else {
    target = kubeletTarget(sub == "attach" ? "attach" : "exec", info, container, request);
  }
  std::string req =
      request.method + " " + target + " HTTP/1.1\r\nHost: " + (*conn)->address() + "\r\n";
  for (const auto& [name, value] : request.headers) {
    if (iequals(name, "Host") || iequals(name, "Content-Length")) continue;
    req += name + ": " + value + "\r\n";
  }
  req += "\r\n";
  Status sent = (*conn)->send(req, kHeadTimeout);
  if (!sent.isOk()) return statusResult(sent);
  auto head = (*conn)->readHead(kHeadTimeout);
  if (!head.isOk()) return statusResult(head.status());
  if (head->status != 101) {
    auto body = (*conn)->readBody(*head, kBodyTimeout);
    if (!body.isOk()) return statusResult(body.status());
    return relay(*head, std::move(*body));
  }
  std::shared_ptr<KubeletConnection> kubelet(std::move(*conn));
  std::string to_client = head->raw + kubelet->takeBuffered();
  HandlerResult result;
  result.upgrade = [kubelet, to_client](std::unique_ptr<http::UpgradedConnection> client) {
    std::string to_kubelet = client->takeBuffered();
    auto upstream = kubelet->takeStream(client->stream().get_executor());
    std::make_shared<http::Splice<std::unique_ptr<http::AsyncStream>>>(std::move(client),
                                                                       std::move(upstream))
        ->start(to_client, std::move(to_kubelet));
  };
  return result;
}

NodeProxy::NodeProxy(RestHandler& rest, KubeletClient kubelet)
    : impl_(std::make_unique<Impl>(rest, std::move(kubelet))) {}

NodeProxy::~NodeProxy() {
  stop();
}

void NodeProxy::stop() {
  std::list<Impl::Follower> followers;
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopped = true;
    followers.swap(impl_->followers);
  }
  for (auto& f : followers) f.thread.request_stop();
  followers.clear();  // joins
}

HandlerResult NodeProxy::handle(const RequestInfo& info, HttpRequest& request) {
  if (info.subresource == "log") {
    if (request.method != "GET") {
      return statusResult(Status(Code::kMethodNotAllowed, "only GET is allowed on pods/log"));
    }
    return impl_->log(info, request);
  }
  if (info.subresource == "exec" || info.subresource == "attach" ||
      info.subresource == "portforward") {
    if (request.method != "GET" && request.method != "POST") {
      return statusResult(Status(Code::kMethodNotAllowed,
                                 "only GET and POST are allowed on pods/" + info.subresource));
    }
    return impl_->stream(info, request);
  }
  return statusResult(notFound("the server could not find the requested resource"));
}

}  // namespace minik8s::apiserver
