// Answers in Kubernetes' protobuf encoding for the clients that prefer it: client-go's typed
// clients (kubectl's generators, drain, helm's release storage) send
// `Accept: application/vnd.kubernetes.protobuf,application/json`. The response is built as
// JSON like every other and converted here, after routing, through api/protobuf_body.h;
// whatever has no message (Tables, discovery, the original's kinds, a field our messages
// lack) stays JSON, which those clients accept too. So do answers over 1 MB of JSON: the
// descriptor-driven encode costs 7-10x a JSON dump (bench/README.md), about a second more
// for a LIST of 10,000 pods. Watch streams stay JSON. Pure.
#pragma once

#include <cstddef>
#include <string_view>

#include "apiserver/http_server.h"

namespace minik8s::apiserver {

inline constexpr size_t kMaxProtobufAnswerJsonBytes = 1 << 20;

// Whether the first media range of `accept` is application/vnd.kubernetes.protobuf.
bool prefersProtobuf(std::string_view accept);

// Re-encodes a JSON `response` in protobuf when `accept` prefers it and its object has a
// message; otherwise leaves it as it is.
void answerInProtobufIfPreferred(std::string_view accept, HttpResponse& response);

}  // namespace minik8s::apiserver
