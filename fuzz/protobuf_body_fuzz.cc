// libFuzzer target over the protobuf body codec (api/protobuf_body.h), the API server's
// parser of a binary wire format. Any input must give an object or a Status, never a crash,
// hang or sanitizer report. A decoded object must encode again and decode to itself (the
// codec's round trip), and survive the normalize + validate that a create runs next.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
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
  auto encoded = api::encodeProtobufBody(*decoded);
  if (!encoded.isOk()) std::abort();  // what was decoded must encode
  auto again = api::decodeProtobufBody(*encoded);
  if (!again.isOk() || *again != *decoded) std::abort();
  const api::ResourceInfo* resource = api::findResourceByKind(
      decoded->value("apiVersion", ""), decoded->value("kind", ""));
  if (resource == nullptr) return 0;
  nlohmann::json object = *decoded;
  std::vector<std::string> unknown;
  if (api::normalize(*resource, object, &unknown).isOk()) (void)api::validate(*resource, object, nullptr);
  return 0;
}
