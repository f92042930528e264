#include "apiserver/protobuf_response.h"

#include <nlohmann/json.hpp>
#include <string>

#include "api/protobuf_body.h"

namespace minik8s::apiserver {

namespace {
constexpr std::string_view kProtobuf = "application/vnd.kubernetes.protobuf";

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}
}  // namespace

bool prefersProtobuf(std::string_view accept) {
  std::string_view first = accept.substr(0, accept.find(','));
  return trimmed(first.substr(0, first.find(';'))) == kProtobuf;
}

void answerInProtobufIfPreferred(std::string_view accept, HttpResponse& response) {
  if (!prefersProtobuf(accept) || response.body.size() > kMaxProtobufAnswerJsonBytes) return;
  for (auto& [name, value] : response.headers) {
    if (name != "Content-Type") continue;
    if (value != "application/json") return;
    nlohmann::json object = nlohmann::json::parse(response.body, nullptr, false);
    if (!object.is_object()) return;
    auto encoded = api::encodeProtobufBody(object);
    if (!encoded.isOk()) return;
    response.body = std::move(encoded).value();
    value = kProtobuf;
    return;
  }
}

}  // namespace minik8s::apiserver
