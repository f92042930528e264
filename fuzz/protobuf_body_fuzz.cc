// libFuzzer target over the protobuf request-body decoder (api/protobuf_body.h), the one
// hand-written parser of a binary wire format in the API server. Any input must give an
// object or a Status, never a crash, hang or sanitizer report; a decoded object must also
// survive the HPA v1 normalize + validate that a create runs next.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "api/protobuf_body.h"
#include "api/scheme.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace minik8s;
  auto decoded = api::decodeProtobufBody(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!decoded.isOk()) return 0;
  (void)decoded->dump();
  const api::ResourceInfo* hpa_v1 =
      api::findResource("autoscaling", "v1", "horizontalpodautoscalers");
  if (hpa_v1 == nullptr || !decoded->is_object()) return 0;
  nlohmann::json object = *decoded;
  std::vector<std::string> unknown;
  if (api::normalize(*hpa_v1, object, &unknown).isOk()) (void)api::validate(*hpa_v1, object, nullptr);
  return 0;
}
