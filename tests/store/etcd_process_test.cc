// EtcdProcess and failure behaviour of EtcdStore against a real etcd (integration).
#include "store/etcd_process.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <cerrno>
#include <filesystem>
#include <thread>

#include "store/etcd_fixture.h"
#include "store/etcd_store.h"
#include "store/event_recorder.h"

namespace minik8s::store::testing {
namespace {

bool processGone(pid_t pid) {
  return ::kill(pid, 0) != 0 && errno == ESRCH;
}

TEST(EtcdProcess, StartAnswersAndStopLeavesNoProcess) {
  auto etcd = EtcdFixture::start();
  ASSERT_TRUE(etcd.isOk()) << etcd.status().toString();
  pid_t pid = (*etcd)->process().pid();
  ASSERT_GT(pid, 0);
  EXPECT_FALSE(processGone(pid));
  EXPECT_EQ((*etcd)->process().starts(), 1);
  EXPECT_TRUE(std::filesystem::exists((*etcd)->dir() + "/etcd/member"));
  EXPECT_TRUE(std::filesystem::exists((*etcd)->process().logPath()));
  auto store = (*etcd)->connect();
  ASSERT_TRUE(store.isOk()) << store.status().toString();
  EXPECT_TRUE((*store)->create("/k", "v").isOk());

  std::string dir = (*etcd)->dir();
  (*etcd)->process().stop();
  EXPECT_TRUE(processGone(pid));
  EXPECT_EQ((*etcd)->process().pid(), 0);
  etcd->reset();
  EXPECT_FALSE(std::filesystem::exists(dir));
}

TEST(EtcdProcess, ARestartOnTheSameStateDirKeepsTheDataOnNewPorts) {
  auto first = EtcdFixture::start();
  ASSERT_TRUE(first.isOk()) << first.status().toString();
  std::string dir = (*first)->dir();
  {
    auto store = (*first)->connect();
    ASSERT_TRUE(store.isOk());
    ASSERT_TRUE((*store)->create("/kept", "v").isOk());
  }
  (*first)->process().stop();

  EtcdProcessOptions options;
  options.state_dir = dir;  // same data, freshly picked ports
  options.name = "test";
  auto again = EtcdProcess::start(options);
  ASSERT_TRUE(again.isOk()) << again.status().toString();
  auto store = EtcdStore::connect({(*again)->clientEndpoint()});
  ASSERT_TRUE(store.isOk());
  auto kv = (*store)->get("/kept");
  ASSERT_TRUE(kv.isOk()) << kv.status().toString();
  EXPECT_EQ(kv->value, "v");
  pid_t pid = (*again)->pid();
  again->reset();
  EXPECT_TRUE(processGone(pid));
}

TEST(EtcdProcess, MissingBinaryIsUnavailable) {
  EtcdProcessOptions options;
  options.state_dir = (std::filesystem::temp_directory_path() / "minik8s-etcd-nobinary").string();
  options.binary = "/nonexistent/etcd";
  EXPECT_EQ(EtcdProcess::start(options).status().code(), Code::kUnavailable);
  std::filesystem::remove_all(options.state_dir);
}

TEST(EtcdProcess, KilledEtcdBreaksWatchesAndIsRestartedWithItsData) {
  auto etcd = EtcdFixture::start();
  ASSERT_TRUE(etcd.isOk()) << etcd.status().toString();
  auto store = (*etcd)->connect();
  ASSERT_TRUE(store.isOk());
  auto rev = (*store)->create("/survives", "v");
  ASSERT_TRUE(rev.isOk());

  EventRecorder rec;
  auto w = (*store)->watch("/", 0, rec.onEvents(), rec.onError());
  ASSERT_TRUE(w.isOk()) << w.status().toString();
  pid_t first = (*etcd)->process().pid();
  ASSERT_EQ(::kill(first, SIGKILL), 0);

  auto err = rec.waitForError(std::chrono::milliseconds(5000));
  ASSERT_TRUE(err.has_value()) << "the watch did not notice etcd dying";
  EXPECT_EQ(err->code(), Code::kUnavailable) << err->toString();

  // The supervisor restarts etcd on the same port and data dir; the old client recovers.
  ASSERT_TRUE((*etcd)->process().waitReady(std::chrono::milliseconds(15000)).isOk());
  EXPECT_EQ((*etcd)->process().starts(), 2);
  EXPECT_NE((*etcd)->process().pid(), first);
  EXPECT_TRUE(processGone(first));
  Result<KeyValue> kv = notFound("not tried");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  do {
    kv = (*store)->get("/survives");
    if (kv.isOk()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  } while (std::chrono::steady_clock::now() < deadline);
  ASSERT_TRUE(kv.isOk()) << kv.status().toString();
  EXPECT_EQ(kv->mod_revision, *rev);
  (*w)->cancel();
}

TEST(EtcdStore, ReconnectsByItselfAfterEtcdRestartsWithNoOtherClientAround) {
  // The store's channel keeps its own subchannels, so nothing but the store itself can
  // bring it back: before the connection keeper, fail-fast calls never polled the
  // background reconnect and the store answered kUnavailable forever.
  auto etcd = EtcdFixture::start();
  ASSERT_TRUE(etcd.isOk()) << etcd.status().toString();
  auto store = (*etcd)->connect();
  ASSERT_TRUE(store.isOk());
  ASSERT_TRUE((*store)->create("/before", "v").isOk());
  pid_t first = (*etcd)->process().pid();
  for (int kill = 0; kill < 2; ++kill) {
    pid_t pid = (*etcd)->process().pid();
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    // Calls while it is down fail fast.
    while ((*etcd)->process().pid() == pid) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    Result<int64_t> written = unavailable("not tried");
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    do {
      written = (*store)->create("/after-" + std::to_string(kill), "v");
      if (written.isOk()) break;
      EXPECT_TRUE(written.status().code() == Code::kUnavailable ||
                  written.status().code() == Code::kDeadlineExceeded)
          << written.status().toString();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    } while (std::chrono::steady_clock::now() < deadline);
    ASSERT_TRUE(written.isOk()) << "kill " << kill << ": " << written.status().toString();
  }
  EXPECT_NE((*etcd)->process().pid(), first);
  EXPECT_TRUE((*store)->get("/before").isOk());
}

TEST(EtcdStore, ShutdownCancelsCallsWaitingOnAHungEtcdAndRefusesNewOnes) {
  auto etcd = EtcdFixture::start();
  ASSERT_TRUE(etcd.isOk()) << etcd.status().toString();
  EtcdStoreOptions options;
  options.call_timeout = std::chrono::seconds(60);  // only shutdown() can end the call
  auto store = (*etcd)->connect(options);
  ASSERT_TRUE(store.isOk());
  pid_t pid = (*etcd)->process().pid();
  ASSERT_EQ(::kill(pid, SIGSTOP), 0);
  Status in_flight;
  std::thread caller([&] { in_flight = (*store)->create("/k", "v").status(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the call is waiting
  (*store)->shutdown();
  caller.join();
  ::kill(pid, SIGCONT);
  EXPECT_EQ(in_flight.code(), Code::kUnavailable) << in_flight.toString();
  EXPECT_EQ((*store)->get("/k").status().code(), Code::kUnavailable);
}

TEST(EtcdStore, CallsAgainstAStoppedEtcdFailFastWithUnavailable) {
  auto etcd = EtcdFixture::start();
  ASSERT_TRUE(etcd.isOk()) << etcd.status().toString();
  auto store = (*etcd)->connect();
  ASSERT_TRUE(store.isOk());
  (*etcd)->process().stop();
  auto start = std::chrono::steady_clock::now();
  Status st = (*store)->get("/x").status();
  EXPECT_TRUE(st.code() == Code::kUnavailable || st.code() == Code::kDeadlineExceeded)
      << st.toString();
  EventRecorder rec;
  auto w = (*store)->watch("/", 0, rec.onEvents(), rec.onError());
  EXPECT_FALSE(w.isOk());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(12));
}

}  // namespace
}  // namespace minik8s::store::testing
