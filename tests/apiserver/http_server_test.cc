// HttpServer against raw sockets on 127.0.0.1, port 0. Waits poll with a deadline.
#include "apiserver/http_server.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace minik8s::apiserver {
namespace http_server_test {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Polls `cond` every 2 ms until it holds or `timeout` passes.
template <typename Cond>
bool waitFor(Cond cond, std::chrono::milliseconds timeout = 5000ms) {
  auto deadline = Clock::now() + timeout;
  while (!cond()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

size_t threadCount() {
  size_t n = 0;
  DIR* dir = opendir("/proc/self/task");
  if (dir == nullptr) return 0;
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(dir);
  return n;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

struct RawResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;                            // empty for chunked responses
  bool chunked = false;

  std::string header(const std::string& name) const {
    auto it = headers.find(lower(name));
    return it == headers.end() ? "" : it->second;
  }
};

// A blocking HTTP/1.1 client on a raw socket; reads time out after 5 s.
class RawClient {
 public:
  explicit RawClient(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    timeval tv{5, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  ~RawClient() { closeNow(); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return connected_; }

  bool send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  bool get(const std::string& target, const std::string& extra_headers = "") {
    return send("GET " + target + " HTTP/1.1\r\nHost: x\r\n" + extra_headers + "\r\n");
  }

  // A response head, plus the body unless it is chunked. nullopt on EOF, error or timeout.
  std::optional<RawResponse> readResponse() {
    RawResponse r;
    auto status_line = readLine();
    if (!status_line || status_line->size() < 12) return std::nullopt;
    r.status = std::stoi(status_line->substr(9, 3));
    for (;;) {
      auto line = readLine();
      if (!line) return std::nullopt;
      if (line->empty()) break;
      size_t colon = line->find(':');
      std::string value = line->substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      r.headers[lower(line->substr(0, colon))] = value;
    }
    r.chunked = lower(r.header("Transfer-Encoding")) == "chunked";
    if (!r.chunked) {
      auto body = readExact(
          std::stoul(r.header("Content-Length").empty() ? "0" : r.header("Content-Length")));
      if (!body) return std::nullopt;
      r.body = *body;
    }
    return r;
  }

  // The next chunk of a chunked body: "" for the terminating chunk, nullopt on error.
  std::optional<std::string> readChunk() {
    auto size_line = readLine();
    if (!size_line) return std::nullopt;
    size_t size = std::stoul(*size_line, nullptr, 16);
    auto data = readExact(size);
    auto crlf = readLine();
    if (!data || !crlf || !crlf->empty()) return std::nullopt;
    return data;
  }

  // True when the server closes the connection (EOF or reset) within `timeout`.
  bool waitClosed(std::chrono::milliseconds timeout = 5000ms) {
    auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      int left = static_cast<int>(
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
      if (::poll(&p, 1, std::max(left, 1)) <= 0) continue;
      char tmp[4096];
      ssize_t n = ::recv(fd_, tmp, sizeof(tmp), 0);
      if (n <= 0) return true;
    }
    return false;
  }

  void closeNow() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  bool fill() {
    char tmp[16384];
    ssize_t n = ::recv(fd_, tmp, sizeof(tmp), 0);
    if (n <= 0) return false;
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }

  std::optional<std::string> readLine() {
    for (;;) {
      size_t pos = buf_.find("\r\n");
      if (pos != std::string::npos) {
        std::string line = buf_.substr(0, pos);
        buf_.erase(0, pos + 2);
        return line;
      }
      if (!fill()) return std::nullopt;
    }
  }

  std::optional<std::string> readExact(size_t n) {
    while (buf_.size() < n) {
      if (!fill()) return std::nullopt;
    }
    std::string out = buf_.substr(0, n);
    buf_.erase(0, n);
    return out;
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string buf_;
};

// Collects the streams the handler opens.
struct StreamSink {
  std::mutex mu;
  std::vector<std::shared_ptr<ResponseStream>> streams;
  std::atomic<int> closes{0};

  size_t size() {
    std::lock_guard lock(mu);
    return streams.size();
  }
  std::shared_ptr<ResponseStream> at(size_t i) {
    std::lock_guard lock(mu);
    return streams.at(i);
  }
};

// Blocks handlers until opened.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  std::atomic<int> waiting{0};

  void pass() {
    ++waiting;
    std::unique_lock lock(mu);
    cv.wait(lock, [this] { return open; });
  }
  void release() {
    {
      std::lock_guard lock(mu);
      open = true;
    }
    cv.notify_all();
  }
};

class HttpServerTest : public ::testing::Test {
 protected:
  void TearDown() override {
    gate_.release();
    if (server_) server_->stop();
  }

  void start(HttpServerOptions options = {}) {
    options.bind_address = "127.0.0.1";
    options.port = 0;
    server_ = HttpServer::create(options, [this](HttpRequest& r) { return handle(r); });
    ASSERT_TRUE(server_->start().isOk());
    port_ = server_->port();
    ASSERT_NE(port_, 0);
  }

  // /watch opens a stream into sink_; /block waits on gate_; /throw throws; others echo.
  HandlerResult handle(HttpRequest& r) {
    ++handled_;
    {
      std::lock_guard lock(mu_);
      last_ = r;
    }
    HandlerResult result;
    if (r.path == "/watch") {
      result.response.headers.emplace_back("Content-Type", "application/json");
      result.start_stream = [this](std::shared_ptr<ResponseStream> s) {
        s->setOnClose([this] { ++sink_.closes; });
        std::lock_guard lock(sink_.mu);
        sink_.streams.push_back(std::move(s));
      };
      return result;
    }
    if (r.path == "/block") gate_.pass();
    if (r.path == "/throw") throw std::runtime_error("boom");
    result.response.body = r.method + " " + r.path + " " + std::to_string(r.body.size());
    return result;
  }

  HttpRequest last() {
    std::lock_guard lock(mu_);
    return last_;
  }

  std::unique_ptr<HttpServer> server_;
  uint16_t port_ = 0;
  std::atomic<int> handled_{0};
  StreamSink sink_;
  Gate gate_;
  std::mutex mu_;
  HttpRequest last_;
};

TEST(UrlDecode, DecodesPercentAndOptionallyPlus) {
  EXPECT_EQ(urlDecode("a%20b%2Fc", false), "a b/c");
  EXPECT_EQ(urlDecode("a+b", false), "a+b");
  EXPECT_EQ(urlDecode("a+b", true), "a b");
  EXPECT_EQ(urlDecode("100%", true), "100%");
  EXPECT_EQ(urlDecode("%zz", true), "%zz");
  EXPECT_EQ(tryUrlDecode("%e2%82%AC", false), "\xe2\x82\xac");
  EXPECT_EQ(tryUrlDecode("%zz", false), std::nullopt);
  EXPECT_EQ(tryUrlDecode("ab%4", false), std::nullopt);
}

TEST_F(HttpServerTest, ServesSeveralRequestsOnOneKeepAliveConnection) {
  start();
  RawClient c(port_);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(c.send("POST /p" + std::to_string(i) +
                       " HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"));
    auto r = c.readResponse();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "POST /p" + std::to_string(i) + " 5");
    EXPECT_EQ(r->header("Content-Type"), "application/json");
    EXPECT_EQ(r->header("Content-Length"), std::to_string(r->body.size()));
  }
  EXPECT_EQ(handled_, 3);
}

TEST_F(HttpServerTest, AnswersPipelinedRequestsInOrder) {
  start();
  RawClient c(port_);
  std::string all;
  for (int i = 0; i < 5; ++i) all += "GET /r" + std::to_string(i) + " HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_TRUE(c.send(all));
  for (int i = 0; i < 5; ++i) {
    auto r = c.readResponse();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "GET /r" + std::to_string(i) + " 0");
  }
}

TEST_F(HttpServerTest, DecodesPathQueryAndHeadersLikeThePythonClientSendsThem) {
  start();
  RawClient c(port_);
  std::string target =
      "/api/v1/namespaces/a%20b/pods?watch=True&labelSelector=app%3Dweb+x&x=1&x=2&flag";
  ASSERT_TRUE(c.get(target, "sec-websocket-protocol: v4.channel.k8s.io\r\nX-Mixed-Case: V\r\n"));
  auto r = c.readResponse();
  ASSERT_TRUE(r);
  HttpRequest req = last();
  EXPECT_EQ(req.method, "GET");
  EXPECT_EQ(req.raw_target, target);
  EXPECT_EQ(req.path, "/api/v1/namespaces/a b/pods");
  EXPECT_EQ(req.queryValue("watch"), "True");
  EXPECT_EQ(req.queryValue("labelSelector"), "app=web x");
  EXPECT_EQ(req.query.count("x"), 2u);
  EXPECT_TRUE(req.hasQuery("flag"));
  EXPECT_FALSE(req.hasQuery("missing"));
  EXPECT_EQ(req.header("Sec-WebSocket-Protocol"), "v4.channel.k8s.io");
  EXPECT_EQ(req.header("absent"), "");
  bool original_case = false;
  for (const auto& [name, value] : req.headers) original_case |= name == "X-Mixed-Case";
  EXPECT_TRUE(original_case);
  EXPECT_EQ(req.remote_address.rfind("127.0.0.1:", 0), 0u);
}

TEST_F(HttpServerTest, InvalidPercentEncodingInPathGets400) {
  start();
  RawClient c(port_);
  ASSERT_TRUE(c.get("/api/%zz"));
  auto r = c.readResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("\"reason\":\"BadRequest\""), std::string::npos);
  EXPECT_EQ(handled_, 0);
}

TEST_F(HttpServerTest, MalformedHttpGets400AndTheConnectionCloses) {
  start();
  RawClient c(port_);
  ASSERT_TRUE(c.send("NOT HTTP AT ALL\r\n\r\n"));
  auto r = c.readResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("\"kind\":\"Status\""), std::string::npos);
  EXPECT_TRUE(c.waitClosed());
}

