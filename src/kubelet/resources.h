// The API resources the kubelet's pieces read and write, looked up once in the scheme; a
// resource missing from the scheme is a broken build and aborts.
#pragma once

#include <cstdlib>

#include "api/scheme.h"
#include "common/log.h"

namespace minik8s::kubelet {

inline const api::ResourceInfo& resource(const char* group, const char* version,
                                         const char* plural) {
  const api::ResourceInfo* r = api::findResource(group, version, plural);
  if (r == nullptr) {
    log::error("kubelet: resource {} is not in the scheme", plural);
    std::abort();
  }
  return *r;
}
inline const api::ResourceInfo& podsResource() { return resource("", "v1", "pods"); }
inline const api::ResourceInfo& nodesResource() { return resource("", "v1", "nodes"); }

}  // namespace minik8s::kubelet
