// Pod DNS as Kubernetes' kubelet forms it: each dnsPolicy, the hostNetwork cases, the
// fallback without --cluster-dns, dnsConfig merging, limits, and resolv.conf parsing.
#include "kubelet/dns_config.h"

#include <gtest/gtest.h>

namespace minik8s::kubelet {
namespace dns_config_test {

using Strings = std::vector<std::string>;

api::Pod pod(const std::string& policy, bool host_network = false) {
  api::Pod p;
  p.metadata.name = "web";
  p.metadata.namespace_ = "shop";
  p.metadata.uid = "u1";
  p.spec.dns_policy = policy;
  p.spec.host_network = host_network;
  return p;
}

const ClusterDns kCluster{{"10.96.0.10"}, "cluster.local"};
const ResolvConf kHost{{"192.0.2.1", "192.0.2.2"}, {"corp.example"}, {"timeout:2"}};

TEST(ParseResolvConf, ReadsNameserversTheLastSearchLineAndOptions) {
  ResolvConf c = parseResolvConf(
      "# generated\n"
      "nameserver 192.0.2.1\n"
      "nameserver 192.0.2.2 # second\n"
      "domain old.example\n"
      "search a.example. b.example\n"
      "options ndots:2 edns0\n"
      "options ndots:3\n"
      "sortlist 10.0.0.0\n");
  EXPECT_EQ(c.nameservers, (Strings{"192.0.2.1", "192.0.2.2"}));
  EXPECT_EQ(c.searches, (Strings{"a.example", "b.example"}));
  EXPECT_EQ(c.options, (Strings{"ndots:3", "edns0"}));
  EXPECT_TRUE(parseResolvConf("").nameservers.empty());
  EXPECT_TRUE(parseResolvConf("nameserver\n\tsearch\n").searches.empty());
}

TEST(PodDns, ClusterFirstSearchesTheNamespaceServiceAndClusterDomainsThenTheHosts) {
  for (const std::string policy : {"ClusterFirst", ""}) {
    PodDns d = podDns(pod(policy), kCluster, kHost);
    EXPECT_EQ(d.config.servers, (Strings{"10.96.0.10"}));
    EXPECT_EQ(d.config.searches, (Strings{"shop.svc.cluster.local", "svc.cluster.local",
                                          "cluster.local", "corp.example"}));
    EXPECT_EQ(d.config.options, (Strings{"ndots:5"}));
    EXPECT_TRUE(d.warnings.empty());
  }
}

TEST(PodDns, HostNetworkPodsGetTheHostsUnlessClusterFirstWithHostNet) {
  PodDns host = podDns(pod("ClusterFirst", true), kCluster, kHost);
  EXPECT_EQ(host.config.servers, kHost.nameservers);
  EXPECT_EQ(host.config.searches, kHost.searches);
  EXPECT_EQ(host.config.options, kHost.options);
  PodDns cluster = podDns(pod("ClusterFirstWithHostNet", true), kCluster, kHost);
  EXPECT_EQ(cluster.config.servers, (Strings{"10.96.0.10"}));
  // Without host networking, ClusterFirstWithHostNet is plain ClusterFirst.
  EXPECT_EQ(podDns(pod("ClusterFirstWithHostNet"), kCluster, kHost).config.servers,
            (Strings{"10.96.0.10"}));
}

TEST(PodDns, DefaultIsTheHostsResolvConf) {
  PodDns d = podDns(pod("Default"), kCluster, kHost);
  EXPECT_EQ(d.config.servers, kHost.nameservers);
  EXPECT_EQ(d.config.searches, kHost.searches);
  EXPECT_EQ(d.config.options, kHost.options);
}

TEST(PodDns, WithoutClusterDnsClusterFirstFallsBackToDefaultWithAWarning) {
  PodDns d = podDns(pod("ClusterFirst"), ClusterDns{{}, "cluster.local"}, kHost);
  EXPECT_EQ(d.config.servers, kHost.nameservers);
  ASSERT_EQ(d.warnings.size(), 1u);
  EXPECT_EQ(d.warnings[0].first, "MissingClusterDNS");
  EXPECT_EQ(d.warnings[0].second,
            "pod: \"web_shop(u1)\". kubelet does not have ClusterDNS IP configured and cannot "
            "create Pod using \"ClusterFirst\" policy. Falling back to \"Default\" policy.");
}

TEST(PodDns, NoneTakesOnlyTheDnsConfigAndDnsConfigMergesIntoTheOthers) {
  api::Pod none = pod("None");
  none.spec.dns_config = api::PodDnsConfig{
      {"192.0.2.53"}, {"my.example"}, {{"ndots", std::string("2")}, {"edns0", std::nullopt}}};
  PodDns d = podDns(none, kCluster, kHost);
  EXPECT_EQ(d.config.servers, (Strings{"192.0.2.53"}));
  EXPECT_EQ(d.config.searches, (Strings{"my.example"}));
  EXPECT_EQ(d.config.options, (Strings{"ndots:2", "edns0"}));

  api::Pod merged = pod("ClusterFirst");
  merged.spec.dns_config =
      api::PodDnsConfig{{"10.96.0.10", "192.0.2.53"}, {"svc.cluster.local", "extra.example"},
                        {{"ndots", std::string("1")}}};
  d = podDns(merged, kCluster, kHost);
  EXPECT_EQ(d.config.servers, (Strings{"10.96.0.10", "192.0.2.53"}));  // no duplicate
  EXPECT_EQ(d.config.searches, (Strings{"shop.svc.cluster.local", "svc.cluster.local",
                                        "cluster.local", "corp.example", "extra.example"}));
  EXPECT_EQ(d.config.options, (Strings{"ndots:1"}));  // the pod's value wins
}

TEST(PodDns, LimitsTrimNameserversAndSearchesWithAWarning) {
  api::Pod p = pod("None");
  p.spec.dns_config = api::PodDnsConfig{{"192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"}, {}, {}};
  for (int i = 0; i < 40; ++i) p.spec.dns_config->searches.push_back("d" + std::to_string(i) + ".example");
  PodDns d = podDns(p, kCluster, kHost);
  EXPECT_EQ(d.config.servers.size(), kMaxDnsNameservers);
  EXPECT_EQ(d.config.searches.size(), kMaxDnsSearchPaths);
  ASSERT_EQ(d.warnings.size(), 2u);
  EXPECT_EQ(d.warnings[0].second,
            "Nameserver limits were exceeded, some nameservers have been omitted, the applied "
            "nameserver line is: 192.0.2.1 192.0.2.2 192.0.2.3");
  EXPECT_EQ(d.warnings[1].first, "DNSConfigForming");

  api::Pod wide = pod("None");
  wide.spec.dns_config = api::PodDnsConfig{{"192.0.2.1"}, {}, {}};
  for (int i = 0; i < 10; ++i) wide.spec.dns_config->searches.push_back(std::string(250, 'a' + i));
  d = podDns(wide, kCluster, kHost);
  EXPECT_EQ(d.config.searches.size(), 8u);  // 8 × 250 + 7 spaces ≤ 2,048 < 9 × 250 + 8
}

}  // namespace dns_config_test
}  // namespace minik8s::kubelet
