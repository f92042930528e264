#include "apiserver/authorization.h"

#include <nlohmann/json.hpp>
#include <string_view>

namespace minik8s::apiserver {

namespace {

constexpr std::string_view kLeaseNamespace = "kube-node-lease";
constexpr std::string_view kDnsNamespace = "kube-system";

Decision allow() {
  return {true, ""};
}
Decision deny(std::string reason = "") {
  return {false, std::move(reason)};
}

bool isRead(const std::string& verb) {
  return verb == "get" || verb == "list" || verb == "watch";
}
bool isWrite(const std::string& verb) {
  return verb == "create" || verb == "update" || verb == "patch";
}

bool is(const Attributes& a, std::string_view group, std::string_view resource,
        std::string_view subresource = "") {
  return a.group == group && a.resource == resource && a.subresource == subresource;
}

// Secrets, ConfigMaps and claims reach a node only through the pods bound to it.
bool isPodScopedObject(const Attributes& a) {
  return a.group.empty() && a.subresource.empty() &&
         (a.resource == "secrets" || a.resource == "configmaps" ||
          a.resource == "persistentvolumeclaims");
}

Decision authorizeNodeOnPod(const Attributes& a, const std::string& node,
                            const AuthorizationFacts& facts) {
  bool status = a.subresource == "status" && (a.verb == "update" || a.verb == "patch");
  bool removal = a.subresource.empty() && a.verb == "delete";
  bool eviction = a.subresource == "eviction" && a.verb == "create";
  if (!status && !removal && !eviction) {
    return deny("node \"" + node +
                "\" can only update the status of, evict or delete pods bound to it");
  }
  std::optional<std::string> bound =
      facts.pod_node ? facts.pod_node(a.namespace_, a.name) : std::nullopt;
  // A pod that is gone is for the handler to report (404), not a reason to refuse.
  if (!bound) return allow();
  if (*bound != node) {
    return deny("node \"" + node + "\" cannot change a pod bound to " +
                (bound->empty() ? std::string("no node") : "node \"" + *bound + "\""));
  }
  return allow();
}

Decision authorizeNode(const Attributes& a, const AuthorizationFacts& facts) {
  const std::string& user = a.user.name;
  if (user.rfind(kNodeUserPrefix, 0) != 0 ||
      user.size() == std::string_view(kNodeUserPrefix).size()) {
    return deny("a member of system:nodes must be named system:node:<node name>");
  }
  const std::string node = user.substr(std::string_view(kNodeUserPrefix).size());
  if (!a.resource_request) return a.verb == "get" ? allow() : deny();

  if (isPodScopedObject(a)) {
    // A list or watch names its object through a metadata.name field selector
    // (RequestInfo); without one it would read them all.
    if (!isRead(a.verb) || a.name.empty()) {
      return deny("node \"" + node + "\" can only get individual " + a.resource);
    }
    if (a.namespace_.empty()) return deny("can only read namespaced object of this type");
    bool used = facts.used_by_pod_on_node &&
                facts.used_by_pod_on_node(node, a.namespace_, a.resource, a.name);
    if (!used) {
      return deny("no relationship found between node \"" + node + "\" and this object");
    }
    return allow();
  }
  if (isRead(a.verb)) return allow();

  if (is(a, "", "nodes") || is(a, "", "nodes", "status")) {
    if (a.name != node)
      return deny("node \"" + node + "\" is not allowed to modify node \"" + a.name + "\"");
    return isWrite(a.verb) || a.verb == "delete" ? allow() : deny();
  }
  if (is(a, "coordination.k8s.io", "leases")) {
    if (a.namespace_ != kLeaseNamespace || a.name != node) {
      return deny("can only access node lease with the same name as the requesting node");
    }
    return isWrite(a.verb) || a.verb == "delete" ? allow() : deny();
  }
  if (a.group.empty() && a.resource == "pods") return authorizeNodeOnPod(a, node, facts);
  if ((is(a, "", "events") || is(a, "events.k8s.io", "events")) && isWrite(a.verb)) return allow();
  if (is(a, "certificates.k8s.io", "certificatesigningrequests") && a.verb == "create") {
    return allow();
  }
  if (is(a, "discovery.k8s.io", "endpointslices") && a.namespace_ == kDnsNamespace &&
      a.name == "kube-dns-" + node && (isWrite(a.verb) || a.verb == "delete")) {
    return allow();
  }
  if (is(a, "", "services") && a.namespace_ == kDnsNamespace && a.name == "kube-dns" &&
      a.verb == "create") {
    return allow();
  }
  return deny();
}

Decision authorizeBootstrapper(const Attributes& a) {
  if (!a.resource_request) return a.verb == "get" ? allow() : deny();
  if (is(a, "certificates.k8s.io", "certificatesigningrequests") &&
      (a.verb == "create" || isRead(a.verb))) {
    return allow();
  }
  return deny();
}

}  // namespace

bool podUses(const nlohmann::json& pod, const std::string& resource, const std::string& name) {
  using nlohmann::json;
  auto field = [](const json& object, const char* key) -> const json& {
    static const json kNull;
    if (!object.is_object()) return kNull;
    auto it = object.find(key);
    return it == object.end() ? kNull : *it;
  };
  auto names = [&](const json& ref, const char* key) {
    const json& v = field(ref, key);
    return v.is_string() && v.get_ref<const std::string&>() == name;
  };
  const json& spec = field(pod, "spec");
  const bool secrets = resource == "secrets";
  const bool config_maps = resource == "configmaps";
  auto volumeUses = [&](const json& volume) {
    if (secrets && names(field(volume, "secret"), "secretName")) return true;
    if (config_maps && names(field(volume, "configMap"), "name")) return true;
    if (resource == "persistentvolumeclaims" &&
        names(field(volume, "persistentVolumeClaim"), "claimName")) {
      return true;
    }
    const json& sources = field(field(volume, "projected"), "sources");
    if (sources.is_array()) {
      for (const auto& source : sources) {
        if (secrets && names(field(source, "secret"), "name")) return true;
        if (config_maps && names(field(source, "configMap"), "name")) return true;
      }
    }
    return false;
  };
  auto containerUses = [&](const json& container) {
    const char* key_ref = secrets ? "secretKeyRef" : "configMapKeyRef";
    const char* env_from_ref = secrets ? "secretRef" : "configMapRef";
    if (const json& env = field(container, "env"); env.is_array()) {
      for (const auto& var : env) {
        if (names(field(field(var, "valueFrom"), key_ref), "name")) return true;
      }
    }
    if (const json& env_from = field(container, "envFrom"); env_from.is_array()) {
      for (const auto& source : env_from) {
        if (names(field(source, env_from_ref), "name")) return true;
      }
    }
    return false;
  };
  if (const json& volumes = field(spec, "volumes"); volumes.is_array()) {
    for (const auto& volume : volumes) {
      if (volumeUses(volume)) return true;
    }
  }
  if (secrets || config_maps) {
    for (const char* list : {"containers", "initContainers", "ephemeralContainers"}) {
      if (const json& containers = field(spec, list); containers.is_array()) {
        for (const auto& container : containers) {
          if (containerUses(container)) return true;
        }
      }
    }
  }
  if (secrets) {
    if (const json& pull = field(spec, "imagePullSecrets"); pull.is_array()) {
      for (const auto& ref : pull) {
        if (names(ref, "name")) return true;
      }
    }
  }
  return false;
}

bool needsNameOfCreate(const Attributes& a) {
  if (a.verb != "create" || !a.name.empty() || !a.subresource.empty()) return false;
  if (!a.user.inGroup(kNodesGroup) || a.user.inGroup(kMastersGroup)) return false;
  return is(a, "", "nodes") || is(a, "coordination.k8s.io", "leases") ||
         is(a, "discovery.k8s.io", "endpointslices") || is(a, "", "services");
}

Decision authorize(const Attributes& a, const AuthorizationFacts& facts) {
  const UserInfo& user = a.user;
  if (user.inGroup(kMastersGroup)) return allow();
  if (user.anonymous()) {
    if (a.resource_request) {
      // kubeadm's Role in kube-public: system:anonymous may get configmaps/cluster-info.
      return a.verb == "get" && is(a, "", "configmaps") && a.subresource.empty() &&
                     a.namespace_ == "kube-public" && a.name == "cluster-info"
                 ? allow()
                 : deny();
    }
    if (a.path == kClusterInfoPath) return deny();  // only as the resource request above
    return a.verb == "get" && anonymousMayRequest(a.path) ? allow() : deny();
  }
  // Kubernetes' system:basic-user: every authenticated user may ask who it is and what it
  // may do (`kubectl auth whoami`, `kubectl auth can-i`).
  if (a.resource_request && a.verb == "create" && a.subresource.empty() &&
      (is(a, "authorization.k8s.io", "selfsubjectaccessreviews") ||
       is(a, "authorization.k8s.io", "selfsubjectrulesreviews") ||
       is(a, "authentication.k8s.io", "selfsubjectreviews"))) {
    return allow();
  }
  if (user.inGroup(kNodesGroup)) return authorizeNode(a, facts);
  if (user.inGroup(kBootstrappersGroup)) return authorizeBootstrapper(a);
  return allow();
}

Status forbidden(const Attributes& a, const Decision& decision) {
  std::string message;
  if (!a.resource_request) {
    message =
        "forbidden: User \"" + a.user.name + "\" cannot " + a.verb + " path \"" + a.path + "\"";
  } else {
    std::string resource = a.subresource.empty() ? a.resource : a.resource + "/" + a.subresource;
    message = a.resource + (a.name.empty() ? "" : " \"" + a.name + "\"") +
              " is forbidden: User \"" + a.user.name + "\" cannot " + a.verb + " resource \"" +
              resource + "\" in API group \"" + a.group + "\"" +
              (a.namespace_.empty() ? " at the cluster scope"
                                    : " in the namespace \"" + a.namespace_ + "\"");
  }
  if (!decision.reason.empty()) message += ": " + decision.reason;
  return {Code::kForbidden, message};
}

}  // namespace minik8s::apiserver
