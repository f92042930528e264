// Loading image archives into a node's containerd and listing what it has.
#pragma once

#include <string>

#include "common/status.h"

namespace minik8s::image {

// Imports an OCI image-layout or docker-archive tar into the k8s.io namespace of the
// containerd at `socket` (through `ctr images import`), where CRI sees it at once.
Status importArchive(const std::string& socket, const std::string& archive_path,
                     const std::string& ctr_binary = "/usr/bin/ctr");

}  // namespace minik8s::image
