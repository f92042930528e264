// readFile: the one way we read a whole file into memory (configuration, PEM files,
// manifests, /proc files, test fixtures). Thread-safe.
#pragma once

#include <string>

#include "common/status.h"

namespace minik8s {

// The bytes of the file at `path`, read to its end (so /proc files, whose size is 0, work).
// kNotFound when `path` or a directory on it does not exist (ENOENT, ENOTDIR), kInternal for
// any other failure (permission, a directory, I/O); the message names the path and the
// system's reason, as Go's os.ReadFile does: "open /etc/x: No such file or directory",
// "read /etc: Is a directory".
Result<std::string> readFile(const std::string& path);

}  // namespace minik8s
