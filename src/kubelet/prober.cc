#include "kubelet/prober.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <optional>
#include <utility>

#include "api/defaults.h"
#include "common/strings.h"

namespace minik8s::kubelet {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr int kMaxRedirects = 10;
constexpr size_t kMaxBodyBytes = 10 * 1024;  // Kubernetes keeps the first 10 KiB as output
constexpr const char* kUserAgent = "kube-probe/1.30";

ProbeOutcome success(std::string message = "") {
  return {ProbeResult::kSuccess, std::move(message)};
}
ProbeOutcome failure(std::string message) {
  return {ProbeResult::kFailure, std::move(message)};
}
ProbeOutcome unknown(std::string message) {
  return {ProbeResult::kUnknown, std::move(message)};
}

// "10.0.0.1:80", "[fd00::1]:80".
std::string hostPort(const std::string& host, int32_t port) {
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

// One blocking TCP connection whose every operation honours one absolute deadline: each
// operation is started asynchronously and the private io_context is run to completion.
class DeadlineConnection {
 public:
  explicit DeadlineConnection(std::chrono::steady_clock::time_point deadline)
      : deadline_(deadline) {}

  beast::error_code connect(const std::string& host, int32_t port) {
    beast::error_code ec;
    asio::ip::address address = asio::ip::make_address(host, ec);
    if (!ec) {
      tcp::endpoint endpoint(address, static_cast<uint16_t>(port));
      return run([&](auto handler) { stream_.async_connect(endpoint, std::move(handler)); });
    }
    tcp::resolver resolver(ioc_);
    auto endpoints = resolver.resolve(host, std::to_string(port), ec);
    if (ec) return ec;
    return run([&](auto handler) { stream_.async_connect(endpoints, std::move(handler)); });
  }

  beast::error_code write(http::request<http::empty_body>& request) {
    return run([&](auto handler) { http::async_write(stream_, request, std::move(handler)); });
  }

  template <typename Parser>
  beast::error_code readHeader(Parser& parser) {
    return run([&](auto handler) {
      http::async_read_header(stream_, buffer_, parser, std::move(handler));
    });
  }

  template <typename Parser>
  beast::error_code readBody(Parser& parser) {
    return run(
        [&](auto handler) { http::async_read(stream_, buffer_, parser, std::move(handler)); });
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
  }

 private:
  template <typename Start>
  beast::error_code run(Start start) {
    if (std::chrono::steady_clock::now() >= deadline_) return beast::error::timeout;
    beast::error_code result = asio::error::would_block;
    stream_.expires_at(deadline_);
    start([&result](beast::error_code ec, auto&&...) { result = ec; });
    ioc_.restart();
    ioc_.run();
    return result;
  }

  asio::io_context ioc_;
  beast::tcp_stream stream_{ioc_};
  beast::flat_buffer buffer_;
  std::chrono::steady_clock::time_point deadline_;
};

std::string describeError(const beast::error_code& ec) {
  if (ec == beast::error::timeout) return "i/o timeout";
  if (ec == asio::error::connection_refused) return "connect: connection refused";
  return ec.message();
}

// Where a redirect's Location points, relative to the request that got it.
struct Url {
  std::string scheme;  // "http", "https"
  std::string host;
  int32_t port = 0;
  std::string target;  // path and query
};

std::optional<Url> resolveLocation(const Url& base, const std::string& location) {
  if (location.empty()) return std::nullopt;
  Url url = base;
  std::string rest;
  if (location.rfind("http://", 0) == 0) {
    url.scheme = "http", url.port = 80, rest = location.substr(7);
  } else if (location.rfind("https://", 0) == 0) {
    url.scheme = "https", url.port = 443, rest = location.substr(8);
  } else if (location.rfind("//", 0) == 0) {
    url.port = url.scheme == "https" ? 443 : 80, rest = location.substr(2);
  } else if (location[0] == '/') {
    url.target = location;
    return url;
  } else {  // relative to the directory of the current path
    std::string path = base.target.substr(0, base.target.find('?'));
    url.target = path.substr(0, path.rfind('/') + 1) + location;
    return url;
  }
  size_t slash = rest.find_first_of("/?");
  std::string authority = rest.substr(0, slash);
  url.target = slash == std::string::npos ? "/" : rest.substr(slash);
  if (url.target[0] == '?') url.target = "/" + url.target;
  std::string port_text;
  if (!authority.empty() && authority[0] == '[') {  // [v6]:port
    size_t close = authority.find(']');
    if (close == std::string::npos) return std::nullopt;
    url.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':') {
      port_text = authority.substr(close + 2);
    }
  } else {
    size_t colon = authority.rfind(':');
    url.host = authority.substr(0, colon);
    if (colon != std::string::npos) port_text = authority.substr(colon + 1);
  }
  if (!port_text.empty()) {
    int32_t port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size()) return std::nullopt;
    url.port = port;
  }
  if (url.host.empty()) return std::nullopt;
  return url;
}

