#include "apiserver/watch_cache.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "store/memory_store.h"

namespace minik8s::apiserver {
namespace watch_cache_test {

using nlohmann::json;
using namespace std::chrono_literals;

class RecordingSink : public WatchSink {
 public:
  bool deliver(WatchEventType type, const CachedObjectPtr& object) override {
    std::lock_guard lock(mu_);
    events_.emplace_back(watchEventTypeName(type), json::parse(object->json)["metadata"]["name"]);
    cv_.notify_all();
    return true;
  }
  void close() override {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  std::vector<std::pair<std::string, std::string>> waitFor(size_t n) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, 5s, [&] { return events_.size() >= n; });
    return events_;
  }
  bool closed() {
    std::lock_guard lock(mu_);
    return closed_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::pair<std::string, std::string>> events_;
  bool closed_ = false;
};

std::string pod(const std::string& name, const std::string& app) {
  return json(
             {{"metadata", {{"name", name}, {"namespace", "default"}, {"labels", {{"app", app}}}}}})
      .dump();
}

class WatchCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    resource_.plural = "pods";
    resource_.kind = "Pod";
    resource_.version = "v1";
    cache_ =
        std::make_unique<WatchCache>(store_, resource_, "/registry/pods/", options_, Clock::real());
  }
  int64_t put(const std::string& name, const std::string& app) {
    auto existing = store_.get("/registry/pods/default/" + name);
    if (existing.isOk()) return *store_.update("/registry/pods/default/" + name, pod(name, app), 0);
    return *store_.create("/registry/pods/default/" + name, pod(name, app));
  }
  store::MemoryStore store_;
  api::ResourceInfo resource_;
  WatchCacheOptions options_;
  std::unique_ptr<WatchCache> cache_;
};

WatchFilter appFilter(const std::string& app) {
  WatchFilter f;
  f.matches = [app](const json& attrs) {
    return attrs["metadata"]["labels"].value("app", "") == app;
  };
  return f;
}

TEST_F(WatchCacheTest, ListsWhatTheStoreHeldAtStartAndWhatCameLater) {
  put("a", "x");
  ASSERT_TRUE(cache_->start().isOk());
  int64_t rev = put("b", "x");
  ASSERT_TRUE(cache_->waitForRevision(rev, 5s));
  auto snap = cache_->list({});
  ASSERT_EQ(snap.objects.size(), 2u);
  EXPECT_EQ(json::parse(snap.objects[1]->json)["metadata"]["resourceVersion"], std::to_string(rev));
  EXPECT_EQ(snap.revision, rev);
}

TEST_F(WatchCacheTest, WatchFromUnsetRevisionStartsWithSyntheticAdds) {
  put("a", "x");
  ASSERT_TRUE(cache_->start().isOk());
  auto sink = std::make_shared<RecordingSink>();
  ASSERT_TRUE(cache_->addWatcher({}, -1, sink).isOk());
  put("b", "x");
  auto events = sink->waitFor(2);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0], (std::pair<std::string, std::string>{"ADDED", "a"}));
  EXPECT_EQ(events[1], (std::pair<std::string, std::string>{"ADDED", "b"}));
}

TEST_F(WatchCacheTest, ReplaysHistoryAfterARevision) {
  ASSERT_TRUE(cache_->start().isOk());
  int64_t first = put("a", "x");
  put("a", "y");
  ASSERT_TRUE(store_.remove("/registry/pods/default/a").isOk());
  ASSERT_TRUE(cache_->waitForRevision(first + 2, 5s));
  auto sink = std::make_shared<RecordingSink>();
  ASSERT_TRUE(cache_->addWatcher({}, first, sink).isOk());
  auto events = sink->waitFor(2);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].first, "MODIFIED");
  EXPECT_EQ(events[1].first, "DELETED");
}

TEST_F(WatchCacheTest, AWatchFromARevisionTheCacheHasNotReachedSkipsWhatCameBefore) {
  // A client LISTs from etcd at revision R and watches from R while the cache is still
  // behind R: the event at R reaches the cache after the watch started and must not be sent.
  ASSERT_TRUE(cache_->start().isOk());
  int64_t listed_at = *store_.currentRevision() + 1;
  auto sink = std::make_shared<RecordingSink>();
  ASSERT_TRUE(cache_->addWatcher({}, listed_at, sink).isOk());
  EXPECT_EQ(put("a", "x"), listed_at);
  ASSERT_TRUE(cache_->waitForRevision(put("b", "x"), 5s));
  auto events = sink->waitFor(1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0], (std::pair<std::string, std::string>{"ADDED", "b"}));
}

TEST_F(WatchCacheTest, SelectorTransitionsBecomeAddedAndDeleted) {
  ASSERT_TRUE(cache_->start().isOk());
  auto sink = std::make_shared<RecordingSink>();
  ASSERT_TRUE(cache_->addWatcher(appFilter("web"), -1, sink).isOk());
  put("p", "db");   // not matching: nothing
  put("p", "web");  // now matches: ADDED
  put("p", "web");  // still matches: MODIFIED
  put("p", "db");   // stops matching: DELETED
  auto events = sink->waitFor(3);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].first, "ADDED");
  EXPECT_EQ(events[1].first, "MODIFIED");
  EXPECT_EQ(events[2].first, "DELETED");
}

