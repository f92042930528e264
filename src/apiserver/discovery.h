// Discovery and OpenAPI documents, generated from the scheme: aggregated discovery
// (apidiscovery.k8s.io v2 and v2beta1, negotiated from Accept), the legacy APIVersions /
// APIGroupList / APIResourceList documents, and a minimal OpenAPI v3 (a root listing
// every group-version, and per group-version a PATCH operation per kind declaring the
// fieldValidation parameter, which turns on kubectl's server-side validation). Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "apiserver/http_server.h"

namespace minik8s::apiserver {

// Answers /api, /apis, /api/v1, /apis/{g}, /apis/{g}/{v}, /openapi/v3[/...] and
// /openapi/v2 (always 404); nullopt for any other path.
std::optional<HttpResponse> serveDiscovery(const HttpRequest& request);

// Which aggregated discovery version an Accept header asks for: "v2", "v2beta1" or "".
std::string negotiateAggregatedDiscovery(std::string_view accept);

}  // namespace minik8s::apiserver
