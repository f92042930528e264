// Request bodies in Kubernetes' protobuf encoding ("k8s\0" + runtime.Unknown{typeMeta, raw}),
// for the kinds clients send that way and minik8s accepts: autoscaling/v1
// HorizontalPodAutoscaler (what `kubectl autoscale` 1.32 posts). Decoded into the object's
// JSON (spec and metadata; status is not read, as no create keeps it). Pure; thread-safe.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string_view>

#include "common/status.h"

namespace minik8s::api {

// The object in `body` as JSON. kUnsupportedMediaType when its kind has no protobuf
// decoder here; kBadRequest when the bytes are not a well-formed message.
Result<nlohmann::json> decodeProtobufBody(std::string_view body);

}  // namespace minik8s::api
