#include "node/cni_config.h"

#include <arpa/inet.h>

#include <charconv>
#include <nlohmann/json.hpp>

namespace minik8s::node {

namespace {

std::string formatIpv4(uint32_t addr) {
  return std::to_string(addr >> 24) + "." + std::to_string((addr >> 16) & 0xff) + "." +
         std::to_string((addr >> 8) & 0xff) + "." + std::to_string(addr & 0xff);
}

}  // namespace

std::string Ipv4Cidr::toString() const {
  return formatIpv4(network) + "/" + std::to_string(prefix);
}

std::string Ipv4Cidr::gateway() const { return formatIpv4(network + 1); }

Result<Ipv4Cidr> parseIpv4Cidr(const std::string& text) {
  auto slash = text.find('/');
  if (slash == std::string::npos) return invalid("CIDR \"" + text + "\" has no prefix length");
  std::string addr = text.substr(0, slash);
  std::string len = text.substr(slash + 1);
  in_addr a{};
  if (::inet_pton(AF_INET, addr.c_str(), &a) != 1) {
    return invalid("CIDR \"" + text + "\": bad IPv4 address");
  }
  int prefix = -1;
  auto [ptr, ec] = std::from_chars(len.data(), len.data() + len.size(), prefix);
  if (ec != std::errc() || ptr != len.data() + len.size() || len.empty()) {
    return invalid("CIDR \"" + text + "\": bad prefix length");
  }
  if (prefix < 8 || prefix > 30) {
    return invalid("CIDR \"" + text + "\": prefix length must be 8..30");
  }
  uint32_t host = ntohl(a.s_addr);
  uint32_t mask = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
  if ((host & ~mask) != 0) {
    return invalid("CIDR \"" + text + "\": host bits are set");
  }
  return Ipv4Cidr{host, prefix};
}

std::string cniConflistFileName(const CniOptions& options) {
  return "10-" + options.network_name + ".conflist";
}

Result<std::string> renderCniConflist(const CniOptions& options) {
  ASSIGN_OR_RETURN(Ipv4Cidr cidr, parseIpv4Cidr(options.pod_cidr));
  if (options.bridge.empty() || options.bridge.size() > 15 ||
      options.bridge.find_first_of("/ \t") != std::string::npos) {
    return invalid("bridge name \"" + options.bridge + "\" is not a valid interface name");
  }
  if (options.ipam_data_dir.empty()) return invalid("CNI: ipam_data_dir is required");
  if (options.network_name.empty()) return invalid("CNI: network_name is required");

  nlohmann::ordered_json range = {{"subnet", cidr.toString()}, {"gateway", cidr.gateway()}};
  nlohmann::ordered_json ipam = {
      {"type", "host-local"},
      {"ranges", nlohmann::ordered_json::array({nlohmann::ordered_json::array({range})})},
      {"routes", nlohmann::ordered_json::array({{{"dst", "0.0.0.0/0"}}})},
      {"dataDir", options.ipam_data_dir},
  };
  nlohmann::ordered_json bridge = {
      {"type", "bridge"},        {"bridge", options.bridge},   {"isGateway", true},
      {"ipMasq", options.ip_masq}, {"hairpinMode", options.hairpin}, {"ipam", ipam},
  };
  nlohmann::ordered_json plugins = nlohmann::ordered_json::array({bridge});
  if (options.port_map) {
    plugins.push_back({{"type", "portmap"}, {"capabilities", {{"portMappings", true}}}});
  }
  plugins.push_back({{"type", "loopback"}});
  nlohmann::ordered_json conf = {
      {"cniVersion", "1.0.0"},
      {"name", options.network_name},
      {"plugins", plugins},
  };
  return conf.dump(2) + "\n";
}

}  // namespace minik8s::node
