#include "network/pod_masquerade.h"

#include <algorithm>
#include <sstream>

#include "common/ipv4.h"

namespace minik8s::network {

namespace {

constexpr char kJump[] = "-A POSTROUTING -j MINIK8S-POD-MASQ";

bool hasPrefix(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

// "-A POSTROUTING ... -j MINIK8S-POD-MASQ" lines of `existing`.
std::vector<std::string> masqJumps(const proxy::IptablesState& existing) {
  std::vector<std::string> out;
  auto it = existing.rules.find("nat");
  if (it == existing.rules.end()) return out;
  const std::string suffix = std::string(" -j ") + kPodMasqueradeChain;
  for (const std::string& line : it->second) {
    if (!hasPrefix(line, "-A POSTROUTING ")) continue;
    if (line.size() >= suffix.size() &&
        line.compare(line.size() - suffix.size(), suffix.size(), suffix) == 0) {
      out.push_back(line);
    }
  }
  return out;
}

std::vector<std::string> chainRules(const proxy::IptablesState& existing) {
  std::vector<std::string> out;
  auto it = existing.rules.find("nat");
  if (it == existing.rules.end()) return out;
  const std::string prefix = std::string("-A ") + kPodMasqueradeChain + " ";
  for (const std::string& line : it->second) {
    if (hasPrefix(line, prefix)) out.push_back(line);
  }
  return out;
}

bool hasChain(const proxy::IptablesState& existing) {
  auto it = existing.chains.find("nat");
  return it != existing.chains.end() && it->second.count(kPodMasqueradeChain) > 0;
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
  const std::vector<std::string> present = masqJumps(existing);
  if (hasChain(existing) && chainRules(existing) == rules && present.size() == 1 &&
      present.front() == kJump) {
    return std::string();
  }
  std::ostringstream out;
  out << "*nat\n:" << kPodMasqueradeChain << " - [0:0]\n";  // declared: flushed, or created
  for (const std::string& line : rules) out << line << "\n";
  // Exactly one plain jump: extra or altered ones go, a missing one is appended.
  bool kept = false;
  for (const std::string& line : present) {
    if (line == kJump && !kept) {
      kept = true;
      continue;
    }
    out << "-D" << line.substr(2) << "\n";
  }
  if (!kept) out << kJump << "\n";
  out << "COMMIT\n";
  return out.str();
}

std::string renderPodMasqueradeCleanup(const proxy::IptablesState& existing) {
  const std::vector<std::string> present = masqJumps(existing);
  const bool chain = hasChain(existing);
  if (!chain && present.empty()) return "";
  std::ostringstream out;
  out << "*nat\n";
  if (chain) out << ":" << kPodMasqueradeChain << " - [0:0]\n";
  for (const std::string& line : present) out << "-D" << line.substr(2) << "\n";
  if (chain) out << "-X " << kPodMasqueradeChain << "\n";
  out << "COMMIT\n";
  return out.str();
}

Status ensurePodMasquerade(proxy::Iptables& iptables, const PodMasquerade& masquerade) {
  ASSIGN_OR_RETURN(std::string nat, iptables.save("nat"));
  ASSIGN_OR_RETURN(std::string text,
                   renderPodMasquerade(masquerade, proxy::parseIptablesSave(nat)));
  if (text.empty()) return Status::ok();
  return iptables.restore(text).withContext("writing the pod masquerade rules");
}

Status removePodMasquerade(proxy::Iptables& iptables) {
  ASSIGN_OR_RETURN(std::string nat, iptables.save("nat"));
  std::string text = renderPodMasqueradeCleanup(proxy::parseIptablesSave(nat));
  if (text.empty()) return Status::ok();
  return iptables.restore(text).withContext("removing the pod masquerade rules");
}

}  // namespace minik8s::network
