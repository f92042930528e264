#include "apiserver/kubelet_client.h"

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <cctype>

#include "common/strings.h"

namespace minik8s::apiserver {

namespace {

namespace beast = boost::beast;
namespace net = boost::asio;
using tcp = net::ip::tcp;

constexpr size_t kMaxHead = 64 * 1024;
constexpr size_t kReadChunk = 16 * 1024;

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return std::string(s);
}

}  // namespace

std::string KubeletResponseHead::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) return v;
  }
  return "";
}

struct KubeletConnection::Impl {
  net::io_context ioc;
  beast::tcp_stream stream{ioc};
  std::string buf;  // received, not consumed
  std::atomic<bool> cancelled{false};
  bool released = false;

  // Runs until the operation started on `stream` completes (or its deadline passes).
  beast::error_code readMore(Milliseconds timeout) {
    if (cancelled) return net::error::operation_aborted;
    char tmp[kReadChunk];
    size_t got = 0;
    beast::error_code result = net::error::would_block;
    if (timeout.count() > 0) {
      stream.expires_after(timeout);
    } else {
      stream.expires_never();
    }
    stream.async_read_some(net::buffer(tmp), [&](beast::error_code ec, size_t n) {
      result = ec;
      got = n;
    });
    ioc.restart();
    ioc.run();
    buf.append(tmp, got);
    if (cancelled && !result) result = net::error::operation_aborted;
    return result;
  }

  // Feeds the body to `sink`; `timeout` per read (0: none).
  Status pump(const KubeletResponseHead& head, const std::function<bool(std::string_view)>& sink,
              Milliseconds timeout, const std::string& address) {
    const bool chunked = iequals(trim(head.header("Transfer-Encoding")), "chunked");
    const std::string length_header = trim(head.header("Content-Length"));
    long long remaining = -1;  // -1: until EOF
    if (!chunked && !length_header.empty()) {
      try {
        remaining = std::stoll(length_header);
      } catch (...) {
        return internalError("kubelet " + address + " sent a bad Content-Length");
      }
    }
    if (head.status == 101 || head.status == 204 || head.status == 304) remaining = 0;
    enum { kSize, kData, kDataEnd, kTrailer } state = kSize;
    long long chunk_left = 0;
    for (;;) {
      // Consume what is buffered.
      if (chunked) {
        bool need_more = false;
        while (!need_more) {
          if (state == kSize) {
            size_t e = buf.find("\r\n");
            if (e == std::string::npos) {
              need_more = true;
              break;
            }
            std::string size_text = buf.substr(0, buf.find_first_of(";\r"));
            buf.erase(0, e + 2);
            try {
              chunk_left = std::stoll(size_text, nullptr, 16);
            } catch (...) {
              return internalError("kubelet " + address + " sent a bad chunk");
            }
            state = chunk_left == 0 ? kTrailer : kData;
          } else if (state == kData) {
            if (buf.empty()) {
              need_more = true;
              break;
            }
            size_t n = static_cast<size_t>(
                std::min<long long>(chunk_left, static_cast<long long>(buf.size())));
            bool go_on = sink(std::string_view(buf.data(), n));
            buf.erase(0, n);
            chunk_left -= static_cast<long long>(n);
            if (!go_on) return Status::ok();
            if (chunk_left == 0) state = kDataEnd;
          } else if (state == kDataEnd) {
            if (buf.size() < 2) {
              need_more = true;
              break;
            }
            buf.erase(0, 2);
            state = kSize;
          } else {  // trailer lines, then an empty line
            size_t e = buf.find("\r\n");
            if (e == std::string::npos) {
              need_more = true;
              break;
            }
            buf.erase(0, e + 2);
            if (e == 0) return Status::ok();
          }
        }
      } else if (remaining >= 0) {
        size_t n =
            static_cast<size_t>(std::min<long long>(remaining, static_cast<long long>(buf.size())));
        if (n > 0) {
          bool go_on = sink(std::string_view(buf.data(), n));
          buf.erase(0, n);
          remaining -= static_cast<long long>(n);
          if (!go_on) return Status::ok();
        }
        if (remaining == 0) return Status::ok();
      } else if (!buf.empty()) {
        bool go_on = sink(buf);
        buf.clear();
        if (!go_on) return Status::ok();
      }
      beast::error_code ec = readMore(timeout);
      if (ec == net::error::eof) {
        if (!chunked && remaining < 0) {
          if (!buf.empty()) sink(buf);
          buf.clear();
          return Status::ok();
        }
        return unavailable("kubelet " + address + " closed the connection mid-answer");
      }
      if (ec == net::error::operation_aborted && cancelled) return unavailable("cancelled");
      if (ec == beast::error::timeout) {
        return deadlineExceeded("timed out reading from the kubelet at " + address);
      }
      if (ec) return unavailable("reading from the kubelet at " + address + ": " + ec.message());
    }
  }
};

KubeletConnection::KubeletConnection(std::unique_ptr<Impl> impl, std::string address)
    : impl_(std::move(impl)), address_(std::move(address)) {}

KubeletConnection::~KubeletConnection() {
  if (!impl_->released) {
    beast::error_code ignored;
    impl_->stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    impl_->stream.close();
  }
}

