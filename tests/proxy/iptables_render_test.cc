// Table tests of the pure renderer: each case builds Services and EndpointSlices, renders
// and asserts the rules kube-proxy's iptables mode would have.
#include "proxy/iptables_render.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "proxy/service_ports.h"

namespace minik8s::proxy {
namespace iptables_render_test {

using ::testing::HasSubstr;
using ::testing::Not;

struct Ep {
  std::string ip;
  std::string node = "node-a";
  bool ready = true;
  bool serving = true;
  bool terminating = false;
};

std::shared_ptr<const api::Service> service(const std::string& name, const std::string& ip,
                                            int port = 80, const std::string& port_name = "http",
                                            const std::string& protocol = "TCP") {
  api::Service svc;
  svc.metadata.namespace_ = "default";
  svc.metadata.name = name;
  svc.spec.type = "ClusterIP";
  svc.spec.cluster_ip = ip;
  svc.spec.cluster_ips = {ip};
  svc.spec.session_affinity = "None";
  api::ServicePort p;
  p.name = port_name;
  p.protocol = protocol;
  p.port = port;
  svc.spec.ports.push_back(p);
  return std::make_shared<const api::Service>(svc);
}

std::shared_ptr<const api::Service> modified(std::shared_ptr<const api::Service> in,
                                             const std::function<void(api::Service&)>& edit) {
  api::Service svc = *in;
  edit(svc);
  return std::make_shared<const api::Service>(svc);
}

std::shared_ptr<const api::EndpointSlice> slice(const std::string& service_name,
                                                const std::vector<Ep>& eps, int port = 8080,
                                                const std::string& port_name = "http",
                                                const std::string& protocol = "TCP") {
  api::EndpointSlice s;
  s.metadata.namespace_ = "default";
  s.metadata.name = service_name + "-abcde";
  s.metadata.labels[api::kLabelServiceName] = service_name;
  s.address_type = "IPv4";
  api::EndpointSlicePort p;
  p.name = port_name;
  p.protocol = protocol;
  p.port = port;
  s.ports.push_back(p);
  for (const auto& ep : eps) {
    api::Endpoint e;
    e.addresses = {ep.ip};
    e.node_name = ep.node;
    e.conditions.ready = ep.ready;
    e.conditions.serving = ep.serving;
    e.conditions.terminating = ep.terminating;
    s.endpoints.push_back(e);
  }
  return std::make_shared<const api::EndpointSlice>(s);
}

RenderOptions opts() {
  RenderOptions o;
  o.node_name = "node-a";
  return o;
}

std::string render(std::vector<std::shared_ptr<const api::Service>> services,
                   std::vector<std::shared_ptr<const api::EndpointSlice>> slices,
                   const RenderOptions& options = opts(), const IptablesState& existing = {}) {
  return renderIptables(buildServicePorts(services, slices), options, existing);
}

// The "-A CHAIN ..." lines of `table`, in order.
std::vector<std::string> rules(const std::string& text, const std::string& table,
                               const std::string& chain) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line, current;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] == '*') current = line.substr(1);
    if (current == table && line.rfind("-A " + chain + " ", 0) == 0) out.push_back(line);
  }
  return out;
}

bool hasChain(const std::string& text, const std::string& chain) {
  return text.find("\n:" + chain + " - [0:0]\n") != std::string::npos;
}

constexpr char kSvc[] = "KUBE-SVC-CDGGSHYLG3RE2FKL";   // default/web:http tcp
constexpr char kSep1[] = "KUBE-SEP-UIQK3OSOSTRHRPBX";  // ... 10.244.1.2:8080

TEST(ChainNames, HashServicePortNameAndProtocolAsKubeProxy) {
  auto ports = buildServicePorts({service("web", "10.96.0.10")}, {});
  ASSERT_EQ(ports.size(), 1u);
  EXPECT_EQ(serviceChainName("KUBE-SVC-", ports[0]), kSvc);
  EXPECT_EQ(endpointChainName(ports[0], {.ip = "10.244.1.2", .port = 8080}), kSep1);
  auto unnamed = buildServicePorts({service("web", "10.96.0.10", 80, "")}, {});
  EXPECT_EQ(serviceChainName("KUBE-SVC-", unnamed[0]), "KUBE-SVC-LOLE4ISW44XBNF3G");
}

