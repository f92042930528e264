// Rootfs: the file tree of one image layer, described before it is written. Entries point
// at host files (read when the layer is written) or carry their content.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "common/status.h"

namespace minik8s::image {

enum class EntryType { kFile, kDirectory, kSymlink };

struct RootfsEntry {
  EntryType type = EntryType::kFile;
  uint32_t mode = 0644;      // permission bits (incl. setuid/sticky)
  std::string host_source;   // kFile: read from this host path unless empty
  std::string content;       // kFile: the bytes when host_source is empty
  std::string link_target;   // kSymlink
};

// "/bin/sh" → "usr/bin/sh": relative, normalised ("." and "//" removed), and with the
// Debian usrmerge folding of /bin, /sbin and /lib* into /usr. "" for the root or "..".
std::string canonicalImagePath(std::string_view path);

// Not thread-safe; owned by the builder of one image.
class Rootfs {
 public:
  // Adds /bin, /sbin, /lib, /lib64 → usr/... symlinks and the usual empty directories
  // (/tmp 1777, /proc, /sys, /dev, /etc, /root, /run, /var/tmp).
  Rootfs();

  void addDirectory(std::string_view path, uint32_t mode = 0755);
  void addFileContent(std::string_view path, std::string content, uint32_t mode = 0644);
  void addFileFromHost(std::string_view path, const std::string& host_path, uint32_t mode);
  void addSymlink(std::string_view path, const std::string& target);
  // A host path as it is: a file, a symlink (plus, when it points inside the image's usual
  // places, its target), or a directory tree. kNotFound when it does not exist.
  Status addHostPath(std::string_view path, const std::string& host_path);

  bool contains(std::string_view path) const;
  const std::map<std::string, RootfsEntry>& entries() const { return entries_; }

 private:
  std::map<std::string, RootfsEntry> entries_;  // by canonical path
};

}  // namespace minik8s::image
