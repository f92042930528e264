#include "dns/node_dns_publication.h"

#include "api/scheme.h"

namespace minik8s::dns {
namespace {

using nlohmann::json;

const api::ResourceInfo& servicesResource() {
  return *api::findResource("", "v1", "services");
}

const api::ResourceInfo& slicesResource() {
  return *api::findResource("discovery.k8s.io", "v1", "endpointslices");
}

json dnsPorts() {
  return json::array({{{"name", "dns"}, {"port", 53}, {"protocol", "UDP"}},
                      {{"name", "dns-tcp"}, {"port", 53}, {"protocol", "TCP"}}});
}

Status ensureKubeDnsService(client::Client& client, const std::string& cluster_ip) {
  auto current = client.get(servicesResource(), "kube-system", "kube-dns");
  if (current.isOk()) return Status::ok();
  if (current.status().code() != Code::kNotFound) return current.status();
  auto created = client.create(servicesResource(), "kube-system", kubeDnsService(cluster_ip));
  if (created.isOk()) return Status::ok();
  // Another agent may have created it since the get.
  if (client.get(servicesResource(), "kube-system", "kube-dns").isOk()) return Status::ok();
  return created.status().withContext("creating the Service kube-system/kube-dns");
}

}  // namespace

json kubeDnsService(const std::string& cluster_ip) {
  return {{"apiVersion", "v1"},
          {"kind", "Service"},
          {"metadata",
           {{"name", "kube-dns"},
            {"namespace", "kube-system"},
            {"labels", {{"k8s-app", "kube-dns"}, {"kubernetes.io/name", "CoreDNS"}}}}},
          {"spec", {{"clusterIP", cluster_ip}, {"ports", dnsPorts()}}}};
}

json nodeDnsSlice(const NodeDnsPublication& publication) {
  return {{"apiVersion", "discovery.k8s.io/v1"},
          {"kind", "EndpointSlice"},
          {"metadata",
           {{"name", "kube-dns-" + publication.node_name},
            {"namespace", "kube-system"},
            {"labels",
             {{"kubernetes.io/service-name", "kube-dns"},
              {"endpointslice.kubernetes.io/managed-by", "minik8s-agent"}}}}},
          {"addressType", "IPv4"},
          {"endpoints",
           json::array({{{"addresses", {publication.address}},
                         {"conditions", {{"ready", true}, {"serving", true}, {"terminating", false}}},
                         {"nodeName", publication.node_name}}})},
          {"ports", dnsPorts()}};
}

Status publishNodeDns(client::Client& client, const NodeDnsPublication& publication) {
  RETURN_IF_ERROR(ensureKubeDnsService(client, publication.cluster_ip));
  json slice = nodeDnsSlice(publication);
  const std::string name = slice["metadata"]["name"];
  auto existing = client.get(slicesResource(), "kube-system", name);
  if (existing.isOk()) {
    slice["metadata"]["resourceVersion"] = (*existing)["metadata"].value("resourceVersion", "");
    auto updated = client.update(slicesResource(), "kube-system", slice);
    return updated.isOk() ? Status::ok() : updated.status().withContext("updating " + name);
  }
  if (existing.status().code() != Code::kNotFound) return existing.status();
  auto made = client.create(slicesResource(), "kube-system", slice);
  return made.isOk() ? Status::ok() : made.status().withContext("creating " + name);
}

}  // namespace minik8s::dns