TEST(Render, ClusterIpWithOneEndpointIsTheWholeKubeProxyRuleset) {
  std::string text = render({service("web", "10.96.0.10")}, {slice("web", {{"10.244.1.2"}})});
  EXPECT_EQ(text,
            "*filter\n"
            ":KUBE-SERVICES - [0:0]\n"
            ":KUBE-EXTERNAL-SERVICES - [0:0]\n"
            ":KUBE-FORWARD - [0:0]\n"
            ":KUBE-FIREWALL - [0:0]\n"
            // Missing jumps go in with "-I CHAIN 1" in reverse, so they end up in list order.
            "-I OUTPUT 1 -j KUBE-FIREWALL\n"
            "-I OUTPUT 1 -m conntrack --ctstate NEW -m comment --comment \"kubernetes service "
            "portals\" -j KUBE-SERVICES\n"
            "-I FORWARD 1 -m conntrack --ctstate NEW -m comment --comment \"kubernetes "
            "externally-visible service portals\" -j KUBE-EXTERNAL-SERVICES\n"
            "-I FORWARD 1 -m conntrack --ctstate NEW -m comment --comment \"kubernetes service "
            "portals\" -j KUBE-SERVICES\n"
            "-I FORWARD 1 -m comment --comment \"kubernetes forwarding rules\" -j KUBE-FORWARD\n"
            "-I INPUT 1 -j KUBE-FIREWALL\n"
            "-I INPUT 1 -m conntrack --ctstate NEW -m comment --comment \"kubernetes "
            "externally-visible service portals\" -j KUBE-EXTERNAL-SERVICES\n"
            "-A KUBE-SERVICES -m comment --comment \"reject traffic to unallocated ClusterIPs\" "
            "-p tcp -m tcp -d 10.96.0.0/12 -j REJECT --reject-with tcp-reset\n"
            "-A KUBE-SERVICES -m comment --comment \"reject traffic to unallocated ClusterIPs\" "
            "-d 10.96.0.0/12 -j REJECT --reject-with icmp-port-unreachable\n"
            "-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP\n"
            "-A KUBE-FORWARD -m comment --comment \"kubernetes forwarding rules\" -m mark --mark "
            "0x4000/0x4000 -j ACCEPT\n"
            "-A KUBE-FORWARD -m comment --comment \"kubernetes forwarding conntrack rule\" -m "
            "conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n"
            "-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment \"block "
            "incoming localnet connections\" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT "
            "-j DROP\n"
            "COMMIT\n"
            "*nat\n"
            ":KUBE-SERVICES - [0:0]\n"
            ":KUBE-NODEPORTS - [0:0]\n"
            ":KUBE-POSTROUTING - [0:0]\n"
            ":KUBE-MARK-MASQ - [0:0]\n"
            ":KUBE-SVC-CDGGSHYLG3RE2FKL - [0:0]\n"
            ":KUBE-SEP-UIQK3OSOSTRHRPBX - [0:0]\n"
            "-I POSTROUTING 1 -m comment --comment \"kubernetes postrouting rules\" -j "
            "KUBE-POSTROUTING\n"
            "-I OUTPUT 1 -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES\n"
            "-I PREROUTING 1 -m comment --comment \"kubernetes service portals\" -j "
            "KUBE-SERVICES\n"
            "-A KUBE-SERVICES -m comment --comment \"default/web:http cluster IP\" -p tcp -m tcp "
            "-d 10.96.0.10/32 --dport 80 -j KUBE-SVC-CDGGSHYLG3RE2FKL\n"
            "-A KUBE-SVC-CDGGSHYLG3RE2FKL -m comment --comment \"default/web:http -> "
            "10.244.1.2:8080\" -j KUBE-SEP-UIQK3OSOSTRHRPBX\n"
            "-A KUBE-SEP-UIQK3OSOSTRHRPBX -m comment --comment \"default/web:http\" -s "
            "10.244.1.2/32 -j KUBE-MARK-MASQ\n"
            "-A KUBE-SEP-UIQK3OSOSTRHRPBX -m comment --comment \"default/web:http\" -p tcp -m tcp "
            "-j DNAT --to-destination 10.244.1.2:8080\n"
            "-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN\n"
            "-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000\n"
            "-A KUBE-POSTROUTING -m comment --comment \"kubernetes service traffic requiring "
            "SNAT\" -j MASQUERADE --random-fully\n"
            "-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000\n"
            "-A KUBE-SERVICES -m comment --comment \"kubernetes service nodeports; NOTE: this "
            "must be the last rule in this chain\" -m addrtype --dst-type LOCAL -j "
            "KUBE-NODEPORTS\n"
            "COMMIT\n");
}

