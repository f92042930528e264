// The settings of the apiserver's admission plugins (kube-apiserver's flags of the same
// names).
#pragma once

#include <cstdint>

namespace minik8s::apiserver {

struct AdmissionOptions {
  // DefaultTolerationSeconds: pods that tolerate neither taint get these NoExecute
  // tolerations for node.kubernetes.io/not-ready and node.kubernetes.io/unreachable
  // (--default-not-ready-toleration-seconds, --default-unreachable-toleration-seconds).
  int64_t default_not_ready_toleration_seconds = 300;
  int64_t default_unreachable_toleration_seconds = 300;
};

}  // namespace minik8s::apiserver
