// A small blocking HTTP/1.1 client for integration tests (header-only): one request per
// connection, Content-Length or chunked responses, and a line reader for watch streams.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace minik8s::testing {

struct HttpResult {
  int status = 0;
  std::map<std::string, std::string> headers;       // lower-case names; last value wins
  std::vector<std::string> warnings;                // every Warning header
  std::string body;
};

class HttpConnection {
 public:
  explicit HttpConnection(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~HttpConnection() {
    if (fd_ >= 0) ::close(fd_);
  }
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  bool ok() const { return fd_ >= 0; }

  bool send(const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
      ssize_t n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }

  bool sendRequest(const std::string& method, const std::string& target, const std::string& body,
                   const std::map<std::string, std::string>& headers) {
    std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    bool has_type = false;
    for (const auto& [k, v] : headers) {
      req += k + ": " + v + "\r\n";
      if (lower(k) == "content-type") has_type = true;
    }
    if (!body.empty() && !has_type) req += "Content-Type: application/json\r\n";
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    return send(req);
  }

  // Reads the status line and headers. false on timeout or EOF.
  bool readHead(HttpResult* out, std::chrono::milliseconds timeout) {
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill(timeout)) return false;
    }
    std::string head = buf_.substr(0, end);
    buf_.erase(0, end + 4);
    size_t line_end = head.find("\r\n");
    std::string status_line = head.substr(0, line_end);
    auto sp = status_line.find(' ');
    out->status = sp == std::string::npos ? 0 : std::atoi(status_line.c_str() + sp + 1);
    size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
    while (pos < head.size()) {
      size_t e = head.find("\r\n", pos);
      if (e == std::string::npos) e = head.size();
      std::string line = head.substr(pos, e - pos);
      auto colon = line.find(':');
      if (colon != std::string::npos) {
        std::string name = lower(line.substr(0, colon));
        std::string value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.erase(0, 1);
        if (name == "warning") out->warnings.push_back(value);
        out->headers[name] = value;
      }
      pos = e + 2;
    }
    return true;
  }

  // Reads one chunk of a chunked body; nullopt on timeout/EOF, "" for the last chunk.
  std::optional<std::string> readChunk(std::chrono::milliseconds timeout) {
    size_t e;
    while ((e = buf_.find("\r\n")) == std::string::npos) {
      if (!fill(timeout)) return std::nullopt;
    }
    size_t size = std::stoul(buf_.substr(0, e), nullptr, 16);
    while (buf_.size() < e + 2 + size + 2) {
      if (!fill(timeout)) return std::nullopt;
    }
    std::string data = buf_.substr(e + 2, size);
    buf_.erase(0, e + 2 + size + 2);
    return data;
  }

  // Reads one newline-terminated line of a chunked stream (a watch event).
  std::optional<std::string> readLine(std::chrono::milliseconds timeout) {
    while (true) {
      auto nl = lines_.find('\n');
      if (nl != std::string::npos) {
        std::string line = lines_.substr(0, nl);
        lines_.erase(0, nl + 1);
        return line;
      }
      auto chunk = readChunk(timeout);
      if (!chunk || chunk->empty()) return std::nullopt;
      lines_ += *chunk;
    }
  }

  int fd() const { return fd_; }

  // Non-blocking: appends whatever the socket has now; false on EOF or error.
  bool readAvailable() {
    char tmp[65536];
    while (true) {
      ssize_t n = ::recv(fd_, tmp, sizeof tmp, MSG_DONTWAIT);
      if (n > 0) {
        buf_.append(tmp, static_cast<size_t>(n));
        continue;
      }
      return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    }
  }

  // The next complete line of a chunked stream from what is already buffered.
  std::optional<std::string> bufferedLine() {
    while (true) {
      auto nl = lines_.find('\n');
      if (nl != std::string::npos) {
        std::string line = lines_.substr(0, nl);
        lines_.erase(0, nl + 1);
        return line;
      }
      size_t e = buf_.find("\r\n");
      if (e == std::string::npos) return std::nullopt;
      size_t size = std::stoul(buf_.substr(0, e), nullptr, 16);
      if (size == 0 || buf_.size() < e + 2 + size + 2) return std::nullopt;
      lines_ += buf_.substr(e + 2, size);
      buf_.erase(0, e + 2 + size + 2);
    }
  }

  bool readResponse(HttpResult* out, std::chrono::milliseconds timeout) {
    if (!readHead(out, timeout)) return false;
    if (out->headers["transfer-encoding"] == "chunked") {
      while (auto chunk = readChunk(timeout)) {
        if (chunk->empty()) return true;
        out->body += *chunk;
      }
      return false;
    }
    size_t length = std::stoul(out->headers.count("content-length") ? out->headers["content-length"] : "0");
    while (buf_.size() < length) {
      if (!fill(timeout)) return false;
    }
    out->body = buf_.substr(0, length);
    buf_.erase(0, length);
    return true;
  }

 private:
  static std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }

  bool fill(std::chrono::milliseconds timeout) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return false;
    char tmp[65536];
    ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0) return false;
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  std::string buf_;
  std::string lines_;
};

// One request on a fresh connection.
inline HttpResult httpCall(uint16_t port, const std::string& method, const std::string& target,
                           const std::string& body = "",
                           const std::map<std::string, std::string>& headers = {}) {
  HttpConnection c(port);
  HttpResult r;
  if (!c.ok() || !c.sendRequest(method, target, body, headers) ||
      !c.readResponse(&r, std::chrono::seconds(10))) {
    r.status = -1;
  }
  return r;
}

}  // namespace minik8s::testing
