#include "image/debian.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "image/command.h"

namespace minik8s::image {

namespace fs = std::filesystem;

namespace {

bool isInstalled(const std::string& package) {
  auto r = runCommand({"dpkg-query", "-W", "-f=${Status}", package});
  return r.isOk() && r->exit_code == 0 && r->out.find("install ok installed") != std::string::npos;
}

bool isElf(const std::string& host_path) {
  std::ifstream in(host_path, std::ios::binary);
  char magic[4] = {};
  in.read(magic, 4);
  return in.gcount() == 4 && magic[0] == 0x7f && magic[1] == 'E' && magic[2] == 'L' &&
         magic[3] == 'F';
}

// Adds one file or symlink at `image_path` from `host_path` (not directories' contents).
Status addPackagePath(Rootfs& rootfs, const std::string& image_path,
                      const std::string& host_path) {
  struct stat st{};
  if (::lstat(host_path.c_str(), &st) != 0) return Status::ok();  // e.g. removed conffile
  if (S_ISDIR(st.st_mode)) {
    rootfs.addDirectory(image_path, st.st_mode & 07777);
  } else if (S_ISLNK(st.st_mode)) {
    std::error_code ec;
    rootfs.addSymlink(image_path, fs::read_symlink(host_path, ec).string());
  } else if (S_ISREG(st.st_mode)) {
    rootfs.addFileFromHost(image_path, host_path, st.st_mode & 07777);
  }
  return Status::ok();
}

}  // namespace

bool isSkippedPackagePath(const std::string& path) {
  for (const char* p : {"/usr/share/doc", "/usr/share/man", "/usr/share/info",
                        "/usr/share/lintian", "/usr/share/locale", "/usr/share/bug"}) {
    std::string prefix = p;
    if (path == prefix || path.rfind(prefix + "/", 0) == 0) return true;
  }
  return false;
}

Status addDebianPackages(Rootfs& rootfs, const std::vector<std::string>& packages,
                         const std::string& work_dir) {
  for (const auto& pkg : packages) {
    if (isInstalled(pkg)) {
      ASSIGN_OR_RETURN(std::string list, runChecked({"dpkg", "-L", pkg}));
      std::istringstream in(list);
      std::string path;
      while (std::getline(in, path)) {
        if (path.empty() || path[0] != '/' || path == "/." || isSkippedPackagePath(path)) {
          continue;
        }
        RETURN_IF_ERROR(addPackagePath(rootfs, path, path));
      }
      continue;
    }
    // Not installed: fetch the .deb and unpack it privately.
    std::string dir = work_dir + "/deb-" + pkg;
    std::error_code ec;
    fs::create_directories(dir + "/root", ec);
    if (ec) return internalError("creating " + dir + ": " + ec.message());
    auto dl = runCommand({"apt-get", "download", "-q", pkg}, dir);
    if (!dl.isOk()) return dl.status();
    if (dl->exit_code != 0) {
      return notFound("package " + pkg + " is neither installed nor downloadable: " +
                      dl->err.substr(0, 500));
    }
    std::string deb;
    for (const auto& e : fs::directory_iterator(dir)) {
      if (e.path().extension() == ".deb") deb = e.path().string();
    }
    if (deb.empty()) return notFound("apt-get download " + pkg + " produced no .deb");
    RETURN_IF_ERROR(runChecked({"dpkg", "-x", deb, dir + "/root"}).status());
    const std::string root = dir + "/root";
    for (auto it = fs::recursive_directory_iterator(root, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      std::string rel = it->path().string().substr(root.size());
      if (isSkippedPackagePath(rel)) {
        if (it->is_directory() && !it->is_symlink()) it.disable_recursion_pending();
        continue;
      }
      RETURN_IF_ERROR(addPackagePath(rootfs, rel, it->path().string()));
    }
  }
  return Status::ok();
}

std::vector<std::string> parseLddOutput(const std::string& output,
                                        std::vector<std::string>* missing) {
  std::vector<std::string> libs;
  std::istringstream in(output);
  std::string line;
  while (std::getline(in, line)) {
    auto arrow = line.find("=>");
    std::string rest = arrow == std::string::npos ? line : line.substr(arrow + 2);
    size_t b = rest.find_first_not_of(" \t");
    if (b == std::string::npos) continue;
    rest = rest.substr(b);
    if (rest.rfind("not found", 0) == 0) {
      if (missing != nullptr) {
        std::string name = line.substr(0, arrow);
        name.erase(0, name.find_first_not_of(" \t"));
        name.erase(name.find_last_not_of(" \t") + 1);
        missing->push_back(name);
      }
      continue;
    }
    if (rest[0] != '/') continue;  // linux-vdso.so.1 (0x...)
    libs.push_back(rest.substr(0, rest.find_first_of(" \t(")));
  }
  return libs;
}

Status addSharedLibraryClosure(Rootfs& rootfs) {
  std::set<std::string> done;
  std::vector<std::string> missing;
  // Repeat until no new file appears: libraries are ELF files too.
  for (bool changed = true; changed;) {
    changed = false;
    std::vector<std::string> elf_sources;
    for (const auto& [path, e] : rootfs.entries()) {
      if (e.type != EntryType::kFile || e.host_source.empty()) continue;
      if (done.count(e.host_source) || !isElf(e.host_source)) continue;
      elf_sources.push_back(e.host_source);
    }
    for (const auto& src : elf_sources) {
      done.insert(src);
      auto r = runCommand({"ldd", src});
      if (!r.isOk()) return r.status();
      if (r->exit_code != 0) continue;  // static binary or not a dynamic object
      for (const auto& lib : parseLddOutput(r->out, &missing)) {
        if (rootfs.contains(lib)) continue;
        RETURN_IF_ERROR(rootfs.addHostPath(lib, lib));
        changed = true;
      }
    }
  }
  if (!missing.empty()) {
    std::set<std::string> uniq(missing.begin(), missing.end());
    std::string list;
    for (const auto& m : uniq) list += (list.empty() ? "" : ", ") + m;
    return notFound("shared libraries not found on this host: " + list);
  }
  return Status::ok();
}

}  // namespace minik8s::image
