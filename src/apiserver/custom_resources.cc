#include "apiserver/custom_resources.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "api/custom_resource.h"
#include "apiserver/watch_cache.h"

namespace minik8s::apiserver {

using nlohmann::json;

namespace {

bool beingDeleted(const json& crd) {
  auto md = crd.find("metadata");
  return md != crd.end() && md->is_object() && md->contains("deletionTimestamp");
}

bool sameResource(const api::ResourceInfo& a, const api::ResourceInfo& b) {
  return a.group == b.group && a.plural == b.plural;
}

}  // namespace

CustomResourceList servedCustomResources(const std::vector<json>& crds) {
  CustomResourceList served;
  for (const json& crd : crds) {
    if (!crd.is_object() || beingDeleted(crd)) continue;
    CustomResourceList own = api::customResourcesOf(crd);
    if (own.empty()) continue;
    const api::ResourceInfo& first = own.front();
    bool shadows = std::any_of(api::allResources().begin(), api::allResources().end(),
                               [&](const auto& r) { return sameResource(r, first); }) ||
                   std::any_of(served.begin(), served.end(),
                               [&](const auto& r) { return sameResource(r, first); });
    if (shadows) continue;
    served.insert(served.end(), std::make_move_iterator(own.begin()),
                  std::make_move_iterator(own.end()));
  }
  return served;
}

std::shared_ptr<const CustomResourceList> CustomResourceRegistry::resources() const {
  WatchCache::Snapshot listed = crds_.list(WatchFilter{});
  std::vector<std::pair<std::string, int64_t>> seen;
  seen.reserve(listed.objects.size());
  for (const auto& o : listed.objects) seen.emplace_back(o->key, o->revision);
  std::lock_guard lock(mu_);
  if (snapshot_ && seen == built_from_) return snapshot_;
  std::vector<json> crds;
  crds.reserve(listed.objects.size());
  for (const auto& o : listed.objects) crds.push_back(json::parse(o->json, nullptr, false));
  snapshot_ = std::make_shared<const CustomResourceList>(servedCustomResources(crds));
  built_from_ = std::move(seen);
  return snapshot_;
}

std::shared_ptr<const api::ResourceInfo> CustomResourceRegistry::find(
    std::string_view group, std::string_view version, std::string_view plural) const {
  std::shared_ptr<const CustomResourceList> all = resources();
  for (const api::ResourceInfo& r : *all) {
    if (r.group == group && r.version == version && r.plural == plural) {
      return std::shared_ptr<const api::ResourceInfo>(all, &r);  // aliases the snapshot
    }
  }
  return nullptr;
}

}  // namespace minik8s::apiserver