TEST(Render, RandomBalanceUsesKubeProxyProbabilities) {
  std::string text = render({service("web", "10.96.0.10")},
                            {slice("web", {{"10.244.1.2"}, {"10.244.1.3"}, {"10.244.2.4"}})});
  auto svc = rules(text, "nat", kSvc);
  ASSERT_EQ(svc.size(), 3u);
  EXPECT_THAT(svc[0], HasSubstr("-> 10.244.1.2:8080\" -m statistic --mode random --probability "
                                "0.3333333333 -j KUBE-SEP-"));
  EXPECT_THAT(svc[1], HasSubstr("-> 10.244.1.3:8080\" -m statistic --mode random --probability "
                                "0.5000000000 -j KUBE-SEP-"));
  EXPECT_THAT(svc[2], HasSubstr("-> 10.244.2.4:8080\" -j KUBE-SEP-"));
  EXPECT_THAT(svc[2], Not(HasSubstr("statistic")));
}

TEST(Render, RoundRobinTakesEndpointsInTurnWithNth) {
  RenderOptions o = opts();
  o.balance = Balance::kRoundRobin;
  std::string text = render({service("web", "10.96.0.10")},
                            {slice("web", {{"10.244.1.2"}, {"10.244.1.3"}, {"10.244.2.4"}})}, o);
  auto svc = rules(text, "nat", kSvc);
  ASSERT_EQ(svc.size(), 3u);
  EXPECT_THAT(svc[0], HasSubstr("-m statistic --mode nth --every 3 --packet 0 -j KUBE-SEP-"));
  EXPECT_THAT(svc[1], HasSubstr("-m statistic --mode nth --every 2 --packet 0 -j KUBE-SEP-"));
  EXPECT_THAT(svc[2], Not(HasSubstr("statistic")));
}

TEST(Render, NoEndpointsRejectsAtOnceInFilterAndAddsNoNatRule) {
  std::string text = render({service("web", "10.96.0.10")}, {slice("web", {})});
  auto filter = rules(text, "filter", "KUBE-SERVICES");
  ASSERT_EQ(filter.size(), 3u);
  EXPECT_EQ(filter[0],
            "-A KUBE-SERVICES -m comment --comment \"default/web:http has no endpoints\" -p tcp "
            "-m tcp -d 10.96.0.10/32 --dport 80 -j REJECT --reject-with tcp-reset");
  EXPECT_THAT(filter[1], HasSubstr("unallocated ClusterIPs"));  // always the last two
  EXPECT_THAT(filter[2], HasSubstr("unallocated ClusterIPs"));
  EXPECT_EQ(rules(text, "nat", "KUBE-SERVICES").size(), 1u);  // only the nodeports jump
  EXPECT_FALSE(hasChain(text, kSvc));
}

TEST(Render, HeadlessAndExternalNameServicesGetNoRules) {
  auto headless = service("db", "None");
  auto external = modified(service("ext", ""), [](api::Service& s) {
    s.spec.type = "ExternalName";
    s.spec.external_name = "example.com";
  });
  std::string text = render({headless, external}, {slice("db", {{"10.244.1.2"}})});
  EXPECT_EQ(text, render({}, {}));
}

