#include "apiserver/kubelet_client.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <cctype>
#include <thread>

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

// The built client context of a KubeletClient. Read-only once built.
struct KubeletClient::Tls {
  net::ssl::context ctx{net::ssl::context::tls_client};
  bool verify = false;
};

Result<KubeletClient> KubeletClient::create(const std::optional<KubeletClientConfig>& config) {
  KubeletClient client;
  if (!config) return client;
  auto tls = std::make_shared<Tls>();
  SSL_CTX* native = tls->ctx.native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  static constexpr unsigned char kAlpn[] = "\x08http/1.1";
  SSL_CTX_set_alpn_protos(native, kAlpn, sizeof kAlpn - 1);
  beast::error_code ec;
  tls->verify = !config->ca_pem.empty();
  if (tls->verify) {
    tls->ctx.add_certificate_authority(net::buffer(config->ca_pem), ec);
    if (ec) return badRequest("invalid kubelet-certificate-authority: " + ec.message());
  }
  tls->ctx.set_verify_mode(tls->verify ? net::ssl::verify_peer : net::ssl::verify_none);
  if (config->client_cert_pem.empty() || config->client_key_pem.empty()) {
    return badRequest("the kubelet client needs both a certificate and a key");
  }
  tls->ctx.use_certificate_chain(net::buffer(config->client_cert_pem), ec);
  if (ec) return badRequest("invalid kubelet-client-certificate: " + ec.message());
  tls->ctx.use_private_key(net::buffer(config->client_key_pem), net::ssl::context::pem, ec);
  if (ec || SSL_CTX_check_private_key(native) != 1) {
    return badRequest("kubelet-client-key does not match kubelet-client-certificate");
  }
  client.tls_ = std::move(tls);
  return client;
}

std::string KubeletResponseHead::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) return v;
  }
  return "";
}

struct KubeletConnection::Impl {
  net::io_context ioc;
  beast::tcp_stream stream{ioc};
  std::shared_ptr<const KubeletClient::Tls> tls_config;       // kept alive for `tls`
  std::unique_ptr<net::ssl::stream<beast::tcp_stream&>> tls;  // HTTPS; null: plain HTTP
  std::string buf;                                            // received, not consumed
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
    auto done = [&](beast::error_code ec, size_t n) {
      result = ec;
      got = n;
    };
    if (tls) {
      tls->async_read_some(net::buffer(tmp), done);
    } else {
      stream.async_read_some(net::buffer(tmp), done);
    }
    ioc.restart();
    ioc.run();
    buf.append(tmp, got);
    if (cancelled && !result) result = net::error::operation_aborted;
    // A TLS peer that closes without close_notify ends the body as a TCP EOF does.
    if (result == net::ssl::error::stream_truncated) result = net::error::eof;
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
  if (impl_ && !impl_->released) {
    beast::error_code ignored;
    impl_->stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    impl_->stream.close();
  }
}

Result<std::unique_ptr<KubeletConnection>> KubeletClient::connect(
    const std::string& host, uint16_t port, std::chrono::milliseconds timeout) const {
  auto impl = std::make_unique<KubeletConnection::Impl>();
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
  impl->tls_config = tls_;
  if (impl->tls_config) {
    auto& tls = impl->tls;
    tls = std::make_unique<net::ssl::stream<beast::tcp_stream&>>(
        impl->stream, const_cast<net::ssl::context&>(impl->tls_config->ctx));
    SSL* ssl = tls->native_handle();
    beast::error_code parse_error;
    net::ip::make_address(host, parse_error);
    if (parse_error) SSL_set_tlsext_host_name(ssl, host.c_str());
    if (impl->tls_config->verify) {
      if (parse_error) {
        SSL_set1_host(ssl, host.c_str());
      } else {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str());
      }
    }
    result = net::error::would_block;
    impl->stream.expires_after(timeout);
    tls->async_handshake(net::ssl::stream_base::client, [&](beast::error_code e) { result = e; });
    impl->ioc.restart();
    impl->ioc.run();
    if (result == beast::error::timeout) {
      return deadlineExceeded("TLS handshake with the kubelet at " + address + ": i/o timeout");
    }
    if (result) {
      long verified = SSL_get_verify_result(ssl);
      std::string why = verified != X509_V_OK
                            ? std::string("tls: failed to verify certificate: ") +
                                  X509_verify_cert_error_string(verified)
                            : result.message();
      return unavailable("TLS handshake with the kubelet at " + address + ": " + why);
    }
  }
  return std::unique_ptr<KubeletConnection>(new KubeletConnection(std::move(impl), address));
}

