// FakeClient's tracker semantics, and the informer, factory and controller loop over it.
#include "client/fake_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "client/controller_loop.h"
#include "client/informer.h"

namespace minik8s::client {
namespace fake_client_test {

using nlohmann::json;
using namespace std::chrono_literals;

const api::ResourceInfo& pods() { return *api::findResource("", "v1", "pods"); }

json pod(const std::string& name, const std::string& app = "web") {
  return {{"metadata", {{"name", name}, {"labels", {{"app", app}}}}},
          {"spec", {{"containers", {{{"name", "c"}, {"image", "i"}}}}}}};
}

template <typename F>
bool eventually(F&& f) {
  for (int i = 0; i < 1000; ++i) {
    if (f()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return f();
}

TEST(FakeClient, CreateFillsServerFieldsAndRefusesDuplicates) {
  FakeClock clock;
  FakeClient client(clock);
  json p = pod("");
  p["metadata"]["generateName"] = "web-";
  auto made = client.create(pods(), "default", p);
  ASSERT_TRUE(made.isOk());
  EXPECT_EQ(made.value()["metadata"]["name"], "web-00001");
  EXPECT_EQ(made.value()["metadata"]["namespace"], "default");
  EXPECT_FALSE(made.value()["metadata"]["uid"].get<std::string>().empty());
  EXPECT_EQ(made.value()["metadata"]["creationTimestamp"], "2026-01-01T00:00:00Z");
  EXPECT_EQ(made.value()["metadata"]["generation"], 1);
  EXPECT_EQ(client.create(pods(), "default", pod("a")).status().code(), Code::kOk);
  EXPECT_EQ(client.create(pods(), "default", pod("a")).status().code(), Code::kAlreadyExists);
  ASSERT_EQ(client.actions().size(), 3u);
  EXPECT_EQ(client.actions()[0].summary(), "create pods");
}

TEST(FakeClient, UpdateIsCompareAndSwapAndKeepsStatusApart) {
  FakeClient client;
  json a = client.create(pods(), "default", pod("a")).value();
  json stale = a;
  a["spec"]["nodeName"] = "n1";
  a["status"] = {{"phase", "Running"}};
  json updated = client.update(pods(), "default", a).value();
  EXPECT_EQ(updated["metadata"]["generation"], 2);
  EXPECT_FALSE(updated.contains("status"));  // the main resource does not write status
  EXPECT_EQ(client.update(pods(), "default", stale).status().code(), Code::kConflict);
  json status = updated;
  status["status"] = {{"phase", "Running"}};
  status["spec"]["nodeName"] = "ignored";
  json written = client.update(pods(), "default", status, "status").value();
  EXPECT_EQ(written["status"]["phase"], "Running");
  EXPECT_EQ(written["spec"]["nodeName"], "n1");
  EXPECT_EQ(written["metadata"]["generation"], 2);
}

TEST(FakeClient, ApprovalSubresourceWritesOnlyStatus) {
  const api::ResourceInfo& csrs =
      *api::findResource("certificates.k8s.io", "v1", "certificatesigningrequests");
  FakeClient client;
  json csr = {{"metadata", {{"name", "node-csr-1"}}},
              {"spec", {{"signerName", "kubernetes.io/kube-apiserver-client-kubelet"}}}};
  json stored = client.create(csrs, "", csr).value();
  json approval = stored;
  approval["status"]["conditions"] = {{{"type", "Approved"}, {"status", "True"}}};
  approval["spec"]["signerName"] = "ignored";
  json written = client.update(csrs, "", approval, "approval").value();
  EXPECT_EQ(written["status"]["conditions"][0]["type"], "Approved");
  EXPECT_EQ(written["spec"]["signerName"], "kubernetes.io/kube-apiserver-client-kubelet");
}

TEST(FakeClient, PatchesDeletesFinalizersAndFailures) {
  FakeClient client;
  client.create(pods(), "default", pod("a")).value();
  auto merged = client.patch(pods(), "default", "a", PatchType::kMerge,
                             R"({"metadata":{"labels":{"x":"y"}}})");
  ASSERT_TRUE(merged.isOk());
  EXPECT_EQ(merged.value()["metadata"]["labels"]["x"], "y");
  auto bad = client.patch(pods(), "default", "a", PatchType::kJson,
                          R"([{"op":"test","path":"/metadata/uid","value":"other"}])");
  EXPECT_FALSE(bad.isOk());

  json held = pod("held");
  held["metadata"]["finalizers"] = {"example.com/f"};
  client.create(pods(), "default", held).value();
  auto marked = client.remove(pods(), "default", "held");
  ASSERT_TRUE(marked.isOk());
  EXPECT_TRUE(marked.value()["metadata"].contains("deletionTimestamp"));
  EXPECT_TRUE(client.object(pods(), "default", "held"));
  json release = *client.object(pods(), "default", "held");
  release["metadata"]["finalizers"] = json::array();
  ASSERT_TRUE(client.update(pods(), "default", release).isOk());
  EXPECT_FALSE(client.object(pods(), "default", "held"));

  DeleteOptions wrong_uid;
  wrong_uid.precondition_uid = "nope";
  EXPECT_EQ(client.remove(pods(), "default", "a", wrong_uid).status().code(), Code::kConflict);
  client.failNext("delete", "pods", Status(Code::kInternal, "boom"));
  EXPECT_EQ(client.remove(pods(), "default", "a").status().code(), Code::kInternal);
  EXPECT_TRUE(client.remove(pods(), "default", "a").isOk());
  EXPECT_EQ(client.get(pods(), "default", "a").status().code(), Code::kNotFound);
}

TEST(FakeClient, ListAndWatchFilterBySelectors) {
  FakeClient client;
  client.create(pods(), "default", pod("a", "web")).value();
  client.create(pods(), "other", pod("b", "web")).value();
  client.create(pods(), "default", pod("c", "db")).value();
  ListOptions web;
  web.label_selector = "app=web";
  EXPECT_EQ(client.list(pods(), "", web).value()["items"].size(), 2u);
  EXPECT_EQ(client.list(pods(), "default", web).value()["items"].size(), 1u);
  ListOptions by_name;
  by_name.field_selector = "metadata.name=c";
  EXPECT_EQ(client.list(pods(), "", by_name).value()["items"][0]["metadata"]["name"], "c");
}

TEST(FakeClient, AnInformerOverItSeesChangesAndTheFactoryShares) {
  FakeClient client;
  client.create(pods(), "default", pod("a")).value();
  SharedInformerFactory factory(client);
  auto& one = factory.informerFor<api::Pod>(pods());
  auto& two = factory.informerFor<api::Pod>(pods());
  EXPECT_EQ(&one, &two);
  InformerOptions web_only;
  web_only.label_selector = "app=web";
  auto& filtered = factory.informerFor<api::Pod>(pods(), web_only);
  EXPECT_NE(&one, &filtered);
  EXPECT_EQ(factory.size(), 2u);
  std::atomic<int> adds{0};
  one.addHandler({.on_add = [&](const auto&) { ++adds; }, .on_update = nullptr, .on_delete = nullptr});
  factory.start();
  ASSERT_TRUE(factory.waitForCacheSync(10s));
  client.create(pods(), "default", pod("b")).value();
  client.create(pods(), "default", pod("c", "db")).value();
  EXPECT_TRUE(eventually([&] { return one.list().size() == 3; }));
  EXPECT_TRUE(eventually([&] { return filtered.list().size() == 2; }));
  EXPECT_EQ(adds.load(), 3);
  Lister<api::Pod> lister = one.lister();
  EXPECT_EQ(lister.listNamespace("default").size(), 3u);
  EXPECT_EQ(lister.list(api::LabelSelector::parse("app=db").value()).size(), 1u);
  EXPECT_NE(lister.get("default", "c"), nullptr);
  client.remove(pods(), "default", "c").value();
  EXPECT_TRUE(eventually([&] { return lister.get("default", "c") == nullptr; }));
  factory.stop();
}

TEST(ControllerLoop, SyncsKeysForgetsSuccessAndRetriesFailureWithBackoff) {
  FakeClock clock;
  WorkQueue queue(clock);
  int failures_left = 2;
  std::vector<std::string> synced;
  ControllerLoop loop("test", queue, [&](const std::string& key) {
    synced.push_back(key);
    if (key == "bad" && failures_left-- > 0) return Status(Code::kInternal, "not yet");
    return Status::ok();
  });
  queue.add("good");
  queue.add("bad");
  EXPECT_TRUE(loop.processNextItem());
  EXPECT_TRUE(loop.processNextItem());
  EXPECT_EQ(queue.numRequeues("good"), 0);
  EXPECT_EQ(queue.numRequeues("bad"), 1);
  EXPECT_EQ(queue.tryGet(), std::nullopt);  // waiting out its back-off
  clock.advance(1s);
  EXPECT_TRUE(loop.processNextItem());
  clock.advance(1s);
  EXPECT_TRUE(loop.processNextItem());
  EXPECT_EQ(queue.numRequeues("bad"), 0);
  EXPECT_EQ(synced, (std::vector<std::string>{"good", "bad", "bad", "bad"}));
  queue.shutDown();
  EXPECT_FALSE(loop.processNextItem());
}

}  // namespace fake_client_test
}  // namespace minik8s::client