TEST(Render, OnlyReadyEndpointsAndServingTerminatingOnlyAsFallback) {
  std::string text = render(
      {service("web", "10.96.0.10")},
      {slice("web", {{"10.244.1.2"},
                     {.ip = "10.244.1.3", .ready = false, .serving = false},
                     {.ip = "10.244.1.4", .ready = false, .serving = true, .terminating = true}})});
  auto svc = rules(text, "nat", kSvc);
  ASSERT_EQ(svc.size(), 1u);
  EXPECT_THAT(svc[0], HasSubstr("10.244.1.2:8080"));

  // No ready endpoint: the serving terminating one takes the traffic; not-serving never.
  text = render(
      {service("web", "10.96.0.10")},
      {slice("web", {{.ip = "10.244.1.3", .ready = false, .serving = false},
                     {.ip = "10.244.1.4", .ready = false, .serving = true, .terminating = true}})});
  svc = rules(text, "nat", kSvc);
  ASSERT_EQ(svc.size(), 1u);
  EXPECT_THAT(svc[0], HasSubstr("10.244.1.4:8080"));

  // Only not-serving endpoints: rejected like none.
  text = render({service("web", "10.96.0.10")},
                {slice("web", {{.ip = "10.244.1.3", .ready = false, .serving = false}})});
  EXPECT_THAT(text, HasSubstr("has no endpoints"));
}

TEST(Render, SlicePortsMatchByNameAndProtocolAndOtherServicesSlicesAreIgnored) {
  std::string text =
      render({service("web", "10.96.0.10")},
             {slice("web", {{"10.244.1.2"}}, 8080, "other"),
              slice("web", {{"10.244.1.3"}}, 8080, "http", "UDP"), slice("api", {{"10.244.1.4"}})});
  EXPECT_THAT(text, HasSubstr("default/web:http has no endpoints"));
}

TEST(Render, NodePortJumpsThroughExtChainThatMasquerades) {
  auto svc = modified(service("web", "10.96.0.10"), [](api::Service& s) {
    s.spec.type = "NodePort";
    s.spec.ports[0].node_port = 30080;
    s.spec.external_traffic_policy = "Cluster";
  });
  std::string text = render({svc}, {slice("web", {{"10.244.1.2"}})});
  const std::string ext = "KUBE-EXT-CDGGSHYLG3RE2FKL";
  EXPECT_EQ(rules(text, "nat", "KUBE-NODEPORTS"),
            std::vector<std::string>{"-A KUBE-NODEPORTS -m comment --comment \"default/web:http\" "
                                     "-p tcp -m tcp --dport 30080 -j " +
                                     ext});
  EXPECT_EQ(rules(text, "nat", ext),
            (std::vector<std::string>{
                "-A " + ext +
                    " -m comment --comment \"masquerade traffic for default/web:http "
                    "external destinations\" -j KUBE-MARK-MASQ",
                "-A " + ext + " -j " + kSvc}));
  auto services = rules(text, "nat", "KUBE-SERVICES");
  EXPECT_THAT(services.back(), HasSubstr("-m addrtype --dst-type LOCAL -j KUBE-NODEPORTS"));
}

TEST(Render, NodePortAddressesListEachAddressAndLoopback) {
  RenderOptions o = opts();
  o.node_port_addresses = {"192.168.1.5"};
  std::string text = render({service("web", "10.96.0.10")}, {}, o);
  auto services = rules(text, "nat", "KUBE-SERVICES");
  ASSERT_EQ(services.size(), 2u);
  EXPECT_THAT(services[0], HasSubstr("-d 192.168.1.5/32 -j KUBE-NODEPORTS"));
  EXPECT_THAT(services[1], HasSubstr("-d 127.0.0.1/32 -j KUBE-NODEPORTS"));
  o.localhost_node_ports = false;
  text = render({service("web", "10.96.0.10")}, {}, o);
  EXPECT_EQ(rules(text, "nat", "KUBE-SERVICES").size(), 1u);
  EXPECT_TRUE(rules(text, "filter", "KUBE-FIREWALL").empty());
}

