// libFuzzer target over the codecs: YAML and JSON decoding, normalize + validate for every
// kind, selectors and patches. Any input must give a value or a Status, never a crash,
// hang or sanitizer report.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "api/scheme.h"
#include "api/selector.h"
#include "api/yaml.h"
#include "apiserver/patch.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace minik8s;
  std::string text(reinterpret_cast<const char*>(data), size);
  auto docs = api::parseYamlStream(text);
  nlohmann::json parsed = nlohmann::json::parse(text, nullptr, false);
  if (parsed.is_discarded() && docs.isOk() && !docs->empty()) parsed = (*docs)[0];
  (void)api::LabelSelector::parse(text);
  (void)api::FieldSelector::parse(text);
  if (!parsed.is_object()) return 0;
  const auto& resources = api::allResources();
  const auto& resource = resources[size % resources.size()];
  nlohmann::json object = parsed;
  std::vector<std::string> unknown;
  if (api::normalize(resource, object, &unknown).isOk()) {
    (void)api::validate(resource, object, nullptr);
    (void)api::validate(resource, object, &object);
    (void)api::toYaml(object);
  }
  (void)apiserver::applyStrategicMergePatch(object, parsed, resource.kind);
  (void)apiserver::applyMergePatch(object, parsed);
  return 0;
}
