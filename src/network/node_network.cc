#include "network/node_network.h"

#include <cctype>
#include <nlohmann/json.hpp>

#include "api/types_core.h"

namespace minik8s::network {

namespace {

// The VtepMAC of flannel's backend-data annotation, or "".
std::string flannelVtepMac(const std::string& backend_data) {
  auto data = nlohmann::json::parse(backend_data, nullptr, /*allow_exceptions=*/false);
  if (!data.is_object()) return "";
  auto it = data.find("VtepMAC");
  if (it == data.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

std::string vtepMacOf(const std::string* own, const std::string* flannel) {
  if (own != nullptr) {
    std::string mac = normalizeMac(*own);
    if (!mac.empty()) return mac;
  }
  if (flannel != nullptr) return normalizeMac(flannelVtepMac(*flannel));
  return "";
}

const std::string* stringAt(const nlohmann::json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return nullptr;
  return it->get_ptr<const std::string*>();
}

}  // namespace

std::string normalizeMac(std::string_view text) {
  if (text.size() != 17) return "";
  std::string out(text);
  for (size_t i = 0; i < out.size(); ++i) {
    if (i % 3 == 2) {
      if (out[i] != ':') return "";
    } else {
      if (!std::isxdigit(static_cast<unsigned char>(out[i]))) return "";
      out[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(out[i])));
    }
  }
  return out;
}

NodeNetwork fromNode(const nlohmann::json& node) {
  NodeNetwork out;
  static const nlohmann::json kNull;
  auto at = [](const nlohmann::json& j, std::string_view key) -> const nlohmann::json& {
    if (!j.is_object()) return kNull;
    auto it = j.find(key);
    return it == j.end() ? kNull : *it;
  };
  const nlohmann::json& metadata = at(node, "metadata");
  if (const std::string* name = stringAt(metadata, "name")) out.name = *name;
  if (const std::string* cidr = stringAt(at(node, "spec"), "podCIDR")) out.pod_cidr = *cidr;
  const nlohmann::json& addresses = at(at(node, "status"), "addresses");
  if (addresses.is_array()) {
    for (const nlohmann::json& a : addresses) {
      const std::string* type = stringAt(a, "type");
      const std::string* address = stringAt(a, "address");
      if (type != nullptr && address != nullptr && *type == "InternalIP") {
        out.node_ip = *address;
        break;
      }
    }
  }
  const nlohmann::json& annotations = at(metadata, "annotations");
  out.vtep_mac = vtepMacOf(stringAt(annotations, kVtepMacAnnotation),
                           stringAt(annotations, kFlannelBackendDataAnnotation));
  return out;
}

NodeNetwork fromNode(const api::Node& node) {
  NodeNetwork out;
  out.name = node.metadata.name;
  out.pod_cidr = node.spec.pod_cidr;
  for (const api::NodeAddress& a : node.status.addresses) {
    if (a.type == "InternalIP") {
      out.node_ip = a.address;
      break;
    }
  }
  const auto& annotations = node.metadata.annotations;
  auto find = [&](std::string_view key) -> const std::string* {
    auto it = annotations.find(std::string(key));
    return it == annotations.end() ? nullptr : &it->second;
  };
  out.vtep_mac = vtepMacOf(find(kVtepMacAnnotation), find(kFlannelBackendDataAnnotation));
  return out;
}

}  // namespace minik8s::network