TEST(Render, NodePortWithoutEndpointsIsRejectedInExternalServices) {
  auto svc = modified(service("web", "10.96.0.10"), [](api::Service& s) {
    s.spec.type = "NodePort";
    s.spec.ports[0].node_port = 30080;
    s.spec.external_ips = {"192.168.7.7"};
  });
  std::string text = render({svc}, {});
  EXPECT_EQ(rules(text, "filter", "KUBE-EXTERNAL-SERVICES"),
            (std::vector<std::string>{
                "-A KUBE-EXTERNAL-SERVICES -m comment --comment \"default/web:http has no "
                "endpoints\" -p tcp -m tcp -d 192.168.7.7/32 --dport 80 -j REJECT --reject-with "
                "tcp-reset",
                "-A KUBE-EXTERNAL-SERVICES -m comment --comment \"default/web:http has no "
                "endpoints\" -m addrtype --dst-type LOCAL -p tcp -m tcp --dport 30080 -j REJECT "
                "--reject-with tcp-reset"}));
  EXPECT_TRUE(rules(text, "nat", "KUBE-NODEPORTS").empty());
}

TEST(Render, ExternalIpsAndLoadBalancerIngressGoThroughExtChain) {
  auto svc = modified(service("web", "10.96.0.10"), [](api::Service& s) {
    s.spec.type = "LoadBalancer";
    s.spec.ports[0].node_port = 30080;
    s.spec.external_ips = {"192.168.7.7"};
    s.status.load_balancer.ingress.push_back({.ip = "192.168.7.8"});
  });
  std::string text = render({svc}, {slice("web", {{"10.244.1.2"}})});
  auto services = rules(text, "nat", "KUBE-SERVICES");
  ASSERT_EQ(services.size(), 4u);
  EXPECT_THAT(services[1], HasSubstr("external IP\" -p tcp -m tcp -d 192.168.7.7/32 --dport 80 "
                                     "-j KUBE-EXT-CDGGSHYLG3RE2FKL"));
  EXPECT_THAT(services[2], HasSubstr("-d 192.168.7.8/32 --dport 80 -j KUBE-EXT-"));
}

TEST(Render, ClusterCidrMasqueradesOffClusterSourcesAndMasqueradeAllEveryone) {
  RenderOptions o = opts();
  o.cluster_cidr = "10.244.0.0/16";
  std::string text = render({service("web", "10.96.0.10")}, {slice("web", {{"10.244.1.2"}})}, o);
  auto svc = rules(text, "nat", kSvc);
  ASSERT_EQ(svc.size(), 2u);
  EXPECT_EQ(svc[0], std::string("-A ") + kSvc +
                        " -m comment --comment \"default/web:http cluster IP\" -p tcp -m tcp -d "
                        "10.96.0.10/32 --dport 80 ! -s 10.244.0.0/16 -j KUBE-MARK-MASQ");
  o.masquerade_all = true;
  text = render({service("web", "10.96.0.10")}, {slice("web", {{"10.244.1.2"}})}, o);
  EXPECT_THAT(rules(text, "nat", kSvc)[0], HasSubstr("--dport 80 -j KUBE-MARK-MASQ"));
}

TEST(Render, HairpinMasqueradesAnEndpointReachingItself) {
  std::string text = render({service("web", "10.96.0.10")}, {slice("web", {{"10.244.1.2"}})});
  EXPECT_THAT(rules(text, "nat", kSep1)[0], HasSubstr("-s 10.244.1.2/32 -j KUBE-MARK-MASQ"));
}

