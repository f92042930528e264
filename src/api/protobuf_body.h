// Kubernetes' protobuf encoding (application/vnd.kubernetes.protobuf): the "k8s\0" magic,
// then a runtime.Unknown whose typeMeta names the kind and whose raw holds the object's
// own message. The messages are ours (proto/k8s/*.proto, Kubernetes' field numbers),
// loaded at run time from the embedded descriptor set; objects are converted to and from
// their JSON through the descriptors, so every kind with a message is covered by the same
// code. Pure; thread-safe.
//
// The JSON forms follow Kubernetes': Time is RFC 3339, IntOrString a number or string,
// Quantity a string, bytes base64, RawExtension and FieldsV1 the embedded JSON. Decoding
// keeps what was on the wire, as Go's decoder does, except empty strings (Go's generated
// code writes every non-pointer string, and "" means unset) and empty times.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

#include "common/status.h"

namespace google::protobuf {
class Descriptor;
}  // namespace google::protobuf

namespace minik8s::api {

// The object in `body` as JSON, apiVersion and kind included. kUnsupportedMediaType when
// its kind has no message here; kBadRequest when the bytes are not a well-formed message,
// a string is not UTF-8, or a field is unknown to our messages (never dropped silently).
Result<nlohmann::json> decodeProtobufBody(std::string_view body);

// `object` (with apiVersion and kind) as a protobuf body. kUnsupportedMediaType when its
// kind has no message; kBadRequest when a JSON field has no protobuf field or the wrong
// type (a caller answering a GET then falls back to JSON).
Result<std::string> encodeProtobufBody(const nlohmann::json& object);

// The protobuf message of apiVersion/kind; nullptr when it has none.
const google::protobuf::Descriptor* protobufMessageOf(std::string_view api_version,
                                                      std::string_view kind);

}  // namespace minik8s::api
