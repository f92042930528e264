// ApiFixture: a real etcd, an apiserver on port 0 over it and a REST client of it — the
// cluster an integration test of an API client (scheduler, kubelet) talks to. Owned by one
// test; stops everything on destruction.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "apiserver/apiserver.h"
#include "client/rest_client.h"
#include "store/etcd_fixture.h"

namespace minik8s::testing {

class ApiFixture {
 public:
  static Result<std::unique_ptr<ApiFixture>> start() {
    auto fixture = std::unique_ptr<ApiFixture>(new ApiFixture());
    ASSIGN_OR_RETURN(fixture->etcd_, store::testing::EtcdFixture::start());
    ASSIGN_OR_RETURN(fixture->store_, fixture->etcd_->connect());
    apiserver::ApiServerOptions options;
    options.http.port = 0;
    options.compaction_interval = std::chrono::seconds(0);
    fixture->server_ = std::make_unique<apiserver::ApiServer>(options, *fixture->store_);
    RETURN_IF_ERROR(fixture->server_->start());
    client::ClientConfig config;
    config.server = "http://127.0.0.1:" + std::to_string(fixture->server_->port());
    ASSIGN_OR_RETURN(fixture->client_, client::RestClient::connect(config));
    return fixture;
  }
  ~ApiFixture() {
    if (server_) server_->stop();
  }

  client::RestClient& client() { return *client_; }
  apiserver::ApiServer& server() { return *server_; }

 private:
  ApiFixture() = default;

  std::unique_ptr<store::testing::EtcdFixture> etcd_;
  std::unique_ptr<store::EtcdStore> store_;
  std::unique_ptr<apiserver::ApiServer> server_;
  std::unique_ptr<client::RestClient> client_;
};

// Polls `f` every 20 ms until it is true or `deadline` passes; returns its last answer.
template <typename F>
bool eventually(F&& f, std::chrono::milliseconds deadline = std::chrono::seconds(15)) {
  auto end = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < end) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return f();
}

}  // namespace minik8s::testing