TEST(Render, ClientIpAffinityChecksRecentBeforeBalancing) {
  auto svc = modified(service("web", "10.96.0.10"), [](api::Service& s) {
    s.spec.session_affinity = "ClientIP";
    s.spec.session_affinity_config =
        api::RawJson(nlohmann::json{{"clientIP", {{"timeoutSeconds", 60}}}});
  });
  std::string text = render({svc}, {slice("web", {{"10.244.1.2"}, {"10.244.1.3"}})});
  auto chain = rules(text, "nat", kSvc);
  ASSERT_EQ(chain.size(), 4u);
  EXPECT_THAT(chain[0], HasSubstr(std::string("-m recent --name ") + kSep1 +
                                  " --rcheck --seconds 60 --reap -j " + kSep1));
  EXPECT_THAT(chain[1], HasSubstr("--rcheck --seconds 60 --reap"));
  EXPECT_THAT(chain[2], HasSubstr("--probability 0.5000000000"));
  EXPECT_THAT(rules(text, "nat", kSep1)[1],
              HasSubstr(std::string("-m recent --name ") + kSep1 +
                        " --set -p tcp -m tcp -j DNAT --to-destination 10.244.1.2:8080"));
  // Without a config: Kubernetes' default of 3 hours.
  svc = modified(service("web", "10.96.0.10"),
                 [](api::Service& s) { s.spec.session_affinity = "ClientIP"; });
  text = render({svc}, {slice("web", {{"10.244.1.2"}})});
  EXPECT_THAT(rules(text, "nat", kSvc)[0], HasSubstr("--seconds 10800"));
}

TEST(Render, InternalTrafficPolicyLocalUsesOnlyThisNodesEndpoints) {
  auto svc = modified(service("web", "10.96.0.10"),
                      [](api::Service& s) { s.spec.internal_traffic_policy = "Local"; });
  std::string text =
      render({svc}, {slice("web", {{"10.244.1.2", "node-a"}, {"10.244.2.2", "node-b"}})});
  const std::string svl = "KUBE-SVL-CDGGSHYLG3RE2FKL";
  EXPECT_THAT(rules(text, "nat", "KUBE-SERVICES")[0], HasSubstr("-j " + svl));
  auto chain = rules(text, "nat", svl);
  ASSERT_EQ(chain.size(), 1u);
  EXPECT_THAT(chain[0], HasSubstr("10.244.1.2:8080"));
  EXPECT_FALSE(hasChain(text, kSvc));
  EXPECT_THAT(text, Not(HasSubstr("10.244.2.2")));

  // Endpoints elsewhere only: dropped (not rejected), as kube-proxy.
  text = render({svc}, {slice("web", {{"10.244.2.2", "node-b"}})});
  EXPECT_THAT(rules(text, "filter", "KUBE-SERVICES")[0],
              HasSubstr("\"default/web:http has no local endpoints\" -p tcp -m tcp -d "
                        "10.96.0.10/32 --dport 80 -j DROP"));
}

TEST(Render, ExternalTrafficPolicyLocalSendsOutsideTrafficOnlyToLocalEndpoints) {
  auto svc = modified(service("web", "10.96.0.10"), [](api::Service& s) {
    s.spec.type = "NodePort";
    s.spec.ports[0].node_port = 30080;
    s.spec.external_traffic_policy = "Local";
  });
  RenderOptions o = opts();
  o.cluster_cidr = "10.244.0.0/16";
  std::string text =
      render({svc}, {slice("web", {{"10.244.1.2", "node-a"}, {"10.244.2.2", "node-b"}})}, o);
  const std::string ext = "KUBE-EXT-CDGGSHYLG3RE2FKL";
  const std::string svl = "KUBE-SVL-CDGGSHYLG3RE2FKL";
  auto chain = rules(text, "nat", ext);
  ASSERT_EQ(chain.size(), 4u);
  EXPECT_THAT(chain[0], HasSubstr("pod traffic for default/web:http external destinations\" -s "
                                  "10.244.0.0/16 -j " +
                                  std::string(kSvc)));
  EXPECT_THAT(chain[1], HasSubstr("-m addrtype --src-type LOCAL -j KUBE-MARK-MASQ"));
  EXPECT_THAT(chain[2], HasSubstr("-m addrtype --src-type LOCAL -j " + std::string(kSvc)));
  EXPECT_EQ(chain[3], "-A " + ext + " -j " + svl);
  EXPECT_EQ(rules(text, "nat", svl).size(), 1u);   // node-a's endpoint, no masquerade
  EXPECT_EQ(rules(text, "nat", kSvc).size(), 3u);  // masquerade rule + both endpoints

  // No local endpoint: outside traffic is dropped, cluster traffic still served.
  text = render({svc}, {slice("web", {{"10.244.2.2", "node-b"}})}, o);
  EXPECT_THAT(rules(text, "filter", "KUBE-EXTERNAL-SERVICES")[0],
              HasSubstr("has no local endpoints\" -m addrtype --dst-type LOCAL -p tcp -m tcp "
                        "--dport 30080 -j DROP"));
  EXPECT_THAT(rules(text, "nat", "KUBE-SERVICES")[0], HasSubstr("-j " + std::string(kSvc)));
}

