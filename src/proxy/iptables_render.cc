#include "proxy/iptables_render.h"

#include <openssl/sha.h>

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace minik8s::proxy {
namespace {

constexpr char kServices[] = "KUBE-SERVICES";
constexpr char kExternalServices[] = "KUBE-EXTERNAL-SERVICES";
constexpr char kNodePorts[] = "KUBE-NODEPORTS";
constexpr char kPostrouting[] = "KUBE-POSTROUTING";
constexpr char kMarkMasq[] = "KUBE-MARK-MASQ";
constexpr char kForward[] = "KUBE-FORWARD";
constexpr char kFirewall[] = "KUBE-FIREWALL";

const std::vector<std::string>& fixedChains(const std::string& table) {
  static const std::vector<std::string> filter = {kServices, kExternalServices, kForward,
                                                  kFirewall};
  static const std::vector<std::string> nat = {kServices, kNodePorts, kPostrouting, kMarkMasq};
  static const std::vector<std::string> none;
  return table == "filter" ? filter : table == "nat" ? nat : none;
}

// A jump from a built-in chain to one of ours, inserted at the top when missing.
struct Jump {
  std::string table, chain, spec, target;
};
const std::vector<Jump>& jumps() {
  static const std::vector<Jump> all = {
      {"filter", "INPUT",
       "-m conntrack --ctstate NEW -m comment --comment \"kubernetes externally-visible service "
       "portals\"",
       kExternalServices},
      {"filter", "INPUT", "", kFirewall},
      {"filter", "FORWARD", "-m comment --comment \"kubernetes forwarding rules\"", kForward},
      {"filter", "FORWARD",
       "-m conntrack --ctstate NEW -m comment --comment \"kubernetes service portals\"", kServices},
      {"filter", "FORWARD",
       "-m conntrack --ctstate NEW -m comment --comment \"kubernetes externally-visible service "
       "portals\"",
       kExternalServices},
      {"filter", "OUTPUT",
       "-m conntrack --ctstate NEW -m comment --comment \"kubernetes service portals\"", kServices},
      {"filter", "OUTPUT", "", kFirewall},
      {"nat", "PREROUTING", "-m comment --comment \"kubernetes service portals\"", kServices},
      {"nat", "OUTPUT", "-m comment --comment \"kubernetes service portals\"", kServices},
      {"nat", "POSTROUTING", "-m comment --comment \"kubernetes postrouting rules\"", kPostrouting},
  };
  return all;
}

bool startsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}
bool endsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// "-A CHAIN ..." → "CHAIN".
std::string chainOfRule(const std::string& line) {
  size_t end = line.find(' ', 3);
  return line.substr(3, end == std::string::npos ? std::string::npos : end - 3);
}

std::string hash16(const std::string& input) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (int i = 0; i < SHA256_DIGEST_LENGTH && out.size() < 16; ++i) {
    buffer = (buffer << 8) | digest[i];
    bits += 8;
    while (bits >= 5 && out.size() < 16) {
      out += kAlphabet[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string comment(const std::string& text) {
  return "-m comment --comment \"" + text + "\"";
}

// "-p tcp -m tcp" (and the same for udp, sctp).
std::string protoMatch(const ServicePortInfo& port) {
  std::string p = lower(port.protocol);
  return "-p " + p + " -m " + p;
}

// REJECT answers at once: TCP with a reset, everything else with icmp-port-unreachable.
// (kube-proxy sends ICMP for TCP too; a client on the node itself then waits for its SYN
// retransmit, about 1 s, because Linux takes an ICMP error that arrives while connect()
// still holds the socket as a soft error. A reset goes through the socket backlog and fails
// connect() with ECONNREFUSED at once, from the node and from pods alike.)
std::string reject(const std::string& protocol = "") {
  if (protocol == "TCP") return "-j REJECT --reject-with tcp-reset";
  return "-j REJECT --reject-with icmp-port-unreachable";
}

class Builder {
 public:
  Builder(const RenderOptions& options) : options_(options) {}

  void declare(const std::string& table, const std::string& chain) {
    auto& declared = chains_[table];
    if (std::find(declared.begin(), declared.end(), chain) == declared.end())
      declared.push_back(chain);
  }
  void rule(const std::string& table, const std::string& chain, const std::string& spec) {
    rules_[table].push_back("-A " + chain + " " + spec);
  }

  void addServicePort(const ServicePortInfo& sp);
  std::string finish(const IptablesState& existing, const ChainContents* previous,
                     ChainContents* written);

 private:
  void endpointRules(const ServicePortInfo& sp, const std::string& chain,
                     const std::vector<ProxyEndpoint>& endpoints, bool internal_target);

  const RenderOptions& options_;
  std::map<std::string, std::vector<std::string>> chains_;  // table → chains, declared order
  std::map<std::string, std::vector<std::string>> rules_;   // table → "-A ..." lines
  std::vector<std::string> nodeport_rules_;                 // nat KUBE-NODEPORTS, kept apart
};

void Builder::endpointRules(const ServicePortInfo& sp, const std::string& chain,
                            const std::vector<ProxyEndpoint>& endpoints, bool internal_target) {
  const std::string name = sp.servicePortName();
  declare("nat", chain);
  if (internal_target && (options_.masquerade_all || !options_.cluster_cidr.empty())) {
    std::string source = options_.masquerade_all ? "" : "! -s " + options_.cluster_cidr + " ";
    rule("nat", chain,
         comment(name + " cluster IP") + " " + protoMatch(sp) + " -d " + sp.cluster_ip +
             "/32 --dport " + std::to_string(sp.port) + " " + source + "-j " + kMarkMasq);
  }
  if (sp.affinity_seconds > 0) {
    for (const auto& ep : endpoints) {
      std::string sep = endpointChainName(sp, ep);
      rule("nat", chain,
           comment(name + " -> " + ep.address()) + " -m recent --name " + sep +
               " --rcheck --seconds " + std::to_string(sp.affinity_seconds) + " --reap -j " + sep);
    }
  }
  const size_t n = endpoints.size();
  for (size_t i = 0; i < n; ++i) {
    std::string sep = endpointChainName(sp, endpoints[i]);
    std::string spec = comment(name + " -> " + endpoints[i].address());
    if (i + 1 < n) {
      if (options_.balance == Balance::kRoundRobin) {
        spec += " -m statistic --mode nth --every " + std::to_string(n - i) + " --packet 0";
      } else {
        char probability[32];
        std::snprintf(probability, sizeof probability, "%0.10f", 1.0 / static_cast<double>(n - i));
        spec += std::string(" -m statistic --mode random --probability ") + probability;
      }
    }
    rule("nat", chain, spec + " -j " + sep);
  }
}

void Builder::addServicePort(const ServicePortInfo& sp) {
  const std::string name = sp.servicePortName();
  const std::string svc = serviceChainName("KUBE-SVC-", sp);
  const std::string svl = serviceChainName("KUBE-SVL-", sp);
  const std::string ext = serviceChainName("KUBE-EXT-", sp);
  const std::string dport = " --dport " + std::to_string(sp.port);
  CategorizedEndpoints eps = categorizeEndpoints(sp.endpoints, options_.node_name);
  const auto& internal = sp.internal_local ? eps.local : eps.cluster;
  const auto& external = sp.external_local ? eps.local : eps.cluster;

  // Where traffic without a usable endpoint goes: REJECT when the port has none at all,
  // DROP when it has some but none here under a Local policy (as kube-proxy).
  auto noEndpointTarget = [&](std::string* text) {
    if (eps.cluster.empty()) {
      *text = name + " has no endpoints";
      return reject(sp.protocol);
    }
    *text = name + " has no local endpoints";
    return std::string("-j DROP");
  };

  // Cluster IP.
  if (internal.empty()) {
    std::string text;
    std::string target = noEndpointTarget(&text);
    rule("filter", kServices,
         comment(text) + " " + protoMatch(sp) + " -d " + sp.cluster_ip + "/32" + dport + " " +
             target);
  } else {
    rule("nat", kServices,
         comment(name + " cluster IP") + " " + protoMatch(sp) + " -d " + sp.cluster_ip + "/32" +
             dport + " -j " + (sp.internal_local ? svl : svc));
  }

  // NodePort and external IPs.
  if (sp.hasExternal()) {
    if (external.empty()) {
      std::string text;
      std::string target = noEndpointTarget(&text);
      for (const auto& ip : sp.external_ips) {
        rule("filter", kExternalServices,
             comment(text) + " " + protoMatch(sp) + " -d " + ip + "/32" + dport + " " + target);
      }
      if (sp.node_port > 0) {
        rule("filter", kExternalServices,
             comment(text) + " -m addrtype --dst-type LOCAL " + protoMatch(sp) + " --dport " +
                 std::to_string(sp.node_port) + " " + target);
      }
    } else {
      for (const auto& ip : sp.external_ips) {
        rule("nat", kServices,
             comment(name + " external IP") + " " + protoMatch(sp) + " -d " + ip + "/32" + dport +
                 " -j " + ext);
      }
      if (sp.node_port > 0) {
        nodeport_rules_.push_back(comment(name) + " " + protoMatch(sp) + " --dport " +
                                  std::to_string(sp.node_port) + " -j " + ext);
      }
      declare("nat", ext);
      if (!sp.external_local) {
        rule("nat", ext,
             comment("masquerade traffic for " + name + " external destinations") + " -j " +
                 kMarkMasq);
        rule("nat", ext, "-j " + svc);
      } else {
        if (!eps.cluster.empty()) {
          if (!options_.cluster_cidr.empty()) {
            rule("nat", ext,
                 comment("pod traffic for " + name + " external destinations") + " -s " +
                     options_.cluster_cidr + " -j " + svc);
          }
          rule("nat", ext,
               comment("masquerade LOCAL traffic for " + name + " external destinations") +
                   " -m addrtype --src-type LOCAL -j " + kMarkMasq);
          rule("nat", ext,
               comment("route LOCAL traffic for " + name + " external destinations") +
                   " -m addrtype --src-type LOCAL -j " + svc);
        }
        rule("nat", ext, "-j " + svl);
      }
    }
  }

  // The policy chains and the endpoint chains they use.
  bool use_svc = !eps.cluster.empty() && ((!sp.internal_local && !internal.empty()) ||
                                          (sp.hasExternal() && !external.empty()));
  bool use_svl =
      !eps.local.empty() && ((sp.internal_local && !internal.empty()) ||
                             (sp.hasExternal() && sp.external_local && !external.empty()));
  std::set<std::string> seps;
  if (use_svc) {
    endpointRules(sp, svc, eps.cluster, !sp.internal_local);
    for (const auto& ep : eps.cluster) seps.insert(ep.address());
  }
  if (use_svl) {
    endpointRules(sp, svl, eps.local, sp.internal_local);
    for (const auto& ep : eps.local) seps.insert(ep.address());
  }
  for (const auto& ep : sp.endpoints) {
    if (!seps.count(ep.address())) continue;
    std::string sep = endpointChainName(sp, ep);
    declare("nat", sep);
    rule("nat", sep, comment(name) + " -s " + ep.ip + "/32 -j " + kMarkMasq);
    std::string affinity =
        sp.affinity_seconds > 0 ? " -m recent --name " + sep + " --set" : std::string();
    rule("nat", sep,
         comment(name) + affinity + " " + protoMatch(sp) + " -j DNAT --to-destination " +
             ep.address());
  }
}

std::string Builder::finish(const IptablesState& existing, const ChainContents* previous,
                            ChainContents* written) {
  // Fixed rules.
  rule("nat", kPostrouting,
       std::string("-m mark ! --mark ") + kMasqueradeMark + "/" + kMasqueradeMark + " -j RETURN");
  rule("nat", kPostrouting, std::string("-j MARK --xor-mark ") + kMasqueradeMark);
  rule("nat", kPostrouting,
       comment("kubernetes service traffic requiring SNAT") + " -j MASQUERADE --random-fully");
  rule("nat", kMarkMasq, std::string("-j MARK --or-mark ") + kMasqueradeMark);
  for (const auto& spec : nodeport_rules_) rule("nat", kNodePorts, spec);
  std::string nodeports_comment =
      comment("kubernetes service nodeports; NOTE: this must be the last rule in this chain");
  if (options_.node_port_addresses.empty()) {
    rule("nat", kServices,
         nodeports_comment + " -m addrtype --dst-type LOCAL -j " + std::string(kNodePorts));
  } else {
    std::vector<std::string> addresses = options_.node_port_addresses;
    if (options_.localhost_node_ports) addresses.push_back("127.0.0.1");
    for (const auto& ip : addresses) {
      rule("nat", kServices, nodeports_comment + " -d " + ip + "/32 -j " + kNodePorts);
    }
  }
  rule("filter", kServices,
       comment("reject traffic to unallocated ClusterIPs") + " -p tcp -m tcp -d " +
           options_.service_cidr + " " + reject("TCP"));
  rule("filter", kServices,
       comment("reject traffic to unallocated ClusterIPs") + " -d " + options_.service_cidr + " " +
           reject());
  rule("filter", kForward, "-m conntrack --ctstate INVALID -j DROP");
  rule("filter", kForward,
       comment("kubernetes forwarding rules") + " -m mark --mark " + kMasqueradeMark + "/" +
           kMasqueradeMark + " -j ACCEPT");
  rule("filter", kForward,
       comment("kubernetes forwarding conntrack rule") +
           " -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT");
  if (options_.localhost_node_ports) {
    rule("filter", kFirewall,
         "! -s 127.0.0.0/8 -d 127.0.0.0/8 " + comment("block incoming localnet connections") +
             " -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP");
  }

  std::ostringstream out;
  for (const std::string table : {"filter", "nat"}) {
    std::vector<std::string> declared = fixedChains(table);
    for (const auto& chain : chains_[table]) {
      if (std::find(declared.begin(), declared.end(), chain) == declared.end())
        declared.push_back(chain);
    }
    std::vector<std::string> stale;
    if (auto it = existing.chains.find(table); it != existing.chains.end()) {
      for (const auto& chain : it->second) {
        if (isOwnChain(table, chain) &&
            std::find(declared.begin(), declared.end(), chain) == declared.end())
          stale.push_back(chain);
      }
    }
    // The rules of each per-service chain; with `previous`, chains that exist and would get
    // exactly what they were last given are left out (kube-proxy's partial sync).
    std::map<std::string, std::string> content;
    for (const auto& line : rules_[table]) content[chainOfRule(line)] += line + "\n";
    std::set<std::string> skipped;
    if (table == "nat") {
      const auto& fixed = fixedChains(table);
      auto have = existing.chains.find(table);
      for (const auto& chain : declared) {
        if (std::find(fixed.begin(), fixed.end(), chain) != fixed.end()) continue;
        if (written) (*written)[chain] = content[chain];
        if (!previous || have == existing.chains.end() || !have->second.count(chain)) continue;
        auto before = previous->find(chain);
        if (before != previous->end() && before->second == content[chain]) skipped.insert(chain);
      }
    }
    out << "*" << table << "\n";
    for (const auto& chain : declared) {
      if (!skipped.count(chain)) out << ":" << chain << " - [0:0]\n";
    }
    for (const auto& chain : stale) out << ":" << chain << " - [0:0]\n";
    // Missing jumps, inserted at the top in reverse so that they end up in list order.
    const auto& present =
        existing.rules.count(table) ? existing.rules.at(table) : std::vector<std::string>{};
    std::vector<const Jump*> missing;
    for (const Jump& jump : jumps()) {
      if (jump.table != table) continue;
      bool found = std::any_of(present.begin(), present.end(), [&](const std::string& line) {
        return startsWith(line, "-A " + jump.chain + " ") && endsWith(line, "-j " + jump.target);
      });
      if (!found) missing.push_back(&jump);
    }
    for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
      const Jump& jump = **it;
      out << "-I " << jump.chain << " 1 " << (jump.spec.empty() ? "" : jump.spec + " ") << "-j "
          << jump.target << "\n";
    }
    for (const auto& line : rules_[table]) {
      if (skipped.empty() || !skipped.count(chainOfRule(line))) out << line << "\n";
    }
    for (const auto& chain : stale) out << "-X " << chain << "\n";
    out << "COMMIT\n";
  }
  return out.str();
}

}  // namespace

Result<Balance> parseBalance(std::string_view text) {
  if (text == "random") return Balance::kRandom;
  if (text == "round-robin") return Balance::kRoundRobin;
  return invalid("balance must be random or round-robin, not \"" + std::string(text) + "\"");
}

IptablesState parseIptablesSave(std::string_view text) {
  IptablesState state;
  std::string table;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == '*') {
      table = std::string(line.substr(1));
      state.chains[table];
    } else if (line[0] == ':') {
      size_t space = line.find(' ');
      state.chains[table].insert(std::string(line.substr(1, space - 1)));
    } else if (startsWith(line, "-A ")) {
      state.rules[table].push_back(std::string(line));
    }
  }
  return state;
}

