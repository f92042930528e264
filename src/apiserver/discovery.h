// Discovery and OpenAPI documents, generated from the scheme: aggregated discovery
// (apidiscovery.k8s.io v2 and v2beta1, negotiated from Accept), the legacy APIVersions /
// APIGroupList / APIResourceList documents, and a minimal OpenAPI v3 (a root listing
// every group-version, and per group-version a PATCH operation per kind declaring the
// fieldValidation parameter, which turns on kubectl's server-side validation). Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/scheme.h"
#include "apiserver/http_server.h"

namespace minik8s::apiserver {

// Answers /api, /apis, /api/v1, /apis/{g}, /apis/{g}/{v}, /openapi/v3[/...] and
// /openapi/v2 (always 404); nullopt for any other path. `extra`: resources served outside
// the scheme (metrics.k8s.io, custom resources), listed in discovery after the scheme's (not
// in OpenAPI).
std::optional<HttpResponse> serveDiscovery(const HttpRequest& request,
                                           const std::vector<api::ResourceInfo>& extra = {});

// Whether serveDiscovery answers `path` (a discovery or OpenAPI document, not a resource).
bool isDiscoveryPath(std::string_view path);

// Which aggregated discovery version an Accept header asks for: "v2", "v2beta1" or "".
std::string negotiateAggregatedDiscovery(std::string_view accept);

}  // namespace minik8s::apiserver