TEST(Render, UdpRulesMatchUdp) {
  std::string text = render({service("dns", "10.96.0.53", 53, "dns", "UDP")},
                            {slice("dns", {{"10.244.1.2"}}, 5353, "dns", "UDP")});
  EXPECT_THAT(rules(text, "nat", "KUBE-SERVICES")[0],
              HasSubstr("-p udp -m udp -d 10.96.0.53/32 --dport 53"));
  EXPECT_THAT(text, HasSubstr("-p udp -m udp -j DNAT --to-destination 10.244.1.2:5353"));
}

TEST(Render, UdpWithoutEndpointsIsRejectedWithIcmp) {
  std::string text = render({service("dns", "10.96.0.53", 53, "dns", "UDP")}, {});
  EXPECT_THAT(rules(text, "filter", "KUBE-SERVICES")[0],
              HasSubstr("-p udp -m udp -d 10.96.0.53/32 --dport 53 -j REJECT --reject-with "
                        "icmp-port-unreachable"));
}

TEST(Render, ExistingJumpsAreNotInsertedTwiceAndStaleChainsAreDeleted) {
  std::string first = render({service("web", "10.96.0.10")}, {slice("web", {{"10.244.1.2"}})});
  // What iptables-save would show after applying `first`, plus a chain of an old service.
  std::string saved =
      "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
      ":KUBE-SERVICES - [0:0]\n:KUBE-EXTERNAL-SERVICES - [0:0]\n:KUBE-FORWARD - [0:0]\n"
      ":KUBE-FIREWALL - [0:0]\n"
      "-A INPUT -m conntrack --ctstate NEW -m comment --comment \"kubernetes externally-visible "
      "service portals\" -j KUBE-EXTERNAL-SERVICES\n"
      "-A INPUT -j KUBE-FIREWALL\n"
      "-A FORWARD -m comment --comment \"kubernetes forwarding rules\" -j KUBE-FORWARD\n"
      "-A FORWARD -m conntrack --ctstate NEW -m comment --comment \"kubernetes service "
      "portals\" -j KUBE-SERVICES\n"
      "-A FORWARD -m conntrack --ctstate NEW -m comment --comment \"kubernetes "
      "externally-visible service portals\" -j KUBE-EXTERNAL-SERVICES\n"
      "-A OUTPUT -m conntrack --ctstate NEW -m comment --comment \"kubernetes service portals\" "
      "-j KUBE-SERVICES\n"
      "-A OUTPUT -j KUBE-FIREWALL\nCOMMIT\n"
      "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
      ":POSTROUTING ACCEPT [0:0]\n:KUBE-SERVICES - [0:0]\n:KUBE-SVC-OLDOLDOLDOLDOLDO - [0:0]\n"
      ":KUBE-SEP-OLDOLDOLDOLDOLDO - [0:0]\n:DOCKER - [0:0]\n"
      "-A PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES\n"
      "-A OUTPUT -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES\n"
      "-A POSTROUTING -m comment --comment \"kubernetes postrouting rules\" -j KUBE-POSTROUTING\n"
      "COMMIT\n";
  std::string text = render({service("web", "10.96.0.10")}, {slice("web", {{"10.244.1.2"}})},
                            opts(), parseIptablesSave(saved));
  EXPECT_THAT(text, Not(HasSubstr("-I ")));
  EXPECT_THAT(text, HasSubstr(":KUBE-SVC-OLDOLDOLDOLDOLDO - [0:0]\n"));
  EXPECT_THAT(text,
              HasSubstr("-X KUBE-SEP-OLDOLDOLDOLDOLDO\n-X KUBE-SVC-OLDOLDOLDOLDOLDO\nCOMMIT"));
  EXPECT_THAT(text, Not(HasSubstr("DOCKER")));  // never touches chains not ours
  EXPECT_THAT(first, HasSubstr("-I PREROUTING 1 "));
}