struct HttpAnswer {
  int status = 0;
  std::string location;
  std::string body;
};

// One GET on a fresh connection. An error Status carries the Kubernetes-like message.
Result<HttpAnswer> httpGetOnce(const Url& url, const std::vector<api::HttpHeader>& headers,
                               std::chrono::steady_clock::time_point deadline) {
  std::string where = "Get \"http://" + hostPort(url.host, url.port) + url.target + "\": ";
  DeadlineConnection connection(deadline);
  beast::error_code ec = connection.connect(url.host, url.port);
  if (ec)
    return unavailable(where + "dial tcp " + hostPort(url.host, url.port) + ": " +
                       describeError(ec));

  http::request<http::empty_body> request{http::verb::get, url.target, 11};
  request.set(http::field::host, url.port == 80 ? url.host : hostPort(url.host, url.port));
  request.set(http::field::user_agent, kUserAgent);
  request.set(http::field::accept, "*/*");
  for (const api::HttpHeader& header : headers) request.erase(header.name);
  for (const api::HttpHeader& header : headers) request.insert(header.name, header.value);
  request.set(http::field::connection, "close");
  ec = connection.write(request);
  if (ec) return unavailable(where + describeError(ec));

  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxBodyBytes);
  ec = connection.readHeader(parser);
  if (ec == beast::error::timeout) {
    return deadlineExceeded(where +
                            "context deadline exceeded (Client.Timeout exceeded while "
                            "awaiting headers)");
  }
  if (ec) return unavailable(where + describeError(ec));
  HttpAnswer answer;
  answer.status = static_cast<int>(parser.get().result_int());
  answer.location = std::string(parser.get()[http::field::location]);
  ec = connection.readBody(parser);
  if (ec && ec != http::error::body_limit) {
    return unavailable(where + "reading body: " + describeError(ec));
  }
  answer.body = parser.get().body().substr(0, kMaxBodyBytes);
  connection.close();
  return answer;
}

}  // namespace

std::string_view probeResultName(ProbeResult result) {
  switch (result) {
    case ProbeResult::kSuccess: return "Success";
    case ProbeResult::kFailure: return "Failure";
    case ProbeResult::kUnknown: return "Unknown";
  }
  return "Unknown";
}

ProbeOutcome runExecProbe(cri::Runtime& runtime, const std::string& container_id,
                          const std::vector<std::string>& command, std::chrono::seconds timeout) {
  if (command.empty()) return unknown("exec probe has no command");
  Result<cri::ExecResult> result = runtime.execSync(container_id, command, timeout);
  if (!result.isOk()) {
    if (result.status().code() == Code::kDeadlineExceeded) {
      return failure("command timed out after " + std::to_string(timeout.count()) + "s");
    }
    return unknown("exec probe: " + result.status().toString());
  }
  std::string output = (result->stdout_data + result->stderr_data).substr(0, kMaxBodyBytes);
  if (result->exit_code == 0) return success(std::move(output));
  if (output.empty()) output = "command exited with code " + std::to_string(result->exit_code);
  return failure(std::move(output));
}