TEST_F(HttpServerTest, BodyDeclaredLargerThanTheLimitGets413AndOthersAreStillServed) {
  start();
  RawClient c(port_);
  ASSERT_TRUE(c.send("PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: 4194304\r\n\r\n"));
  auto r = c.readResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_NE(r->body.find("\"reason\":\"RequestEntityTooLarge\""), std::string::npos);
  EXPECT_NE(r->body.find("\"code\":413"), std::string::npos);
  EXPECT_TRUE(c.waitClosed());

  RawClient other(port_);
  ASSERT_TRUE(other.get("/ok"));
  auto ok = other.readResponse();
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(handled_, 1);
}

TEST_F(HttpServerTest, ChunkedBodyLargerThanTheLimitGets413) {
  start();
  RawClient c(port_);
  std::thread sender([&] {
    c.send("PUT /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
    std::string piece(64 * 1024, 'a');
    char size_line[16];
    std::snprintf(size_line, sizeof(size_line), "%zx\r\n", piece.size());
    for (int i = 0; i < 64; ++i) {                      // 4 MiB
      if (!c.send(size_line + piece + "\r\n")) return;  // the server may have closed
    }
    c.send("0\r\n\r\n");
  });
  auto r = c.readResponse();
  sender.join();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(handled_, 0);

  RawClient other(port_);
  ASSERT_TRUE(other.get("/ok"));
  auto ok = other.readResponse();
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
}

TEST_F(HttpServerTest, ExpectContinueGets100BeforeTheBodyIsSent) {
  start();
  RawClient c(port_);
  ASSERT_TRUE(
      c.send("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
  auto interim = c.readResponse();
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(c.send("hello"));
  auto r = c.readResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "POST /x 5");

  RawClient big(port_);
  ASSERT_TRUE(
      big.send("PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: 4194304\r\n"
               "Expect: 100-continue\r\n\r\n"));
  auto refused = big.readResponse();
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 413);
}

TEST_F(HttpServerTest, ClientClosingMidBodyDoesNotDisturbTheServer) {
  start();
  {
    RawClient c(port_);
    ASSERT_TRUE(c.send("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nonly-a-bit"));
  }
  RawClient other(port_);
  ASSERT_TRUE(other.get("/ok"));
  auto ok = other.readResponse();
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(handled_, 1);
}

TEST_F(HttpServerTest, SlowClientIsCutOffAfterTheHeaderTimeoutWhileOthersAreServed) {
  HttpServerOptions options;
  options.header_timeout_seconds = 1;
  start(options);
  RawClient slow(port_);
  ASSERT_TRUE(slow.send("G"));
  auto began = Clock::now();
  std::atomic<bool> done{false};
  std::thread trickle([&] {
    std::string rest =
        "ET /slow HTTP/1.1\r\nHost: x\r\nX-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
    for (char ch : rest) {
      if (done || !slow.send(std::string(1, ch))) return;
      std::this_thread::sleep_for(100ms);  // pacing the client, not waiting for a condition
    }
  });
  RawClient other(port_);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(other.get("/fast"));
    auto r = other.readResponse();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }
  bool closed = slow.waitClosed(4000ms);
  auto elapsed = Clock::now() - began;
  done = true;
  trickle.join();
  EXPECT_TRUE(closed);
  EXPECT_GE(elapsed, 900ms);
  EXPECT_LT(elapsed, 3000ms);
  EXPECT_EQ(handled_, 3);
}

