#include "network/pod_masquerade.h"

#include <sstream>

#include "common/ipv4.h"

namespace minik8s::network {

namespace {

// A chain of ours in `table`, jumped to once (appended) from the built-in chain `from`.
struct OwnChain {
  std::string table;
  std::string from;
  std::string name;

  std::string jump() const { return "-A " + from + " -j " + name; }
};

const OwnChain kMasqChain{"nat", "POSTROUTING", kPodMasqueradeChain};
const OwnChain kForwardChain{"filter", "FORWARD", kPodForwardChain};

bool hasPrefix(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

const std::vector<std::string>& tableRules(const proxy::IptablesState& existing,
                                           const std::string& table) {
  static const std::vector<std::string> kNone;
  auto it = existing.rules.find(table);
  return it == existing.rules.end() ? kNone : it->second;
}

// "-A <from> ... -j <name>" lines of `existing`.
std::vector<std::string> jumps(const OwnChain& chain, const proxy::IptablesState& existing) {
  std::vector<std::string> out;
  const std::string suffix = " -j " + chain.name;
  for (const std::string& line : tableRules(existing, chain.table)) {
    if (!hasPrefix(line, "-A " + chain.from + " ")) continue;
    if (line.size() >= suffix.size() &&
        line.compare(line.size() - suffix.size(), suffix.size(), suffix) == 0) {
      out.push_back(line);
    }
  }
  return out;
}

std::vector<std::string> chainRules(const OwnChain& chain, const proxy::IptablesState& existing) {
  std::vector<std::string> out;
  for (const std::string& line : tableRules(existing, chain.table)) {
    if (hasPrefix(line, "-A " + chain.name + " ")) out.push_back(line);
  }
  return out;
}

bool hasChain(const OwnChain& chain, const proxy::IptablesState& existing) {
  auto it = existing.chains.find(chain.table);
  return it != existing.chains.end() && it->second.count(chain.name) > 0;
}

// The restore transaction that makes `existing` hold `chain` with exactly `rules` and one
// plain jump to it; "" when it already does.
std::string renderChain(const OwnChain& chain, const std::vector<std::string>& rules,
                        const proxy::IptablesState& existing) {
  const std::vector<std::string> present = jumps(chain, existing);
  if (hasChain(chain, existing) && chainRules(chain, existing) == rules && present.size() == 1 &&
      present.front() == chain.jump()) {
    return std::string();
  }
  std::ostringstream out;
  out << "*" << chain.table << "\n:" << chain.name << " - [0:0]\n";  // flushed, or created
  for (const std::string& line : rules) out << line << "\n";
  // Exactly one plain jump: extra or altered ones go, a missing one is appended.
  bool kept = false;
  for (const std::string& line : present) {
    if (line == chain.jump() && !kept) {
      kept = true;
      continue;
    }
    out << "-D" << line.substr(2) << "\n";
  }
  if (!kept) out << chain.jump() << "\n";
  out << "COMMIT\n";
  return out.str();
}

// Deletes the jumps to `chain`, then flushes and deletes it; "" when there is none.
std::string renderChainCleanup(const OwnChain& chain, const proxy::IptablesState& existing) {
  const std::vector<std::string> present = jumps(chain, existing);
  const bool have = hasChain(chain, existing);
  if (!have && present.empty()) return "";
  std::ostringstream out;
  out << "*" << chain.table << "\n";
  if (have) out << ":" << chain.name << " - [0:0]\n";
  for (const std::string& line : present) out << "-D" << line.substr(2) << "\n";
  if (have) out << "-X " << chain.name << "\n";
  out << "COMMIT\n";
  return out.str();
}

// iptables-save -t <table> → render → iptables-restore when needed.
template <typename Render>
Status apply(proxy::Iptables& iptables, const std::string& table, Render render,
             const std::string& what) {
  ASSIGN_OR_RETURN(std::string saved, iptables.save(table));
  ASSIGN_OR_RETURN(std::string text, render(proxy::parseIptablesSave(saved)));
  if (text.empty()) return Status::ok();
  return iptables.restore(text).withContext(what);
}

}  // namespace

Result<std::vector<std::string>> podMasqueradeRules(const PodMasquerade& masquerade) {
  // Canonical text, as iptables-save prints it back (so that a re-check compares equal).
  ASSIGN_OR_RETURN(Ipv4Cidr pod, parseIpv4Cidr(masquerade.pod_cidr, 1, 32));
  ASSIGN_OR_RETURN(Ipv4Cidr cluster, parseIpv4Cidr(masquerade.cluster_cidr, 1, 32));
  const std::string chain = std::string("-A ") + kPodMasqueradeChain + " -s " + pod.toString();
  return std::vector<std::string>{chain + " -d " + cluster.toString() + " -j RETURN",
                                  chain + " -d 224.0.0.0/4 -j RETURN",
                                  chain + " -j MASQUERADE"};
}

Result<std::string> renderPodMasquerade(const PodMasquerade& masquerade,
                                        const proxy::IptablesState& existing) {
  ASSIGN_OR_RETURN(std::vector<std::string> rules, podMasqueradeRules(masquerade));
  return renderChain(kMasqChain, rules, existing);
}

std::string renderPodMasqueradeCleanup(const proxy::IptablesState& existing) {
  return renderChainCleanup(kMasqChain, existing);
}

Status ensurePodMasquerade(proxy::Iptables& iptables, const PodMasquerade& masquerade) {
  return apply(
      iptables, "nat",
      [&](const proxy::IptablesState& s) { return renderPodMasquerade(masquerade, s); },
      "writing the pod masquerade rules");
}

Status removePodMasquerade(proxy::Iptables& iptables) {
  return apply(
      iptables, "nat",
      [](const proxy::IptablesState& s) -> Result<std::string> {
        return renderPodMasqueradeCleanup(s);
      },
      "removing the pod masquerade rules");
}

Result<std::vector<std::string>> podForwardRules(const std::string& cluster_cidr) {
  ASSIGN_OR_RETURN(Ipv4Cidr cluster, parseIpv4Cidr(cluster_cidr, 1, 32));
  const std::string chain = std::string("-A ") + kPodForwardChain;
  return std::vector<std::string>{chain + " -s " + cluster.toString() + " -j ACCEPT",
                                  chain + " -d " + cluster.toString() + " -j ACCEPT"};
}

Result<std::string> renderPodForward(const std::string& cluster_cidr,
                                     const proxy::IptablesState& existing) {
  ASSIGN_OR_RETURN(std::vector<std::string> rules, podForwardRules(cluster_cidr));
  return renderChain(kForwardChain, rules, existing);
}

std::string renderPodForwardCleanup(const proxy::IptablesState& existing) {
  return renderChainCleanup(kForwardChain, existing);
}

Status ensurePodForward(proxy::Iptables& iptables, const std::string& cluster_cidr) {
  return apply(
      iptables, "filter",
      [&](const proxy::IptablesState& s) { return renderPodForward(cluster_cidr, s); },
      "writing the pod forward rules");
}

Status removePodForward(proxy::Iptables& iptables) {
  return apply(
      iptables, "filter",
      [](const proxy::IptablesState& s) -> Result<std::string> {
        return renderPodForwardCleanup(s);
      },
      "removing the pod forward rules");
}

}  // namespace minik8s::network
