// Leader election over the fake client with a fake clock: no sleeps, no apiserver.
#include "client/leader_election.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "client/fake_client.h"

namespace minik8s::client {
namespace leader_election_test {

using nlohmann::json;
using namespace std::chrono_literals;

LeaderElectionConfig config(const std::string& identity) {
  LeaderElectionConfig c;
  c.lease_name = "kube-controller-manager";
  c.identity = identity;
  return c;  // 15 s lease, 10 s renew deadline, 2 s retry
}

const api::ResourceInfo& leases() { return *api::findResource("coordination.k8s.io", "v1", "leases"); }

json holderOf(FakeClient& client) {
  auto lease = client.object(leases(), "kube-system", "kube-controller-manager");
  return lease ? (*lease)["spec"]["holderIdentity"] : json();
}

TEST(NextLeaseRecord, CreatesTakesRenewsOrWaits) {
  Clock::WallTime now(std::chrono::seconds(1767225600));
  auto fresh = nextLeaseRecord(std::nullopt, config("a"), false, now);
  ASSERT_TRUE(fresh);
  EXPECT_EQ((*fresh)["spec"]["holderIdentity"], "a");
  EXPECT_EQ((*fresh)["spec"]["leaseDurationSeconds"], 15);
  EXPECT_EQ((*fresh)["spec"]["renewTime"], "2026-01-01T00:00:00.000000Z");
  EXPECT_FALSE(nextLeaseRecord(*fresh, config("b"), /*expired=*/false, now));
  auto taken = nextLeaseRecord(*fresh, config("b"), /*expired=*/true, now + 20s);
  ASSERT_TRUE(taken);
  EXPECT_EQ((*taken)["spec"]["holderIdentity"], "b");
  EXPECT_EQ((*taken)["spec"]["leaseTransitions"], 1);
  auto renewed = nextLeaseRecord(*taken, config("b"), false, now + 22s);
  EXPECT_EQ((*renewed)["spec"]["renewTime"], "2026-01-01T00:00:22.000000Z");
  EXPECT_EQ((*renewed)["spec"]["acquireTime"], (*taken)["spec"]["acquireTime"]);
  json released = *renewed;
  released["spec"]["holderIdentity"] = "";
  EXPECT_TRUE(nextLeaseRecord(released, config("a"), false, now));  // free: take at once
}

TEST(LeaderElector, OneLeadsTheOtherWaitsUntilTheLeaseExpires) {
  FakeClock clock;
  FakeClient client(clock);
  LeaderElector a(client, config("a"), clock);
  LeaderElector b(client, config("b"), clock);
  EXPECT_TRUE(a.tryAcquireOrRenew());
  EXPECT_FALSE(b.tryAcquireOrRenew());
  clock.advance(10s);
  EXPECT_TRUE(a.tryAcquireOrRenew());  // renewed at 10 s
  EXPECT_FALSE(b.tryAcquireOrRenew());  // b sees the renewal at 10 s (on its own clock)
  clock.advance(14s);
  EXPECT_FALSE(b.tryAcquireOrRenew());  // b saw the renewal 14 s ago: not expired
  clock.advance(1s);
  EXPECT_TRUE(b.tryAcquireOrRenew());
  EXPECT_EQ(holderOf(client), "b");
  EXPECT_FALSE(a.tryAcquireOrRenew());
}

TEST(LeaderElector, RunLeadsStopsWhenTakenOverAndReleasesOnStop) {
  FakeClock clock;
  FakeClient client(clock);
  LeaderElector a(client, config("a"), clock);
  std::atomic<int> started{0}, stopped{0};
  std::jthread runner([&](std::stop_token stop) {
    a.run(stop, [&] { ++started; }, [&] { ++stopped; });
  });
  ASSERT_TRUE(clock.waitForSleepers(1));
  EXPECT_EQ(started.load(), 1);
  EXPECT_TRUE(a.isLeader());
  EXPECT_EQ(holderOf(client), "a");

  // Someone else takes the lease (as after a partition): a stops leading at its next renewal.
  json lease = *client.object(leases(), "kube-system", "kube-controller-manager");
  lease["spec"]["holderIdentity"] = "intruder";
  ASSERT_TRUE(client.update(leases(), "kube-system", lease).isOk());
  auto step = [&](std::chrono::seconds d) {  // advance, then wait until a sleeps again
    int64_t calls = clock.sleepCalls();
    clock.advance(d);
    ASSERT_TRUE(clock.waitForSleepCalls(calls + 1));
  };
  step(2s);
  EXPECT_EQ(stopped.load(), 1);
  EXPECT_FALSE(a.isLeader());

  // The intruder never renews: a campaigns every 2 s and takes the lease once it has seen
  // no change for the lease's 15 s.
  for (int i = 0; i < 7; ++i) step(2s);
  EXPECT_EQ(started.load(), 1);
  step(2s);
  EXPECT_EQ(started.load(), 2);
  EXPECT_EQ(holderOf(client), "a");

  runner.request_stop();
  runner.join();
  EXPECT_EQ(stopped.load(), 2);
  EXPECT_EQ(holderOf(client), "");  // released for a quick take-over
}

}  // namespace leader_election_test
}  // namespace minik8s::client
