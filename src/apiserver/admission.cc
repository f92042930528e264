#include "apiserver/admission.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "api/types_networking.h"

namespace minik8s::apiserver {

using nlohmann::json;

namespace {

std::string ownerOf(const json& object) {
  const auto& md = object["metadata"];
  return md.value("namespace", "") + "/" + md.value("name", "");
}

bool needsClusterIp(const json& spec) {
  return spec.value("type", "ClusterIP") != "ExternalName" && spec.value("clusterIP", "") != "None";
}

bool needsNodePorts(const json& spec) {
  auto type = spec.value("type", "ClusterIP");
  return type == "NodePort" || type == "LoadBalancer";
}

void setClusterIp(json& spec, const std::string& ip) {
  spec["clusterIP"] = ip;
  spec["clusterIPs"] = json::array({ip});
}

}  // namespace

void adaptOriginalService(json& service, RequestContext& ctx) {
  if (!service.contains("spec") || !service["spec"].is_object()) return;
  json& spec = service["spec"];
  if (!spec.contains("ports") || !spec["ports"].is_array()) return;
  json& ports = spec["ports"];
  if (!spec.contains("type")) {
    for (const auto& port : ports) {
      if (port.is_object() && port.contains("nodePort")) {
        spec["type"] = "NodePort";
        ctx.warnings.push_back(
            "spec.type: NodePort, because spec.ports sets a nodePort and no type is given");
        break;
      }
    }
  }
  if (ports.size() < 2) return;
  std::set<std::string> taken;
  for (const auto& port : ports) {
    if (port.is_object() && port.contains("name") && port["name"].is_string()) {
      taken.insert(port["name"].get<std::string>());
    }
  }
  for (size_t i = 0; i < ports.size(); ++i) {
    json& port = ports[i];
    if (!port.is_object() || (port.contains("name") && port["name"] != "")) continue;
    if (!port.contains("port") || !port["port"].is_number_integer()) continue;
    if (port.contains("protocol") && !port["protocol"].is_string()) continue;
    std::string protocol = port.value("protocol", "TCP");
    std::transform(protocol.begin(), protocol.end(), protocol.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::string name = protocol + "-" + std::to_string(port["port"].get<int64_t>());
    if (!taken.insert(name).second) continue;  // validation names the clash
    port["name"] = name;
    ctx.warnings.push_back("spec.ports[" + std::to_string(i) + "].name: \"" + name +
                           "\", because a Service with several ports must name each one");
  }
}

namespace {

// NodePorts: keep valid requested ones, warn about and drop the others, allocate the rest.
// `keep` holds ports the stored object already owns (update).
Status assignNodePorts(json& spec, const std::string& owner, const std::set<int>& keep,
                       RequestContext& ctx, AdmissionDeps& deps, std::vector<int>* claimed) {
  if (!spec.contains("ports") || !spec["ports"].is_array()) return Status::ok();
  bool wanted = needsNodePorts(spec);
  for (size_t i = 0; i < spec["ports"].size(); ++i) {
    json& port = spec["ports"][i];
    int requested = port.value("nodePort", 0);
    if (!wanted) {
      if (requested != 0) {
        ctx.warnings.push_back("spec.ports[" + std::to_string(i) + "].nodePort: " +
                               std::to_string(requested) + " is ignored: service type is " +
                               spec.value("type", "ClusterIP") + ", not NodePort");
        port.erase("nodePort");
      }
      continue;
    }
    if (requested != 0 && keep.count(requested)) continue;
    if (requested != 0 && !deps.allocator.portInRange(requested)) {
      ctx.warnings.push_back("spec.ports[" + std::to_string(i) + "].nodePort: " +
                             std::to_string(requested) + " is outside the node port range " +
                             std::to_string(deps.allocator.portRange().first) + "-" +
                             std::to_string(deps.allocator.portRange().last) +
                             "; a port from the range is allocated instead");
      requested = 0;
    }
    auto port_or = deps.allocator.allocatePort(owner, requested);
    if (!port_or.isOk()) {
      Status s = port_or.status();
      if (s.code() == Code::kInvalid) {
        std::string field = "spec.ports[" + std::to_string(i) + "].nodePort";
        return invalid("Service \"" + owner.substr(owner.find('/') + 1) + "\" is invalid",
                       {{field, "FieldValueInvalid",
                         "Invalid value: " + std::to_string(requested) + ": " + s.message()}});
      }
      return s;
    }
    claimed->push_back(*port_or);
    port["nodePort"] = *port_or;
  }
  return Status::ok();
}

// Kubernetes' Job strategy (generateSelector): unless spec.manualSelector, a Job selects
// its pods by its own uid, and its template carries the labels that say so.
void generateJobSelector(json& job) {
  json& spec = job["spec"];
  if (spec.value("manualSelector", false)) return;
  const std::string uid = job["metadata"].value("uid", "");
  const std::string name = job["metadata"].value("name", "");
  json& labels = spec["template"]["metadata"]["labels"];
  if (!labels.is_object()) labels = json::object();
  labels["batch.kubernetes.io/controller-uid"] = uid;
  labels["batch.kubernetes.io/job-name"] = name;
  labels["controller-uid"] = uid;
  labels["job-name"] = name;
  if (!spec.contains("selector") || !spec["selector"].is_object()) {
    spec["selector"] = {{"matchLabels", {{"batch.kubernetes.io/controller-uid", uid}}}};
  }
  // SetDefaults_Job on the stored object: a Job without labels shows its template's.
  json& md = job["metadata"];
  if (!md.contains("labels") || !md["labels"].is_object() || md["labels"].empty()) {
    md["labels"] = labels;
  }
}

// Kubernetes' DefaultIngressClass admission: an Ingress naming no class gets the default.
Status setDefaultIngressClass(json& ingress, AdmissionDeps& deps) {
  const json& spec = ingress["spec"];
  if (spec.is_object() && spec.contains("ingressClassName")) return Status::ok();
  const json& md = ingress["metadata"];
  if (md.contains("annotations") && md["annotations"].is_object() &&
      md["annotations"].contains(api::kIngressClassAnnotation)) {
    return Status::ok();
  }
  const auto* classes = api::findResource("networking.k8s.io", "v1", "ingressclasses");
  auto listed = deps.store.list(RestHandler::storageKey(*classes, "", ""));
  if (!listed.isOk()) return listed.status();
  std::vector<json> stored;
  for (const auto& kv : listed->items) {
    json object = json::parse(kv.value, nullptr, false);
    if (object.is_object()) stored.push_back(std::move(object));
  }
  std::string name = defaultIngressClass(stored);
  if (!name.empty()) ingress["spec"]["ingressClassName"] = name;
  return Status::ok();
}

}  // namespace

std::string defaultIngressClass(const std::vector<json>& classes) {
  std::string best_name, best_created;
  for (const auto& c : classes) {
    const json& md = c.value("metadata", json::object());
    const json& annotations = md.value("annotations", json::object());
    auto flag = annotations.find(api::kIsDefaultIngressClassAnnotation);
    if (flag == annotations.end() || *flag != "true") continue;
    std::string name = md.value("name", "");
    std::string created = md.value("creationTimestamp", "");  // RFC 3339 UTC: sorts as text
    if (best_name.empty() || std::tie(created, name) > std::tie(best_created, best_name)) {
      best_name = name;
      best_created = created;
    }
  }
  return best_name;
}

void addDefaultTolerations(json& pod, const AdmissionOptions& options) {
  json& spec = pod["spec"];
  json tolerations = spec.contains("tolerations") && spec["tolerations"].is_array()
                         ? spec["tolerations"]
                         : json::array();
  // A toleration with an empty key and Exists tolerates every taint.
  auto tolerates = [&](const std::string& key) {
    for (const auto& t : tolerations) {
      if (!t.is_object()) continue;
      std::string effect = t.value("effect", "");
      if (!effect.empty() && effect != "NoExecute") continue;
      std::string op = t.value("operator", "Equal");
      std::string k = t.value("key", "");
      if (k == key || (k.empty() && op == "Exists")) return true;
    }
    return false;
  };
  bool changed = false;
  for (const auto& [key, seconds] :
       {std::pair<std::string, int64_t>{"node.kubernetes.io/not-ready",
                                        options.default_not_ready_toleration_seconds},
        {"node.kubernetes.io/unreachable", options.default_unreachable_toleration_seconds}}) {
    if (tolerates(key)) continue;
    tolerations.push_back({{"key", key},
                           {"operator", "Exists"},
                           {"effect", "NoExecute"},
                           {"tolerationSeconds", seconds}});
    changed = true;
  }
  if (changed) spec["tolerations"] = std::move(tolerations);
}

Status admitCreate(const api::ResourceInfo& resource, json& object, RequestContext& ctx,
                   AdmissionDeps& deps) {
  if (resource.plural == "pods") {
    std::string node = object["spec"].value("nodeName", "");
    if (!node.empty()) {
      auto found = deps.store.get(RestHandler::storageKey(*api::findResource("", "v1", "nodes"), "", node));
      if (!found.isOk() && found.status().code() == Code::kNotFound) {
        ctx.warnings.push_back("spec.nodeName: node \"" + node +
                               "\" does not exist; the pod is left to the scheduler");
        object["spec"].erase("nodeName");
      }
    }
    addDefaultTolerations(object, deps.options);
    return Status::ok();
  }
  if (resource.plural == "jobs" && resource.group == "batch") {
    generateJobSelector(object);
    return Status::ok();
  }
  if (resource.plural == "ingresses" && resource.group == "networking.k8s.io") {
    return setDefaultIngressClass(object, deps);
  }
  if (resource.plural != "services") return Status::ok();
  json& spec = object["spec"];
  std::string owner = ownerOf(object);
  std::string ip;
  if (needsClusterIp(spec)) {
    auto ip_or = deps.allocator.allocateIp(owner, spec.value("clusterIP", ""));
    if (!ip_or.isOk()) return ip_or.status();
    ip = *ip_or;
    setClusterIp(spec, ip);
  }
  std::vector<int> claimed;
  Status s = assignNodePorts(spec, owner, {}, ctx, deps, &claimed);
  if (!s.isOk()) {
    deps.allocator.releaseIp(ip);
    for (int p : claimed) deps.allocator.releasePort(p);
  }
  return s;
}

Status admitUpdate(const api::ResourceInfo& resource, json& object, const json& old,
                   RequestContext& ctx, AdmissionDeps& deps) {
  if (resource.plural != "services") return Status::ok();
  json& spec = object["spec"];
  const json& old_spec = old["spec"];
  std::string owner = ownerOf(object);
  // An update that omits the ClusterIP keeps the allocated one (apply, replace).
  if (spec.value("clusterIP", "").empty() && !old_spec.value("clusterIP", "").empty() &&
      needsClusterIp(spec)) {
    setClusterIp(spec, old_spec.value("clusterIP", ""));
  } else if (spec.value("clusterIP", "").empty() && needsClusterIp(spec)) {
    auto ip_or = deps.allocator.allocateIp(owner, "");
    if (!ip_or.isOk()) return ip_or.status();
    setClusterIp(spec, *ip_or);
  }
  std::set<int> owned;
  std::map<std::string, int> owned_by_port;
  if (old_spec.contains("ports")) {
    for (const auto& p : old_spec["ports"]) {
      int np = p.value("nodePort", 0);
      if (np) {
        owned.insert(np);
        owned_by_port[std::to_string(p.value("port", 0)) + "/" + p.value("protocol", "TCP")] = np;
      }
    }
  }
  // Ports without a nodePort keep the one their port already had.
  if (needsNodePorts(spec) && spec.contains("ports")) {
    for (auto& p : spec["ports"]) {
      if (p.value("nodePort", 0) != 0) continue;
      auto it = owned_by_port.find(std::to_string(p.value("port", 0)) + "/" + p.value("protocol", "TCP"));
      if (it != owned_by_port.end()) p["nodePort"] = it->second;
    }
  }
  std::vector<int> claimed;
  return assignNodePorts(spec, owner, owned, ctx, deps, &claimed);
}

void rollbackCreate(const api::ResourceInfo& resource, const json& object, AdmissionDeps& deps) {
  releaseAfterDelete(resource, object, deps);
}

void releaseAfterDelete(const api::ResourceInfo& resource, const json& object,
                        AdmissionDeps& deps) {
  if (resource.plural != "services" || !object.contains("spec")) return;
  const json& spec = object["spec"];
  deps.allocator.releaseIp(spec.value("clusterIP", ""));
  if (spec.contains("ports")) {
    for (const auto& p : spec["ports"]) deps.allocator.releasePort(p.value("nodePort", 0));
  }
}

void releaseAfterUpdate(const api::ResourceInfo& resource, const json& old, const json& now,
                        AdmissionDeps& deps) {
  if (resource.plural != "services") return;
  std::set<int> still;
  if (now["spec"].contains("ports")) {
    for (const auto& p : now["spec"]["ports"]) still.insert(p.value("nodePort", 0));
  }
  if (old["spec"].contains("ports")) {
    for (const auto& p : old["spec"]["ports"]) {
      int np = p.value("nodePort", 0);
      if (np && !still.count(np)) deps.allocator.releasePort(np);
    }
  }
  std::string old_ip = old["spec"].value("clusterIP", "");
  if (!old_ip.empty() && old_ip != now["spec"].value("clusterIP", "")) {
    deps.allocator.releaseIp(old_ip);
  }
}

}  // namespace minik8s::apiserver