TEST_F(HttpServerTest, BodyThatStopsArrivingIsCutOffAfterTheBodyTimeout) {
  HttpServerOptions options;
  options.body_timeout_seconds = 1;
  start(options);
  RawClient c(port_);
  ASSERT_TRUE(c.send("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\npart"));
  auto began = Clock::now();
  EXPECT_TRUE(c.waitClosed(4000ms));
  EXPECT_GE(Clock::now() - began, 900ms);
  EXPECT_EQ(handled_, 0);
}

TEST_F(HttpServerTest, IdleKeepAliveConnectionIsClosedAfterTheIdleTimeout) {
  HttpServerOptions options;
  options.idle_timeout_seconds = 1;
  start(options);
  RawClient c(port_);
  ASSERT_TRUE(c.get("/a"));
  ASSERT_TRUE(c.readResponse());
  auto began = Clock::now();
  EXPECT_TRUE(c.waitClosed(4000ms));
  EXPECT_GE(Clock::now() - began, 900ms);
}

TEST_F(HttpServerTest, TooManyRequestsInFlightGets429WithRetryAfter) {
  HttpServerOptions options;
  options.worker_threads = 2;
  options.max_in_flight = 2;
  start(options);
  RawClient a(port_), b(port_);
  ASSERT_TRUE(a.get("/block"));
  ASSERT_TRUE(b.get("/block"));
  ASSERT_TRUE(waitFor([&] { return gate_.waiting == 2; }));

  RawClient c(port_);
  ASSERT_TRUE(c.get("/third"));
  auto refused = c.readResponse();
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 429);
  EXPECT_EQ(refused->header("Retry-After"), "1");
  EXPECT_NE(refused->body.find("\"reason\":\"TooManyRequests\""), std::string::npos);
  EXPECT_NE(refused->body.find("\"code\":429"), std::string::npos);

  gate_.release();
  auto ra = a.readResponse();
  auto rb = b.readResponse();
  ASSERT_TRUE(ra && rb);
  EXPECT_EQ(ra->status, 200);
  EXPECT_EQ(rb->status, 200);
  ASSERT_TRUE(c.get("/again"));  // the refused connection is still usable
  auto again = c.readResponse();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200);
}