TEST(Render, PartialSyncLeavesOutServiceChainsThatExistUnchanged) {
  auto services =
      buildServicePorts({service("web", "10.96.0.10"), service("api", "10.96.0.11")},
                        {slice("web", {{"10.244.1.2"}}), slice("api", {{"10.244.1.5"}})});
  ChainContents first;
  std::string full = renderIptables(services, opts(), {}, nullptr, &first);
  EXPECT_EQ(first.size(), 4u);  // two SVC, two SEP chains
  // iptables-save now shows every chain; one endpoint of web changes.
  IptablesState existing;
  for (const auto& [chain, rules] : first) existing.chains["nat"].insert(chain);
  auto changed =
      buildServicePorts({service("web", "10.96.0.10"), service("api", "10.96.0.11")},
                        {slice("web", {{"10.244.1.3"}}), slice("api", {{"10.244.1.5"}})});
  ChainContents second;
  std::string partial = renderIptables(changed, opts(), existing, &first, &second);
  EXPECT_EQ(second.size(), 4u);
  EXPECT_THAT(partial, HasSubstr(std::string(":") + kSvc + " - [0:0]"));  // web: rewritten
  EXPECT_THAT(partial, HasSubstr("-X " + std::string(kSep1)));            // its old SEP goes
  EXPECT_THAT(partial, HasSubstr("-j DNAT --to-destination 10.244.1.3:8080"));
  EXPECT_THAT(partial, Not(HasSubstr("10.244.1.5")));              // api's chains: left as they are
  EXPECT_THAT(partial, HasSubstr("default/api:http cluster IP"));  // KUBE-SERVICES: always
  // Without `previous` (a full sync) everything is written again.
  EXPECT_THAT(renderIptables(changed, opts(), existing), HasSubstr("10.244.1.5"));
}

TEST(Render, CleanupDeletesOurJumpsThenEveryChainOfOurs) {
  std::string saved =
      "# Generated by iptables-save\n"
      "*nat\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:KUBE-SERVICES - [0:0]\n"
      ":KUBE-SVC-AAAAAAAAAAAAAAAA - [0:0]\n:CNI-HOSTPORT-DNAT - [0:0]\n"
      "-A PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES\n"
      "-A PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT\n"
      "-A KUBE-SERVICES -d 10.96.0.10/32 -p tcp -m tcp --dport 80 -j KUBE-SVC-AAAAAAAAAAAAAAAA\n"
      "COMMIT\n";
  EXPECT_EQ(renderCleanup(parseIptablesSave(saved)),
            "*nat\n"
            ":KUBE-SERVICES - [0:0]\n"
            ":KUBE-SVC-AAAAAAAAAAAAAAAA - [0:0]\n"
            "-D PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES\n"
            "-X KUBE-SERVICES\n"
            "-X KUBE-SVC-AAAAAAAAAAAAAAAA\n"
            "COMMIT\n");
  EXPECT_EQ(renderCleanup(parseIptablesSave("*nat\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n")), "");
}

TEST(Render, CountsRules) {
  std::string text = render({service("web", "10.96.0.10")}, {slice("web", {{"10.244.1.2"}})});
  EXPECT_EQ(countRules(text), 15);
}

TEST(Balance, ParsesTheTwoModes) {
  EXPECT_EQ(*parseBalance("random"), Balance::kRandom);
  EXPECT_EQ(*parseBalance("round-robin"), Balance::kRoundRobin);
  EXPECT_FALSE(parseBalance("roundrobin").isOk());
}

}  // namespace iptables_render_test
}  // namespace minik8s::proxy
