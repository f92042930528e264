#include "image/rootfs.h"

#include <sys/stat.h>

#include <filesystem>
#include <vector>

namespace minik8s::image {

namespace fs = std::filesystem;

std::string canonicalImagePath(std::string_view path) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    std::string_view c = path.substr(i, j - i);
    if (c == "..") return "";
    if (!c.empty() && c != ".") parts.emplace_back(c);
    i = j + 1;
  }
  if (parts.empty()) return "";
  const std::string& top = parts.front();
  if (top == "bin" || top == "sbin" || top == "lib" || top == "lib64" || top == "lib32" ||
      top == "libx32") {
    parts.insert(parts.begin(), "usr");
  }
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "/") + p;
  return out;
}

Rootfs::Rootfs() {
  for (const char* d : {"usr/bin", "usr/sbin", "usr/lib", "usr/lib64", "etc", "proc", "sys",
                        "dev", "root", "run", "var", "var/tmp"}) {
    entries_[d] = {EntryType::kDirectory, 0755, "", "", ""};
  }
  entries_["root"].mode = 0700;
  entries_["tmp"] = {EntryType::kDirectory, 01777, "", "", ""};
  entries_["var/tmp"].mode = 01777;
  // The top-level usrmerge links; canonicalImagePath() never yields these paths.
  for (const char* d : {"bin", "sbin", "lib", "lib64"}) {
    entries_[d] = {EntryType::kSymlink, 0777, "", "", std::string("usr/") + d};
  }
}

void Rootfs::addDirectory(std::string_view path, uint32_t mode) {
  std::string p = canonicalImagePath(path);
  if (p.empty()) return;
  entries_[p] = {EntryType::kDirectory, mode, "", "", ""};
}

void Rootfs::addFileContent(std::string_view path, std::string content, uint32_t mode) {
  std::string p = canonicalImagePath(path);
  if (p.empty()) return;
  entries_[p] = {EntryType::kFile, mode, "", std::move(content), ""};
}

void Rootfs::addFileFromHost(std::string_view path, const std::string& host_path,
                             uint32_t mode) {
  std::string p = canonicalImagePath(path);
  if (p.empty()) return;
  entries_[p] = {EntryType::kFile, mode, host_path, "", ""};
}

void Rootfs::addSymlink(std::string_view path, const std::string& target) {
  std::string p = canonicalImagePath(path);
  if (p.empty()) return;
  entries_[p] = {EntryType::kSymlink, 0777, "", "", target};
}

bool Rootfs::contains(std::string_view path) const {
  return entries_.count(canonicalImagePath(path)) != 0;
}

Status Rootfs::addHostPath(std::string_view path, const std::string& host_path) {
  struct stat st{};
  if (::lstat(host_path.c_str(), &st) != 0) return notFound("no such file: " + host_path);
  const uint32_t mode = st.st_mode & 07777;
  if (S_ISLNK(st.st_mode)) {
    std::error_code ec;
    fs::path target = fs::read_symlink(host_path, ec);
    if (ec) return internalError("readlink " + host_path + ": " + ec.message());
    addSymlink(path, target.string());
    // Bring the target along so the link resolves inside the image.
    fs::path resolved = fs::canonical(host_path, ec);
    if (!ec) {
      fs::path image_target =
          target.is_absolute() ? target : fs::path(std::string(path)).parent_path() / target;
      if (!contains(image_target.string())) {
        return addHostPath(image_target.lexically_normal().string(), resolved.string());
      }
    }
    return Status::ok();
  }
  if (S_ISDIR(st.st_mode)) {
    addDirectory(path, mode);
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(host_path, ec)) {
      std::string child = std::string(path) + "/" + entry.path().filename().string();
      RETURN_IF_ERROR(addHostPath(child, entry.path().string()));
    }
    return Status::ok();
  }
  if (S_ISREG(st.st_mode)) {
    addFileFromHost(path, host_path, mode);
    return Status::ok();
  }
  return Status::ok();  // devices, sockets, fifos: not part of an image
}

}  // namespace minik8s::image