TEST_F(HttpServerTest, WatchRequestsAreNotCountedAgainstTheInFlightLimit) {
  HttpServerOptions options;
  options.worker_threads = 2;
  options.max_in_flight = 1;
  start(options);
  RawClient a(port_);
  ASSERT_TRUE(a.get("/block"));
  ASSERT_TRUE(waitFor([&] { return gate_.waiting == 1; }));

  RawClient w(port_);
  ASSERT_TRUE(w.get("/watch?watch=True"));
  auto head = w.readResponse();
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_TRUE(head->chunked);

  RawClient c(port_);
  ASSERT_TRUE(c.get("/other"));
  auto refused = c.readResponse();
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 429);
}

TEST_F(HttpServerTest, HandlerExceptionGives500AndTheServerKeepsServing) {
  start();
  RawClient c(port_);
  ASSERT_TRUE(c.get("/throw"));
  auto r = c.readResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_NE(r->body.find("\"reason\":\"InternalError\""), std::string::npos);
  ASSERT_TRUE(c.get("/ok"));
  auto ok = c.readResponse();
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
}

TEST_F(HttpServerTest, ConnectionCloseAndHttp10WithoutKeepAliveCloseAfterTheResponse) {
  start();
  RawClient c(port_);
  ASSERT_TRUE(c.get("/a", "Connection: close\r\n"));
  auto r = c.readResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(lower(r->header("Connection")), "close");
  EXPECT_TRUE(c.waitClosed());

  RawClient old(port_);
  ASSERT_TRUE(old.send("GET /b HTTP/1.0\r\n\r\n"));
  auto r10 = old.readResponse();
  ASSERT_TRUE(r10);
  EXPECT_EQ(r10->status, 200);
  EXPECT_TRUE(old.waitClosed());
}

