// Image contents from Debian packages: a package's files plus the shared libraries its
// ELF binaries need, so an image can be made offline from what apt knows.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "image/rootfs.h"

namespace minik8s::image {

// The paths minik8s leaves out of package contents: documentation, man pages, locales.
bool isSkippedPackagePath(const std::string& path);

// Adds the files and symlinks of each package. Installed packages are read from the host
// (dpkg -L); others are fetched with `apt-get download` and unpacked with `dpkg -x` under
// `work_dir` (which must outlive the layer build). kNotFound for an unknown package.
Status addDebianPackages(Rootfs& rootfs, const std::vector<std::string>& packages,
                         const std::string& work_dir);

// For every ELF file in the rootfs, adds the libraries `ldd` resolves (and the dynamic
// loader), with their symlinks. kNotFound naming the missing libraries when ldd cannot
// resolve one.
Status addSharedLibraryClosure(Rootfs& rootfs);

// The library paths of `ldd` output ("libz.so.1 => /lib/.../libz.so.1 (0x...)",
// "/lib64/ld-linux-x86-64.so.2 (0x...)"); "not found" entries go to `missing`.
std::vector<std::string> parseLddOutput(const std::string& output,
                                        std::vector<std::string>* missing);

}  // namespace minik8s::image
