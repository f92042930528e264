// EtcdFixture: a throwaway etcd for integration tests (header-only; include as
// "store/etcd_fixture.h"). Starts /usr/bin/etcd through EtcdProcess in a fresh temp dir on
// free loopback ports; destruction stops it by PID and removes the dir.
//
//   auto etcd = minik8s::store::testing::EtcdFixture::start();
//   ASSERT_TRUE(etcd.isOk()) << etcd.status().toString();
//   auto store = (*etcd)->connect();  // Result<std::unique_ptr<EtcdStore>>
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <utility>

#include "common/status.h"
#include "store/etcd_process.h"
#include "store/etcd_store.h"

namespace minik8s::store::testing {

class EtcdFixture {
 public:
  static Result<std::unique_ptr<EtcdFixture>> start() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "minik8s-etcd-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) return internalError("mkdtemp failed for " + tmpl);
    std::unique_ptr<EtcdFixture> fixture(new EtcdFixture(tmpl));
    EtcdProcessOptions options;
    options.state_dir = tmpl;
    options.name = "test";
    options.stop_grace = std::chrono::milliseconds(3000);
    ASSIGN_OR_RETURN(fixture->process_, EtcdProcess::start(std::move(options)));
    return fixture;
  }

  ~EtcdFixture() {
    process_.reset();  // stops etcd (SIGTERM, then SIGKILL) before its files go
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  EtcdFixture(const EtcdFixture&) = delete;
  EtcdFixture& operator=(const EtcdFixture&) = delete;

  const std::string& endpoint() const { return process_->clientEndpoint(); }
  const std::string& dir() const { return dir_; }
  EtcdProcess& process() { return *process_; }

  Result<std::unique_ptr<EtcdStore>> connect(EtcdStoreOptions options = {}) const {
    return EtcdStore::connect({endpoint()}, options);
  }

 private:
  explicit EtcdFixture(std::string dir) : dir_(std::move(dir)) {}

  std::string dir_;
  std::unique_ptr<EtcdProcess> process_;
};

}  // namespace minik8s::store::testing
