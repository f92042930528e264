#include "common/supervised_process.h"
#include "testing/file_text.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <functional>
#include <thread>

namespace minik8s {
namespace supervised_process_test {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

// Polls `done` every 10 ms until it holds or `timeout` passes; returns whether it held.
bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout = 5s) {
  auto deadline = SteadyClock::now() + timeout;
  while (!done()) {
    if (SteadyClock::now() >= deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

// True once `pid` is neither running nor a zombie (it was reaped).
bool gone(pid_t pid) {
  return ::kill(pid, 0) != 0 && errno == ESRCH;
}

class SupervisedProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/supervised_process_test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  SupervisedProcessOptions options(std::vector<std::string> argv) const {
    SupervisedProcessOptions o;
    o.argv = std::move(argv);
    o.log_path = dir_ + "/child.log";
    o.name = "test-child";
    o.stop_grace = 2s;
    return o;
  }

  std::string dir_;
};

TEST_F(SupervisedProcessTest, StartSpawnsTheChildOnce) {
  SupervisedProcess proc(options({"/bin/sleep", "30"}));
  EXPECT_EQ(proc.pid(), 0);
  EXPECT_EQ(proc.starts(), 0);
  proc.start();
  proc.start();
  ASSERT_TRUE(eventually([&] { return proc.pid() > 0; }));
  EXPECT_EQ(proc.starts(), 1);
  EXPECT_FALSE(proc.exited());
  EXPECT_EQ(::kill(proc.pid(), 0), 0);
}

TEST_F(SupervisedProcessTest, StopKillsTheChildByPidAndReapsIt) {
  SupervisedProcess proc(options({"/bin/sleep", "30"}));
  proc.start();
  ASSERT_TRUE(eventually([&] { return proc.pid() > 0; }));
  pid_t pid = proc.pid();
  auto before = SteadyClock::now();
  proc.stop();
  EXPECT_LT(SteadyClock::now() - before, 2s);  // sleep dies at SIGTERM, no grace needed
  EXPECT_TRUE(gone(pid));
  EXPECT_EQ(proc.pid(), 0);
  EXPECT_FALSE(proc.exited());  // it was stopped, it did not exit on its own
  proc.stop();                  // idempotent
}

TEST_F(SupervisedProcessTest, StopSendsSigkillAfterTheGraceWhenSigtermIsIgnored) {
  auto opts = options({"/bin/sh", "-c", "trap '' TERM; echo trapped; exec /bin/sleep 30"});
  opts.stop_grace = 300ms;
  SupervisedProcess proc(opts);
  proc.start();
  ASSERT_TRUE(
      eventually([&] {
        auto log = readFile(opts.log_path);  // not there until the child writes
        return log.isOk() && log->find("trapped") != std::string::npos;
      }));
  pid_t pid = proc.pid();
  ASSERT_GT(pid, 0);
  auto before = SteadyClock::now();
  proc.stop();
  auto took = SteadyClock::now() - before;
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 3s);
  EXPECT_TRUE(gone(pid));
}

TEST_F(SupervisedProcessTest, RestartsAnExitedChildWithGrowingBackoff) {
  auto opts = options({"/bin/sh", "-c", "exit 3"});
  SupervisedProcess proc(opts);
  auto before = SteadyClock::now();
  proc.start();
  ASSERT_TRUE(eventually([&] { return proc.starts() >= 3; }));
  // Back-off 200 ms before the second start, 400 ms before the third.
  EXPECT_GE(SteadyClock::now() - before, 550ms);
  EXPECT_TRUE(proc.exited());
  proc.stop();
}

TEST_F(SupervisedProcessTest, DoesNotRestartWhenRestartOnExitIsOff) {
  auto opts = options({"/bin/sh", "-c", "exit 3"});
  opts.restart_on_exit = false;
  SupervisedProcess proc(opts);
  proc.start();
  ASSERT_TRUE(eventually([&] { return proc.exited(); }));
  EXPECT_EQ(proc.pid(), 0);
  // The first back-off would be 200 ms: no second start within 400 ms.
  EXPECT_FALSE(eventually([&] { return proc.starts() > 1; }, 400ms));
  EXPECT_EQ(proc.starts(), 1);
  proc.stop();
}

TEST_F(SupervisedProcessTest, LogFileReceivesStdoutAndStderr) {
  auto opts =
      options({"/bin/sh", "-c", "echo to-stdout; echo to-stderr >&2; read x; echo read=$x"});
  opts.restart_on_exit = false;
  SupervisedProcess proc(opts);
  proc.start();
  ASSERT_TRUE(eventually([&] { return proc.exited(); }));
  std::string log = testing::fileText(opts.log_path);
  EXPECT_NE(log.find("to-stdout"), std::string::npos) << log;
  EXPECT_NE(log.find("to-stderr"), std::string::npos) << log;
  EXPECT_NE(log.find("read=\n"), std::string::npos) << log;  // stdin is /dev/null
}

TEST_F(SupervisedProcessTest, ChildGetsItsOwnProcessGroup) {
  SupervisedProcess proc(options({"/bin/sleep", "30"}));
  proc.start();
  ASSERT_TRUE(eventually([&] { return proc.pid() > 0 && ::getpgid(proc.pid()) == proc.pid(); }));
  EXPECT_NE(::getpgid(proc.pid()), ::getpgid(0));
}

}  // namespace supervised_process_test
}  // namespace minik8s
