// meta.k8s.io/v1 PartialObjectMetadata: any object seen through its metadata only. The
// garbage collector watches the kinds no controller of its process watches this way.
#pragma once

#include <string>

#include "api/types_meta.h"

namespace minik8s::api {

struct PartialObjectMetadata {
  std::string api_version;
  std::string kind;
  ObjectMeta metadata;
};

}  // namespace minik8s::api
