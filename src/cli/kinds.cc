#include "cli/kinds.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

namespace minik8s::cli {

using nlohmann::json;

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool names(const api::ResourceInfo& r, const std::string& word) {
  if (word == r.plural || word == r.singular || word == lower(r.kind)) return true;
  for (const auto& s : r.short_names) {
    if (word == s) return true;
  }
  if (!r.group.empty()) {
    for (const std::string& base : {r.plural, r.singular, lower(r.kind)}) {
      if (word == base + "." + r.group) return true;
    }
  }
  return false;
}

std::string stringField(const json& object, const char* key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

std::vector<const api::ResourceInfo*> resolveKind(std::string_view word,
                                                  const std::vector<api::ResourceInfo>& resources) {
  std::string w = lower(word);
  if (w == "dnss") w = "dnses";  // the original's plural of Dns
  std::vector<const api::ResourceInfo*> out;
  for (const auto& r : resources) {
    if (names(r, w)) out.push_back(&r);
  }
  return out;
}

Result<std::vector<const api::ResourceInfo*>> resolveKindOrError(
    std::string_view word, const std::vector<api::ResourceInfo>& resources) {
  auto found = resolveKind(word, resources);
  if (found.empty()) {
    return badRequest("error: the server doesn't have a resource type \"" + std::string(word) +
                      "\"");
  }
  return found;
}

Result<const api::ResourceInfo*> resourceOfObject(const json& object,
                                                  const std::vector<api::ResourceInfo>& resources,
                                                  std::string_view source) {
  std::string src(source);
  if (!object.is_object()) {
    return badRequest("error: error validating \"" + src + "\": the document is not an object");
  }
  std::string kind = stringField(object, "kind");
  std::string api_version = stringField(object, "apiVersion");
  if (kind.empty()) {
    return badRequest("error: error validating \"" + src + "\": kind not set");
  }
  for (const auto& r : resources) {
    if (r.kind == kind && (api_version.empty() || r.apiVersion() == api_version)) return &r;
  }
  return badRequest("error: resource mapping not found for kind \"" + kind + "\" in version \"" +
                    api_version + "\" in \"" + src + "\"");
}

Result<const api::ResourceInfo*> matchCommandKind(std::string_view word, const json& object,
                                                  const std::vector<api::ResourceInfo>& resources,
                                                  std::string_view source) {
  ASSIGN_OR_RETURN(auto candidates, resolveKindOrError(word, resources));
  ASSIGN_OR_RETURN(const api::ResourceInfo* resource, resourceOfObject(object, resources, source));
  if (std::find(candidates.begin(), candidates.end(), resource) == candidates.end()) {
    return badRequest("error: the kind in " + std::string(source) + " is " + resource->kind +
                      ", not " + std::string(word));
  }
  return resource;
}

std::vector<const api::ResourceInfo*> getAllResources(
    const std::vector<api::ResourceInfo>& resources) {
  std::vector<const api::ResourceInfo*> out;
  for (const auto& r : resources) {
    bool in_all = std::find(r.categories.begin(), r.categories.end(), "all") != r.categories.end();
    bool forgotten =
        r.group.empty() && (r.plural == "endpoints" || r.plural == "dnses" || r.plural == "hpas");
    if (in_all || forgotten) out.push_back(&r);
  }
  return out;
}

std::string kindPrefix(const api::ResourceInfo& resource) {
  std::string k = lower(resource.kind);
  return resource.group.empty() ? k : k + "." + resource.group;
}

}  // namespace minik8s::cli
