// CustomResourceRegistry: which custom resources the apiserver serves, read from the
// CustomResourceDefinitions in their watch cache (kube-apiserver's apiextensions handler,
// without the aggregation layer). One owner: the RestHandler. Thread-safe: the served set is
// an immutable snapshot, rebuilt when a CRD changed.
#pragma once

#include <memory>
#include <mutex>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/scheme.h"

namespace minik8s::apiserver {

class WatchCache;

using CustomResourceList = std::vector<api::ResourceInfo>;

// The resources `crds` serve, CRD by CRD (storage version first): none of a CRD being
// deleted, and none that would shadow a built-in resource (same group and plural) or an
// earlier CRD's. Pure.
CustomResourceList servedCustomResources(const std::vector<nlohmann::json>& crds);

class CustomResourceRegistry {
 public:
  explicit CustomResourceRegistry(const WatchCache& crds) : crds_(crds) {}

  // Every served custom resource, in CRD name order.
  std::shared_ptr<const CustomResourceList> resources() const;
  // The custom resource served at group/version/plural; nullptr when none. Shares the
  // snapshot's lifetime, so it stays valid while a request or a watch uses it.
  std::shared_ptr<const api::ResourceInfo> find(std::string_view group, std::string_view version,
                                                std::string_view plural) const;

 private:
  const WatchCache& crds_;
  mutable std::mutex mu_;
  // The CRDs' (key, revision) the snapshot was built from, and the snapshot.
  mutable std::vector<std::pair<std::string, int64_t>> built_from_;  // GUARDED_BY(mu_)
  mutable std::shared_ptr<const CustomResourceList> snapshot_;       // GUARDED_BY(mu_)
};

}  // namespace minik8s::apiserver
