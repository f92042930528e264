#include "kubelet/volumes.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <set>

namespace minik8s::kubelet {
namespace fs = std::filesystem;
namespace {

Status makeDirs(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return internalError("creating " + dir + ": " + ec.message());
  return Status::ok();
}

Status hostPathVolume(const api::HostPathVolumeSource& src) {
  std::string type = src.type.value_or("");
  std::error_code ec;
  auto st = fs::status(src.path, ec);
  bool exists = fs::exists(st);
  if (type.empty() || type == "DirectoryOrCreate") {
    if (!exists) return makeDirs(src.path);
    return Status::ok();
  }
  if (type == "Directory" && !fs::is_directory(st)) {
    return invalid("hostPath type check failed: " + src.path + " is not a directory");
  }
  if (type == "FileOrCreate" && !exists) {
    RETURN_IF_ERROR(makeDirs(fs::path(src.path).parent_path().string()));
    std::ofstream(src.path).close();
    return Status::ok();
  }
  if (type == "File" && !fs::is_regular_file(st)) {
    return invalid("hostPath type check failed: " + src.path + " is not a file");
  }
  return Status::ok();
}

// Writes `files` (relative path → content) into `dir`, removing files no longer listed.
Status writeProjection(const std::string& dir, const std::map<std::string, std::string>& files,
                       int mode) {
  RETURN_IF_ERROR(makeDirs(dir));
  std::set<std::string> wanted;
  for (const auto& [rel, content] : files) {
    if (rel.empty() || rel.find("..") != std::string::npos || rel.front() == '/') {
      return invalid("invalid volume item path \"" + rel + "\"");
    }
    fs::path target = fs::path(dir) / rel;
    RETURN_IF_ERROR(makeDirs(target.parent_path().string()));
    std::string tmp = target.string() + ".tmp";
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out << content;
      if (!out) return internalError("writing " + tmp);
    }
    ::chmod(tmp.c_str(), static_cast<mode_t>(mode));
    std::error_code ec;
    fs::rename(tmp, target, ec);
    if (ec) return internalError("renaming " + tmp + ": " + ec.message());
    wanted.insert(target.string());
  }
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file() && !wanted.count(it->path().string())) fs::remove(it->path(), ec);
  }
  return Status::ok();
}

Result<std::map<std::string, std::string>> projectedFiles(
    const std::string& kind, const std::string& name, const std::vector<api::KeyToPath>& items,
    bool optional, const ObjectLookup& lookup) {
  auto object = lookup(kind, name);
  std::map<std::string, std::string> files;
  if (!object) {
    if (optional) return files;
    return invalid(kind + " \"" + name + "\" not found");
  }
  if (items.empty()) return object->data;
  for (const auto& item : items) {
    auto it = object->data.find(item.key);
    if (it == object->data.end()) {
      if (optional) continue;
      return invalid("configmap/secret \"" + name + "\" has no key \"" + item.key + "\"");
    }
    files[item.path] = it->second;
  }
  return files;
}

}  // namespace

Result<VolumePaths> prepareVolumes(const api::Pod& pod, const NodePaths& paths,
                                   const ObjectLookup& lookup) {
  VolumePaths out;
  const std::string& uid = pod.metadata.uid;
  for (const auto& v : pod.spec.volumes) {
    if (v.host_path) {
      RETURN_IF_ERROR(hostPathVolume(*v.host_path));
      out[v.name] = v.host_path->path;
    } else if (v.empty_dir) {
      std::string dir = paths.volumeDir(uid, "empty-dir", v.name);
      RETURN_IF_ERROR(makeDirs(dir));
      ::chmod(dir.c_str(), 0777);
      out[v.name] = dir;
    } else if (v.config_map) {
      const auto& src = *v.config_map;
      ASSIGN_OR_RETURN(auto files, projectedFiles("configmap", src.name, src.items,
                                                  src.optional.value_or(false), lookup));
      std::string dir = paths.volumeDir(uid, "configmap", v.name);
      RETURN_IF_ERROR(writeProjection(dir, files, src.default_mode.value_or(0644)));
      out[v.name] = dir;
    } else if (v.secret) {
      const auto& src = *v.secret;
      ASSIGN_OR_RETURN(auto files, projectedFiles("secret", src.secret_name, src.items,
                                                  src.optional.value_or(false), lookup));
      std::string dir = paths.volumeDir(uid, "secret", v.name);
      RETURN_IF_ERROR(writeProjection(dir, files, src.default_mode.value_or(0644)));
      out[v.name] = dir;
    }
    // Other sources (persistentVolumeClaim, projected, downwardAPI) are not supported; a
    // mount of one fails in makeContainerConfig with a clear message.
  }
  return out;
}

VolumePaths plannedVolumePaths(const api::Pod& pod, const NodePaths& paths) {
  VolumePaths out;
  const std::string& uid = pod.metadata.uid;
  for (const auto& v : pod.spec.volumes) {
    if (v.host_path) {
      out[v.name] = v.host_path->path;
    } else if (v.empty_dir) {
      out[v.name] = paths.volumeDir(uid, "empty-dir", v.name);
    } else if (v.config_map) {
      out[v.name] = paths.volumeDir(uid, "configmap", v.name);
    } else if (v.secret) {
      out[v.name] = paths.volumeDir(uid, "secret", v.name);
    }
  }
  return out;
}

void removePodDirectories(const NodePaths& paths, const std::string& uid,
                          const std::string& log_dir) {
  std::error_code ec;
  if (!uid.empty()) fs::remove_all(paths.podDir(uid), ec);
  if (!log_dir.empty()) fs::remove_all(log_dir, ec);
}

}  // namespace minik8s::kubelet
