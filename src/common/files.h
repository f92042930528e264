// readFile: the one way we read a whole file into memory (configuration, PEM files,
// manifests, /proc files, test fixtures); writeFileAtomically: the one way we write a file
// others read (kubeconfigs, keys, tokens, configuration). Thread-safe.
#pragma once

#include <sys/types.h>

#include <string>

#include "common/status.h"

namespace minik8s {

// The bytes of the file at `path`, read to its end (so /proc files, whose size is 0, work).
// kNotFound when `path` or a directory on it does not exist (ENOENT, ENOTDIR), kInternal for
// any other failure (permission, a directory, I/O); the message names the path and the
// system's reason, as Go's os.ReadFile does: "open /etc/x: No such file or directory",
// "read /etc: Is a directory".
Result<std::string> readFile(const std::string& path);

// Writes `content` to `path` through `path`.tmp (created with `mode`, whatever the umask or
// an older temporary file says, then fsynced) and a rename, so a reader never sees half a
// file and a secret is never readable by others, not even for a moment. The directory must
// exist. kInternal naming the step and the system's reason on failure (the temporary file
// is removed).
Status writeFileAtomically(const std::string& path, const std::string& content, mode_t mode);

}  // namespace minik8s