TEST_F(HttpServerTest, ConnectionsBeyondTheLimitAreClosedAtOnce) {
  HttpServerOptions options;
  options.max_connections = 1;
  start(options);
  RawClient first(port_);
  ASSERT_TRUE(first.get("/a"));
  ASSERT_TRUE(first.readResponse());  // first is registered now
  RawClient second(port_);
  EXPECT_TRUE(second.waitClosed());
  ASSERT_TRUE(first.get("/b"));
  auto r = first.readResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(HttpServerTest, StreamDeliversEventsOneByOneThenTheConnectionServesTheNextRequest) {
  start();
  RawClient c(port_);
  ASSERT_TRUE(c.get("/watch?watch=true"));
  auto head = c.readResponse();
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_TRUE(head->chunked);
  EXPECT_EQ(head->header("Content-Length"), "");
  ASSERT_TRUE(waitFor([&] { return sink_.size() == 1; }));
  auto stream = sink_.at(0);
  EXPECT_EQ(server_->openStreams(), 1u);
  for (int i = 0; i < 3; ++i) {
    std::string event = "{\"type\":\"ADDED\",\"n\":" + std::to_string(i) + "}\n";
    ASSERT_TRUE(stream->write(event));
    EXPECT_EQ(c.readChunk(), event);  // arrives before the next one is written
  }
  EXPECT_TRUE(waitFor([&] { return stream->pendingBytes() == 0; }));
  stream->finish();
  EXPECT_EQ(c.readChunk(), "");
  EXPECT_FALSE(stream->write("late"));
  EXPECT_TRUE(waitFor([&] { return sink_.closes == 1; }));
  EXPECT_EQ(server_->openStreams(), 0u);

  ASSERT_TRUE(c.get("/after"));
  auto r = c.readResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "GET /after 0");
  EXPECT_EQ(sink_.closes, 1);
}

TEST_F(HttpServerTest, ClientDisconnectClosesTheStreamAndRunsOnCloseOnce) {
  start();
  auto c = std::make_unique<RawClient>(port_);
  ASSERT_TRUE(c->get("/watch?watch=True"));
  ASSERT_TRUE(c->readResponse());
  ASSERT_TRUE(waitFor([&] { return sink_.size() == 1; }));
  auto stream = sink_.at(0);
  ASSERT_TRUE(stream->write("one\n"));
  c.reset();
  ASSERT_TRUE(waitFor([&] { return sink_.closes == 1; }));
  EXPECT_TRUE(stream->closed());
  EXPECT_FALSE(stream->write("two\n"));
  stream->finish();
  EXPECT_EQ(server_->openStreams(), 0u);
  server_->stop();
  EXPECT_EQ(sink_.closes, 1);
}