ProbeOutcome runHttpGetProbe(const std::string& host, int32_t port, const std::string& path,
                             const std::string& scheme, const std::vector<api::HttpHeader>& headers,
                             std::chrono::milliseconds timeout) {
  if (!scheme.empty() && !iequals(scheme, "HTTP")) {
    return unknown("httpGet probe scheme " + scheme + " is not supported");
  }
  if (host.empty()) return unknown("httpGet probe has no host (pod IP unknown)");
  auto deadline = std::chrono::steady_clock::now() + timeout;
  Url url{"http", host, port, path.empty() || path[0] != '/' ? "/" + path : path};
  for (int redirects = 0;; ++redirects) {
    Result<HttpAnswer> answer = httpGetOnce(url, headers, deadline);
    if (!answer.isOk()) return failure(answer.status().message());
    int status = answer->status;
    if (status >= 200 && status < 300) return success(std::move(answer->body));
    if (status < 200 || status >= 400) {
      return failure("HTTP probe failed with statuscode: " + std::to_string(status));
    }
    // 3xx: follow to the same host, stop (and count it as success) anywhere else.
    std::optional<Url> next = resolveLocation(url, answer->location);
    if (!next || next->host != url.host || next->scheme != "http") {
      return success("Probe terminated redirects, Response: " + std::to_string(status));
    }
    if (redirects + 1 >= kMaxRedirects) {
      return failure("Get \"" + answer->location + "\": stopped after 10 redirects");
    }
    url = std::move(*next);
  }
}

ProbeOutcome runTcpProbe(const std::string& host, int32_t port, std::chrono::milliseconds timeout) {
  if (host.empty()) return unknown("tcpSocket probe has no host (pod IP unknown)");
  DeadlineConnection connection(std::chrono::steady_clock::now() + timeout);
  beast::error_code ec = connection.connect(host, port);
  if (ec) return failure("dial tcp " + hostPort(host, port) + ": " + describeError(ec));
  connection.close();
  return success();
}

Result<int32_t> resolveProbePort(const api::IntOrString& port, const api::Container& container) {
  int32_t number = port.int_value;
  if (port.is_string) {
    bool found = false;
    for (const api::ContainerPort& p : container.ports) {
      if (!p.name.empty() && p.name == port.str_value) {
        number = p.container_port, found = true;
        break;
      }
    }
    if (!found) {
      const std::string& s = port.str_value;
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), number);
      if (s.empty() || ec != std::errc() || end != s.data() + s.size()) {
        return invalid("port \"" + s + "\" not found in container " + container.name);
      }
    }
  }
  if (number < 1 || number > 65535) {
    return invalid("invalid port number " + std::to_string(number));
  }
  return number;
}

api::Probe probeWithDefaults(api::Probe probe) {
  api::setDefaults(probe);
  return probe;
}

ProbeOutcome runProbe(cri::Runtime& runtime, const api::Probe& probe,
                      const api::Container& container, const std::string& pod_ip,
                      const std::string& container_id) {
  int32_t timeout_seconds = probe.timeout_seconds > 0 ? probe.timeout_seconds : 1;
  std::chrono::seconds timeout(timeout_seconds);
  if (probe.exec) return runExecProbe(runtime, container_id, probe.exec->command, timeout);
  if (probe.http_get) {
    const api::HttpGetAction& action = *probe.http_get;
    Result<int32_t> port = resolveProbePort(action.port, container);
    if (!port.isOk()) return unknown("httpGet probe: " + port.status().message());
    const std::string& host = action.host.empty() ? pod_ip : action.host;
    return runHttpGetProbe(host, *port, action.path, action.scheme, action.http_headers, timeout);
  }
  if (probe.tcp_socket) {
    Result<int32_t> port = resolveProbePort(probe.tcp_socket->port, container);
    if (!port.isOk()) return unknown("tcpSocket probe: " + port.status().message());
    const std::string& host = probe.tcp_socket->host.empty() ? pod_ip : probe.tcp_socket->host;
    return runTcpProbe(host, *port, timeout);
  }
  if (!probe.grpc.isNull()) return unknown("grpc probes are not supported");
  return unknown("probe has no handler");
}

}  // namespace minik8s::kubelet