TEST_F(WatchCacheTest, RevisionsOlderThanTheHistoryAreGone) {
  options_.history_capacity = 2;
  options_.history_min_age = 0s;
  cache_ =
      std::make_unique<WatchCache>(store_, resource_, "/registry/pods/", options_, Clock::real());
  ASSERT_TRUE(cache_->start().isOk());
  int64_t first = put("a", "1");
  int64_t rev = 0;
  for (int i = 2; i < 6; ++i) rev = put("a", std::to_string(i));
  ASSERT_TRUE(cache_->waitForRevision(rev, 5s));
  auto sink = std::make_shared<RecordingSink>();
  EXPECT_EQ(cache_->addWatcher({}, first, sink).status().code(), Code::kGone);
  EXPECT_TRUE(cache_->addWatcher({}, rev - 1, sink).isOk());
}

TEST_F(WatchCacheTest, StopClosesWatchers) {
  ASSERT_TRUE(cache_->start().isOk());
  auto sink = std::make_shared<RecordingSink>();
  ASSERT_TRUE(cache_->addWatcher({}, -1, sink).isOk());
  cache_->stop();
  EXPECT_TRUE(sink->closed());
}

// Polls `done` until it holds or 5 s pass (the cache recovers on its own thread).
bool eventually(const std::function<bool()>& done) {
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

TEST_F(WatchCacheTest, ABrokenEtcdWatchIsResumedAndWatchersSeeNoGap) {
  ASSERT_TRUE(cache_->start().isOk());
  put("a", "x");
  auto sink = std::make_shared<RecordingSink>();
  ASSERT_TRUE(cache_->addWatcher({}, -1, sink).isOk());
  ASSERT_EQ(sink->waitFor(1).size(), 1u);

  store_.breakWatches(unavailable("etcd restarted"));
  put("b", "x");  // written while the cache's watch is down
  ASSERT_TRUE(eventually([&] { return cache_->watching(); }));
  put("c", "x");

  auto events = sink->waitFor(3);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[1], (std::pair<std::string, std::string>{"ADDED", "b"}));
  EXPECT_EQ(events[2], (std::pair<std::string, std::string>{"ADDED", "c"}));
  EXPECT_FALSE(sink->closed());
  EXPECT_NE(cache_->get("/registry/pods/default/b"), nullptr);
}

TEST_F(WatchCacheTest, WhileTheStoreIsDownTheWatchIsResumedOnceItAnswersAgain) {
  ASSERT_TRUE(cache_->start().isOk());
  auto sink = std::make_shared<RecordingSink>();
  ASSERT_TRUE(cache_->addWatcher({}, -1, sink).isOk());
  store_.setUnavailable(true);
  store_.breakWatches(unavailable("etcd killed"));
  ASSERT_TRUE(eventually([&] { return !cache_->watching(); }));
  std::this_thread::sleep_for(300ms);  // a few failed attempts
  EXPECT_FALSE(cache_->watching());

  store_.setUnavailable(false);
  ASSERT_TRUE(eventually([&] { return cache_->watching(); }));
  put("after", "x");
  auto events = sink->waitFor(1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0], (std::pair<std::string, std::string>{"ADDED", "after"}));
  EXPECT_FALSE(sink->closed());
}

TEST_F(WatchCacheTest, AWatchCompactedPastTheCacheRelistsAndClosesWatchers) {
  ASSERT_TRUE(cache_->start().isOk());
  auto sink = std::make_shared<RecordingSink>();
  ASSERT_TRUE(cache_->addWatcher({}, -1, sink).isOk());
  int64_t before = cache_->revision();
  int64_t rev = put("a", "x");
  ASSERT_TRUE(cache_->waitForRevision(rev, 5s));
  store_.breakWatches(gone("required revision has been compacted"));
  ASSERT_TRUE(eventually([&] { return sink->closed(); }));
  ASSERT_TRUE(eventually([&] { return cache_->watching(); }));
  EXPECT_NE(cache_->get("/registry/pods/default/a"), nullptr);
  // A client re-watching from before the re-list must re-list too.
  EXPECT_EQ(cache_->addWatcher({}, before, std::make_shared<RecordingSink>()).status().code(),
            Code::kGone);
}

TEST_F(WatchCacheTest, StopDuringAnOutageEndsThePendingRecovery) {
  ASSERT_TRUE(cache_->start().isOk());
  store_.setUnavailable(true);
  store_.breakWatches(unavailable("etcd killed"));
  ASSERT_TRUE(eventually([&] { return !cache_->watching(); }));
  std::this_thread::sleep_for(200ms);
  cache_->requestStop();
  cache_->stop();  // returns: the recovery loop gave up (a hang fails by the test timeout)
  EXPECT_FALSE(cache_->watching());
}

TEST(SelectableAttributes, KeepOnlyWhatSelectorsRead) {
  json pod = {
      {"metadata", {{"name", "p"}, {"namespace", "n"}, {"labels", {{"a", "b"}}}, {"uid", "u"}}},
      {"spec", {{"nodeName", "n1"}, {"containers", json::array()}}},
      {"status", {{"phase", "Running"}}}};
  json attrs = selectableAttributes(pod);
  EXPECT_EQ(attrs["metadata"]["name"], "p");
  EXPECT_EQ(attrs["spec"]["nodeName"], "n1");
  EXPECT_EQ(attrs["status"]["phase"], "Running");
  EXPECT_FALSE(attrs["metadata"].contains("uid"));
  EXPECT_FALSE(attrs["spec"].contains("containers"));
}

}  // namespace watch_cache_test
}  // namespace minik8s::apiserver