Result<std::unique_ptr<KubeletConnection>> KubeletConnection::connect(const std::string& host,
                                                                      uint16_t port,
                                                                      Milliseconds timeout) {
  auto impl = std::make_unique<Impl>();
  std::string address = host + ":" + std::to_string(port);
  if (host.find(':') != std::string::npos) address = "[" + host + "]:" + std::to_string(port);
  tcp::resolver resolver(impl->ioc);
  beast::error_code ec;
  auto endpoints = resolver.resolve(host, std::to_string(port), ec);
  if (ec) return unavailable("resolving the kubelet address " + host + ": " + ec.message());
  beast::error_code result = net::error::would_block;
  impl->stream.expires_after(timeout);
  impl->stream.async_connect(endpoints,
                             [&](beast::error_code e, const tcp::endpoint&) { result = e; });
  impl->ioc.run();
  if (result == beast::error::timeout) {
    return deadlineExceeded("dialing the kubelet at " + address + ": i/o timeout");
  }
  if (result) return unavailable("dialing the kubelet at " + address + ": " + result.message());
  impl->stream.socket().set_option(tcp::no_delay(true), ec);
  return std::unique_ptr<KubeletConnection>(new KubeletConnection(std::move(impl), address));
}

Status KubeletConnection::send(std::string_view data, Milliseconds timeout) {
  beast::error_code result = net::error::would_block;
  impl_->stream.expires_after(timeout);
  net::async_write(impl_->stream, net::buffer(data.data(), data.size()),
                   [&](beast::error_code e, size_t) { result = e; });
  impl_->ioc.restart();
  impl_->ioc.run();
  if (result) return unavailable("writing to the kubelet at " + address_ + ": " + result.message());
  return Status::ok();
}

Result<KubeletResponseHead> KubeletConnection::readHead(Milliseconds timeout) {
  size_t end;
  while ((end = impl_->buf.find("\r\n\r\n")) == std::string::npos) {
    if (impl_->buf.size() > kMaxHead) {
      return internalError("the kubelet at " + address_ + " sent an oversized head");
    }
    beast::error_code ec = impl_->readMore(timeout);
    if (ec == beast::error::timeout) {
      return deadlineExceeded("timed out waiting for the kubelet at " + address_);
    }
    if (ec) {
      return unavailable("reading from the kubelet at " + address_ + ": " + ec.message());
    }
  }
  KubeletResponseHead head;
  head.raw = impl_->buf.substr(0, end + 4);
  impl_->buf.erase(0, end + 4);
  size_t line_end = head.raw.find("\r\n");
  std::string status_line = head.raw.substr(0, line_end);
  // "HTTP/1.1 200 OK"
  size_t sp = status_line.find(' ');
  if (status_line.rfind("HTTP/", 0) != 0 || sp == std::string::npos) {
    return internalError("the kubelet at " + address_ + " sent a malformed answer");
  }
  try {
    head.status = std::stoi(status_line.substr(sp + 1, 3));
  } catch (...) {
    return internalError("the kubelet at " + address_ + " sent a malformed status line");
  }
  size_t pos = line_end + 2;
  while (pos < end) {
    size_t e = head.raw.find("\r\n", pos);
    std::string line = head.raw.substr(pos, e - pos);
    pos = e + 2;
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    head.headers.emplace_back(line.substr(0, colon), trim(line.substr(colon + 1)));
  }
  return head;
}

Result<std::string> KubeletConnection::readBody(const KubeletResponseHead& head,
                                                Milliseconds timeout) {
  std::string body;
  RETURN_IF_ERROR(impl_->pump(
      head,
      [&body](std::string_view piece) {
        body.append(piece);
        return true;
      },
      timeout, address_));
  return body;
}

Status KubeletConnection::streamBody(const KubeletResponseHead& head,
                                     const std::function<bool(std::string_view)>& sink) {
  return impl_->pump(head, sink, Milliseconds(0), address_);
}

void KubeletConnection::cancel() {
  impl_->cancelled = true;
  net::post(impl_->ioc, [impl = impl_.get()] {
    beast::error_code ignored;
    impl->stream.socket().cancel(ignored);
  });
}

int KubeletConnection::releaseSocket() {
  impl_->released = true;
  return impl_->stream.release_socket().release();
}

std::string KubeletConnection::takeBuffered() {
  return std::exchange(impl_->buf, std::string());
}

Result<KubeletGetResult> kubeletGet(const std::string& host, uint16_t port,
                                    const std::string& target, std::chrono::milliseconds timeout) {
  ASSIGN_OR_RETURN(auto conn, KubeletConnection::connect(host, port, timeout));
  std::string request = "GET " + target + " HTTP/1.1\r\nHost: " + conn->address() +
                        "\r\nUser-Agent: minik8s-apiserver\r\nAccept: application/json\r\n"
                        "Connection: close\r\n\r\n";
  RETURN_IF_ERROR(conn->send(request, timeout));
  ASSIGN_OR_RETURN(auto head, conn->readHead(timeout));
  ASSIGN_OR_RETURN(auto body, conn->readBody(head, timeout));
  return KubeletGetResult{head.status, std::move(body)};
}

}  // namespace minik8s::apiserver
