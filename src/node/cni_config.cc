#include "node/cni_config.h"

#include <nlohmann/json.hpp>

namespace minik8s::node {

Result<Ipv4Cidr> parseIpv4Cidr(const std::string& text) {
  return minik8s::parseIpv4Cidr(text, 8, 30);
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
  if (options.mtu != 0 && (options.mtu < 68 || options.mtu > 65535)) {
    return invalid("CNI: MTU " + std::to_string(options.mtu) + " is outside 68..65535");
  }

  nlohmann::ordered_json range = {{"subnet", cidr.toString()}, {"gateway", cidr.gateway()}};
  nlohmann::ordered_json ipam = {
      {"type", "host-local"},
      {"ranges", nlohmann::ordered_json::array({nlohmann::ordered_json::array({range})})},
      {"routes", nlohmann::ordered_json::array({{{"dst", "0.0.0.0/0"}}})},
      {"dataDir", options.ipam_data_dir},
  };
  nlohmann::ordered_json bridge = {
      {"type", "bridge"},          {"bridge", options.bridge},       {"isGateway", true},
      {"ipMasq", options.ip_masq}, {"hairpinMode", options.hairpin},
  };
  if (options.mtu != 0) bridge["mtu"] = options.mtu;
  bridge["ipam"] = ipam;
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
