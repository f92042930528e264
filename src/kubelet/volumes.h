// Host directories behind a pod's volumes: hostPath (created when missing, as the
// original project's examples expect), emptyDir (a directory per pod), configMap and
// secret (one file per key, rewritten atomically on every sync). Effects on the node's
// filesystem only; called from the pod's worker.
#pragma once

#include <string>

#include "api/types_core.h"
#include "common/status.h"
#include "kubelet/pod_config.h"

namespace minik8s::kubelet {

// kInvalid (CreateContainerConfigError) when a configMap/secret is missing and not
// optional or a hostPath of a strict type does not match.
Result<VolumePaths> prepareVolumes(const api::Pod& pod, const NodePaths& paths,
                                   const ObjectLookup& lookup);

// The paths prepareVolumes would give each volume, touching nothing (hollow nodes).
VolumePaths plannedVolumePaths(const api::Pod& pod, const NodePaths& paths);

// Removes the pod's directory (emptyDir, configMap and secret data) and its log directory.
void removePodDirectories(const NodePaths& paths, const std::string& uid,
                          const std::string& log_dir);

}  // namespace minik8s::kubelet
