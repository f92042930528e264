// Request filters: turns labelSelector/fieldSelector query values into a WatchFilter the
// watch cache and lists apply.
#pragma once

#include <string>

#include "api/scheme.h"
#include "apiserver/watch_cache.h"
#include "common/status.h"

namespace minik8s::apiserver {

// kBadRequest when either selector does not parse or names an unsupported field.
Result<WatchFilter> makeFilter(const api::ResourceInfo& resource, const std::string& namespace_,
                               const std::string& label_selector,
                               const std::string& field_selector);

}  // namespace minik8s::apiserver
