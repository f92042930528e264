// Image references, normalised the way Docker and containerd do it.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace minik8s::image {

struct ImageReference {
  std::string domain;  // "docker.io", "k8s.local", "localhost:5000"
  std::string path;    // "library/busybox"
  std::string tag;     // "latest" unless a digest alone was given
  std::string digest;  // "sha256:..." or empty

  // "docker.io/library/busybox:1.36.1", "k8s.local/pause:1.0", "x.io/a@sha256:..."
  std::string toString() const;
  std::string repository() const { return domain + "/" + path; }
};

// Parses and normalises: a first component without '.' or ':' (and not "localhost") is a
// Docker Hub path, single-component Hub paths get "library/", a missing tag becomes
// "latest". `greeting-app` → `docker.io/library/greeting-app:latest`. kInvalid for
// uppercase repositories, empty parts or bad characters.
Result<ImageReference> parseImageReference(std::string_view text);

// parseImageReference(text)->toString().
Result<std::string> normalizeImageName(std::string_view text);

}  // namespace minik8s::image