TEST_F(HttpServerTest, PendingBytesGrowWhileTheClientDoesNotRead) {
  start();
  auto c = std::make_unique<RawClient>(port_);
  ASSERT_TRUE(c->get("/watch?watch=True"));
  ASSERT_TRUE(waitFor([&] { return sink_.size() == 1; }));
  auto stream = sink_.at(0);
  std::string big(1024 * 1024, 'x');
  for (int i = 0; i < 200 && stream->pendingBytes() < 8 * big.size(); ++i) {
    ASSERT_TRUE(stream->write(big));
  }
  EXPECT_GE(stream->pendingBytes(), 8 * big.size());  // the socket buffers are full
  c.reset();  // a watcher would drop this slow consumer; here the client leaves
  ASSERT_TRUE(waitFor([&] { return sink_.closes == 1; }));
  EXPECT_EQ(stream->pendingBytes(), 0u);
  EXPECT_FALSE(stream->write("x"));
}

TEST_F(HttpServerTest, ConcurrentWritersEachKeepTheirOrder) {
  start();
  RawClient c(port_);
  ASSERT_TRUE(c.get("/watch?watch=True"));
  ASSERT_TRUE(c.readResponse());
  ASSERT_TRUE(waitFor([&] { return sink_.size() == 1; }));
  auto stream = sink_.at(0);
  constexpr int kWriters = 4, kEach = 200;
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < kEach; ++i) stream->write(std::to_string(w) + ":" + std::to_string(i));
    });
  }
  for (auto& t : writers) t.join();
  stream->finish();
  std::vector<int> next(kWriters, 0);
  for (int n = 0; n < kWriters * kEach; ++n) {
    auto chunk = c.readChunk();
    ASSERT_TRUE(chunk);
    int w = std::stoi(chunk->substr(0, chunk->find(':')));
    EXPECT_EQ(std::stoi(chunk->substr(chunk->find(':') + 1)), next[w]++);
  }
  EXPECT_EQ(c.readChunk(), "");
}

TEST_F(HttpServerTest, StopWithOpenStreamsReturnsPromptlyAndClosesThem) {
  start();
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 20; ++i) {
    clients.push_back(std::make_unique<RawClient>(port_));
    ASSERT_TRUE(clients.back()->get("/watch?watch=True"));
  }
  ASSERT_TRUE(waitFor([&] { return server_->openStreams() == 20; }));
  auto began = Clock::now();
  server_->stop();
  EXPECT_LT(Clock::now() - began, 2s);
  EXPECT_EQ(sink_.closes, 20);
  EXPECT_EQ(server_->openStreams(), 0u);
  EXPECT_FALSE(sink_.at(0)->write("after stop"));
  server_->stop();  // idempotent
  for (auto& c : clients) EXPECT_TRUE(c->waitClosed());
}

TEST_F(HttpServerTest, TwoThousandOpenStreamsNeedNoThreadEach) {
  constexpr int kStreams = 2000;
  HttpServerOptions options;
  options.io_threads = 2;
  options.worker_threads = 2;
  start(options);
  size_t threads_before = threadCount();
  std::vector<std::unique_ptr<RawClient>> clients;
  clients.reserve(kStreams);
  for (int i = 0; i < kStreams; ++i) {
    clients.push_back(std::make_unique<RawClient>(port_));
    ASSERT_TRUE(clients.back()->connected());
    ASSERT_TRUE(clients.back()->get("/watch?watch=True"));
  }
  ASSERT_TRUE(waitFor([&] { return server_->openStreams() == kStreams; }, 15000ms));
  // No thread was started for them. (At most as many as before: a detached thread of an
  // earlier test in this binary may have ended meanwhile, which an equality once caught.)
  EXPECT_LE(threadCount(), threads_before);

  for (int i = 0; i < kStreams; ++i) ASSERT_TRUE(sink_.at(i)->write("event\n"));
  for (auto& c : clients) {
    auto head = c->readResponse();
    ASSERT_TRUE(head);
    ASSERT_EQ(c->readChunk(), "event\n");
  }

  server_->stop();  // returns (ctest's timeout would catch a hang) with every stream closed
  EXPECT_EQ(sink_.closes, kStreams);
  EXPECT_EQ(server_->openStreams(), 0u);
}

}  // namespace http_server_test
}  // namespace minik8s::apiserver
