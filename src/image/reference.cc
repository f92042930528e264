#include "image/reference.h"

#include <cctype>

namespace minik8s::image {

namespace {

bool isPathComponent(std::string_view c) {
  // [a-z0-9]+ separated by '.', '_', '__' or '-'+, as in the distribution grammar.
  if (c.empty() || !std::isalnum(static_cast<unsigned char>(c.front())) ||
      !std::isalnum(static_cast<unsigned char>(c.back()))) {
    return false;
  }
  for (char ch : c) {
    if (std::isupper(static_cast<unsigned char>(ch))) return false;
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '.' && ch != '_' && ch != '-') {
      return false;
    }
  }
  return true;
}

bool isTag(std::string_view t) {
  if (t.empty() || t.size() > 128) return false;
  if (!std::isalnum(static_cast<unsigned char>(t.front())) && t.front() != '_') return false;
  for (char ch : t) {
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_' && ch != '.' && ch != '-') {
      return false;
    }
  }
  return true;
}

bool isDomain(std::string_view d) {
  if (d.empty()) return false;
  for (char ch : d) {
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '.' && ch != '-' && ch != ':') {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string ImageReference::toString() const {
  std::string out = repository();
  if (!tag.empty()) out += ":" + tag;
  if (!digest.empty()) out += "@" + digest;
  return out;
}

Result<ImageReference> parseImageReference(std::string_view text) {
  auto bad = [&](const std::string& why) {
    return invalid("invalid image reference \"" + std::string(text) + "\": " + why);
  };
  if (text.empty()) return bad("empty");
  std::string_view rest = text;
  ImageReference ref;
  if (auto at = rest.find('@'); at != std::string_view::npos) {
    ref.digest = std::string(rest.substr(at + 1));
    rest = rest.substr(0, at);
    auto colon = ref.digest.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == ref.digest.size()) {
      return bad("bad digest");
    }
  }
  // A tag is after the last ':' that follows the last '/'.
  auto slash = rest.rfind('/');
  auto colon = rest.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    ref.tag = std::string(rest.substr(colon + 1));
    rest = rest.substr(0, colon);
    if (!isTag(ref.tag)) return bad("bad tag");
  }
  auto first_slash = rest.find('/');
  std::string_view first = rest.substr(0, first_slash);
  if (first_slash != std::string_view::npos &&
      (first.find_first_of(".:") != std::string_view::npos || first == "localhost")) {
    ref.domain = std::string(first);
    rest = rest.substr(first_slash + 1);
    if (!isDomain(ref.domain)) return bad("bad domain");
  } else {
    ref.domain = "docker.io";
  }
  if (ref.domain == "index.docker.io") ref.domain = "docker.io";
  if (rest.empty()) return bad("empty repository");
  size_t start = 0;
  while (start <= rest.size()) {
    auto end = rest.find('/', start);
    std::string_view comp =
        rest.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (!isPathComponent(comp)) return bad("bad repository component \"" + std::string(comp) + "\"");
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  ref.path = std::string(rest);
  if (ref.domain == "docker.io" && ref.path.find('/') == std::string::npos) {
    ref.path = "library/" + ref.path;
  }
  if (ref.tag.empty() && ref.digest.empty()) ref.tag = "latest";
  return ref;
}

Result<std::string> normalizeImageName(std::string_view text) {
  ASSIGN_OR_RETURN(ImageReference ref, parseImageReference(text));
  return ref.toString();
}

}  // namespace minik8s::image
