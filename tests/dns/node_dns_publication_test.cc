// Publishing a node-local DNS: the kube-dns Service created once, each node's own
// EndpointSlice created or replaced, and the race of agents starting together lost
// gracefully (the loser's create is refused for the address, the Service is there).
#include "dns/node_dns_publication.h"

#include <gtest/gtest.h>

#include "api/scheme.h"
#include "client/fake_client.h"

namespace minik8s::dns {
namespace {

const api::ResourceInfo& services() { return *api::findResource("", "v1", "services"); }
const api::ResourceInfo& slices() {
  return *api::findResource("discovery.k8s.io", "v1", "endpointslices");
}

NodeDnsPublication node(std::string name, std::string address) {
  return {std::move(name), "10.96.0.10", std::move(address)};
}

TEST(PublishNodeDns, CreatesTheServiceAndTheNodesSlice) {
  client::FakeClient client;
  ASSERT_TRUE(publishNodeDns(client, node("n1", "10.244.0.1")).isOk());
  auto service = client.object(services(), "kube-system", "kube-dns");
  ASSERT_TRUE(service);
  EXPECT_EQ((*service)["spec"]["clusterIP"], "10.96.0.10");
  EXPECT_EQ((*service)["spec"]["ports"].size(), 2u);
  auto slice = client.object(slices(), "kube-system", "kube-dns-n1");
  ASSERT_TRUE(slice);
  EXPECT_EQ((*slice)["metadata"]["labels"]["kubernetes.io/service-name"], "kube-dns");
  EXPECT_EQ((*slice)["endpoints"][0]["addresses"][0], "10.244.0.1");
  EXPECT_EQ((*slice)["endpoints"][0]["nodeName"], "n1");
  EXPECT_EQ((*slice)["endpoints"][0]["conditions"]["ready"], true);
}

TEST(PublishNodeDns, LeavesAnExistingServiceAloneAndAddsASlicePerNode) {
  client::FakeClient client;
  ASSERT_TRUE(publishNodeDns(client, node("n1", "10.244.0.1")).isOk());
  ASSERT_TRUE(publishNodeDns(client, node("n2", "10.244.1.1")).isOk());
  EXPECT_EQ(client.objects(services()).size(), 1u);
  EXPECT_EQ(client.objects(slices()).size(), 2u);
  for (const auto& a : client.writes()) {
    EXPECT_NE(a.summary(), "update services");
  }
}

TEST(PublishNodeDns, ReplacesItsOwnSliceOnRestart) {
  client::FakeClient client;
  ASSERT_TRUE(publishNodeDns(client, node("n1", "10.244.0.1")).isOk());
  ASSERT_TRUE(publishNodeDns(client, node("n1", "10.244.0.129")).isOk());
  auto slice = client.object(slices(), "kube-system", "kube-dns-n1");
  ASSERT_TRUE(slice);
  EXPECT_EQ((*slice)["endpoints"][0]["addresses"][0], "10.244.0.129");
  EXPECT_EQ(client.objects(slices()).size(), 1u);
}

// Another agent creates kube-dns between this one's get and create; the server refuses
// the second create for its address (Invalid, not AlreadyExists), as kube-apiserver does.
TEST(PublishNodeDns, ARefusedCreateOfAServiceAnotherAgentJustMadeIsASuccess) {
  client::FakeClient client;
  client.add(services(), kubeDnsService("10.96.0.10"));
  client.failNext("get", "services", notFound("services \"kube-dns\" not found"));
  client.failNext("create", "services",
                  invalid("spec.clusterIPs: Invalid value: \"10.96.0.10\": provided IP is "
                          "already allocated"));
  Status s = publishNodeDns(client, node("n1", "10.244.0.1"));
  ASSERT_TRUE(s.isOk()) << s.toString();
  EXPECT_TRUE(client.object(slices(), "kube-system", "kube-dns-n1"));
}

TEST(PublishNodeDns, ARefusedCreateWithNoServiceAfterwardsIsReported) {
  client::FakeClient client;
  client.failNext("create", "services", invalid("spec.clusterIPs: Invalid value: \"10.96.0.10\""));
  Status s = publishNodeDns(client, node("n1", "10.244.0.1"));
  EXPECT_EQ(s.code(), Code::kInvalid);
  EXPECT_NE(s.message().find("creating the Service kube-system/kube-dns"), std::string::npos)
      << s.toString();
  EXPECT_FALSE(client.object(slices(), "kube-system", "kube-dns-n1"));
}

}  // namespace
}  // namespace minik8s::dns