std::string serviceChainName(const std::string& prefix, const ServicePortInfo& port) {
  return prefix + hash16(port.servicePortName() + lower(port.protocol));
}

std::string endpointChainName(const ServicePortInfo& port, const ProxyEndpoint& endpoint) {
  return "KUBE-SEP-" + hash16(port.servicePortName() + lower(port.protocol) + endpoint.address());
}

bool isOwnChain(const std::string& table, const std::string& chain) {
  const auto& fixed = fixedChains(table);
  if (std::find(fixed.begin(), fixed.end(), chain) != fixed.end()) return true;
  if (table != "nat") return false;
  for (const char* prefix : {"KUBE-SVC-", "KUBE-SVL-", "KUBE-EXT-", "KUBE-SEP-"}) {
    if (startsWith(chain, prefix)) return true;
  }
  return false;
}

std::string renderIptables(const std::vector<ServicePortInfo>& ports, const RenderOptions& options,
                           const IptablesState& existing, const ChainContents* previous,
                           ChainContents* written) {
  Builder builder(options);
  for (const auto& sp : ports) builder.addServicePort(sp);
  return builder.finish(existing, previous, written);
}

std::string renderCleanup(const IptablesState& existing) {
  std::ostringstream out;
  bool any = false;
  for (const auto& [table, chains] : existing.chains) {
    std::vector<std::string> own;
    for (const auto& chain : chains) {
      if (isOwnChain(table, chain)) own.push_back(chain);
    }
    std::vector<std::string> deletes;
    if (auto it = existing.rules.find(table); it != existing.rules.end()) {
      for (const auto& line : it->second) {
        // "-A CHAIN ... -j TARGET" in a chain not ours that jumps to one of ours.
        size_t space = line.find(' ', 3);
        std::string chain = line.substr(3, space - 3);
        size_t j = line.rfind(" -j ");
        if (j == std::string::npos || isOwnChain(table, chain)) continue;
        std::string target = line.substr(j + 4);
        target = target.substr(0, target.find(' '));
        if (isOwnChain(table, target)) deletes.push_back("-D" + line.substr(2));
      }
    }
    if (own.empty() && deletes.empty()) continue;
    any = true;
    out << "*" << table << "\n";
    for (const auto& chain : own) out << ":" << chain << " - [0:0]\n";
    for (const auto& line : deletes) out << line << "\n";
    for (const auto& chain : own) out << "-X " << chain << "\n";
    out << "COMMIT\n";
  }
  return any ? out.str() : std::string();
}

int countRules(std::string_view restore_text) {
  int n = 0;
  size_t pos = 0;
  while ((pos = restore_text.find("\n-A ", pos)) != std::string_view::npos) {
    ++n;
    ++pos;
  }
  if (startsWith(restore_text, "-A ")) ++n;
  return n;
}

}  // namespace minik8s::proxy