Status KubeletConnection::send(std::string_view data, Milliseconds timeout) {
  beast::error_code result = net::error::would_block;
  impl_->stream.expires_after(timeout);
  auto done = [&](beast::error_code e, size_t) { result = e; };
  if (impl_->tls) {
    net::async_write(*impl_->tls, net::buffer(data.data(), data.size()), done);
  } else {
    net::async_write(impl_->stream, net::buffer(data.data(), data.size()), done);
  }
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

std::string KubeletConnection::takeBuffered() {
  return std::exchange(impl_->buf, std::string());
}

namespace {

// A taken-over kubelet connection (TLS or plain) as an http::AsyncStream for a splice with a
// client connection of the HTTP server. The connection lives on its private io_context, run
// by a thread of this object; every operation is started there and completes on `client`
// (the splice's strand), so the splice itself stays single-threaded.
class KubeletStream : public http::AsyncStream {
 public:
  KubeletStream(std::unique_ptr<KubeletConnection::Impl> impl, executor_type client)
      : impl_(std::move(impl)), client_(std::move(client)), work_(impl_->ioc.get_executor()) {
    impl_->stream.expires_never();
    impl_->ioc.restart();
    thread_ = std::thread([impl = impl_.get()] { impl->ioc.run(); });
  }

  ~KubeletStream() override {
    close();
    if (thread_.get_id() == std::this_thread::get_id()) {
      thread_.detach();  // never happens in a splice: completions run on the client's strand
      (void)impl_.release();
      return;
    }
    thread_.join();
  }

  executor_type get_executor() override { return client_; }

  void shutdownSend() override {
    net::post(impl_->ioc, [impl = impl_.get()] {
      beast::error_code ignored;
      impl->stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    });
  }

  void close() override {
    closed_ = true;
    net::post(impl_->ioc, [this] {
      beast::error_code ignored;
      impl_->stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
      impl_->stream.socket().close(ignored);
      work_.reset();
    });
  }

  bool isTls() const override { return impl_->tls != nullptr; }

  void asyncTeardown(boost::beast::role_type, DoneHandler handler) override {
    close();
    net::post(client_, [h = std::move(handler)]() mutable { std::move(h)(beast::error_code()); });
  }
  void teardown(boost::beast::role_type, beast::error_code& ec) override {
    close();
    ec = {};
  }

 protected:
  void asyncReadSome(net::mutable_buffer buffer, IoHandler handler) override {
    if (closed_) return abort(std::move(handler));
    net::post(impl_->ioc, [this, buffer, h = std::move(handler)]() mutable {
      auto done = [client = client_, h = std::move(h)](beast::error_code ec, size_t n) mutable {
        if (ec == net::ssl::error::stream_truncated) ec = net::error::eof;
        net::post(client, [h = std::move(h), ec, n]() mutable { std::move(h)(ec, n); });
      };
      if (impl_->tls) {
        impl_->tls->async_read_some(buffer, std::move(done));
      } else {
        impl_->stream.async_read_some(buffer, std::move(done));
      }
    });
  }

  void asyncWriteSome(const WriteBuffers& buffers, IoHandler handler) override {
    if (closed_) return abort(std::move(handler));
    net::post(impl_->ioc, [this, buffers, h = std::move(handler)]() mutable {
      auto done = [client = client_, h = std::move(h)](beast::error_code ec, size_t n) mutable {
        net::post(client, [h = std::move(h), ec, n]() mutable { std::move(h)(ec, n); });
      };
      if (impl_->tls) {
        impl_->tls->async_write_some(buffers, std::move(done));
      } else {
        impl_->stream.async_write_some(buffers, std::move(done));
      }
    });
  }

 private:
  // After close() the I/O thread may be gone: operations fail at once, on the client side.
  void abort(IoHandler handler) {
    net::post(client_, [h = std::move(handler)]() mutable {
      std::move(h)(net::error::operation_aborted, 0);
    });
  }

  std::unique_ptr<KubeletConnection::Impl> impl_;
  executor_type client_;
  std::atomic<bool> closed_{false};
  net::executor_work_guard<net::io_context::executor_type> work_;  // only on the I/O thread
  std::thread thread_;
};

}  // namespace

std::unique_ptr<http::AsyncStream> KubeletConnection::takeStream(
    http::AsyncStream::executor_type executor) {
  impl_->released = true;
  return std::make_unique<KubeletStream>(std::move(impl_), std::move(executor));
}

Result<KubeletGetResult> KubeletClient::get(const std::string& host, uint16_t port,
                                            const std::string& target,
                                            std::chrono::milliseconds timeout) const {
  ASSIGN_OR_RETURN(auto conn, connect(host, port, timeout));
  std::string request = "GET " + target + " HTTP/1.1\r\nHost: " + conn->address() +
                        "\r\nUser-Agent: minik8s-apiserver\r\nAccept: application/json\r\n"
                        "Connection: close\r\n\r\n";
  RETURN_IF_ERROR(conn->send(request, timeout));
  ASSIGN_OR_RETURN(auto head, conn->readHead(timeout));
  ASSIGN_OR_RETURN(auto body, conn->readBody(head, timeout));
  return KubeletGetResult{head.status, std::move(body)};
}

}  // namespace minik8s::apiserver
