// Pods for the kubelet's table tests: named containers, a restart policy, init containers.
#pragma once

#include <string>
#include <vector>

#include "api/types_core.h"

namespace minik8s::kubelet::testing {

// Pod default/web (uid "uid-1") with one nginx:1.25 container per name.
inline api::Pod podOf(std::vector<std::string> names, const std::string& policy = "Always") {
  api::Pod pod;
  pod.metadata.name = "web";
  pod.metadata.namespace_ = "default";
  pod.metadata.uid = "uid-1";
  pod.spec.restart_policy = policy;
  for (const auto& n : names) {
    api::Container c;
    c.name = n;
    c.image = "nginx:1.25";
    pod.spec.containers.push_back(c);
  }
  return pod;
}

// `pod` with one busybox init container per name, in order.
inline api::Pod withInit(api::Pod pod, std::vector<std::string> names) {
  for (const auto& n : names) {
    api::Container c;
    c.name = n;
    c.image = "busybox:1.36.1";
    pod.spec.init_containers.push_back(c);
  }
  return pod;
}

}  // namespace minik8s::kubelet::testing
