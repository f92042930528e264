#include "cli/manifest.h"

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "api/yaml.h"
#include "common/files.h"

namespace minik8s::cli {

using nlohmann::json;

Result<std::vector<Manifest>> parseManifestText(std::string_view text, const std::string& source) {
  auto documents = api::parseYamlStream(text);
  if (!documents.isOk()) {
    return badRequest("error: error parsing " + source +
                      ": error converting YAML to JSON: " + documents.status().message());
  }
  std::vector<Manifest> out;
  for (auto& document : *documents) {
    if (document.is_null()) continue;
    if (!document.is_object()) {
      return badRequest("error: error parsing " + source + ": a document is not a mapping");
    }
    auto kind = document.find("kind");
    if (kind != document.end() && kind->is_string() && kind->get<std::string>().size() >= 4 &&
        kind->get<std::string>().ends_with("List") && document.contains("items") &&
        document["items"].is_array()) {
      for (auto& item : document["items"]) out.push_back({std::move(item), source});
      continue;
    }
    out.push_back({std::move(document), source});
  }
  if (out.empty()) return badRequest("error: no objects passed to apply/create in " + source);
  return out;
}

namespace {

Result<std::string> readManifestFile(const std::filesystem::path& path) {
  auto text = readFile(path.string());
  if (!text.isOk()) return badRequest("error: " + text.status().message());
  return text;
}

}  // namespace

Result<std::vector<Manifest>> readManifests(const std::string& path, std::istream& in) {
  if (path == "-") {
    std::ostringstream text;
    text << in.rdbuf();
    return parseManifestText(text.str(), "STDIN");
  }
  std::error_code ec;
  std::filesystem::path p(path);
  if (!std::filesystem::exists(p, ec)) {
    return badRequest("error: the path \"" + path + "\" does not exist");
  }
  std::vector<std::filesystem::path> files;
  if (std::filesystem::is_directory(p, ec)) {
    for (const auto& entry : std::filesystem::directory_iterator(p, ec)) {
      auto ext = entry.path().extension().string();
      if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml" || ext == ".json")) {
        files.push_back(entry.path());
      }
    }
    std::sort(files.begin(), files.end());
    if (files.empty()) return badRequest("error: no objects passed to apply/create in " + path);
  } else {
    files.push_back(p);
  }
  std::vector<Manifest> out;
  for (const auto& file : files) {
    ASSIGN_OR_RETURN(std::string text, readManifestFile(file));
    ASSIGN_OR_RETURN(auto manifests, parseManifestText(text, file.string()));
    for (auto& m : manifests) out.push_back(std::move(m));
  }
  return out;
}

}  // namespace minik8s::cli
