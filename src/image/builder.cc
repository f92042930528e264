#include "image/builder.h"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <algorithm>
#include <sstream>

#include "common/files.h"
#include "common/log.h"
#include "image/command.h"
#include "image/debian.h"
#include "image/reference.h"

namespace minik8s::image {

namespace fs = std::filesystem;

namespace {

const char* kPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// A private temporary directory, removed on destruction.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "minik8s-image-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

Result<std::vector<std::string>> normalizeAll(const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (const auto& n : names) {
    ASSIGN_OR_RETURN(std::string norm, normalizeImageName(n));
    out.push_back(norm);
  }
  if (out.empty()) return invalid("an image needs at least one name");
  return out;
}

Result<Rootfs> pauseRootfs(const std::string& work_dir) {
  const std::string src = work_dir + "/pause.c";
  const std::string bin = work_dir + "/pause";
  {
    std::ofstream out(src);
    out << stockSource("pause.c");
  }
  RETURN_IF_ERROR(runChecked({"gcc", "-Os", "-static", "-s", "-o", bin, src}).status());
  Rootfs rootfs;
  ASSIGN_OR_RETURN(std::string pause, readFile(bin));
  rootfs.addFileContent("/pause", std::move(pause), 0755);
  return rootfs;
}

Result<Rootfs> busyboxRootfs(const std::string& work_dir) {
  std::string busybox = "/bin/busybox";
  Rootfs rootfs;
  auto ldd = runCommand({"ldd", busybox});
  const bool host_static = fs::exists(busybox) && ldd.isOk() && ldd->exit_code != 0;
  if (!host_static) {
    Rootfs tmp;
    RETURN_IF_ERROR(addDebianPackages(tmp, {"busybox-static"}, work_dir));
    const auto& e = tmp.entries().find("usr/bin/busybox");
    if (e == tmp.entries().end()) return notFound("busybox-static has no /bin/busybox");
    busybox = e->second.host_source;
  }
  rootfs.addFileFromHost("/bin/busybox", busybox, 0755);
  ASSIGN_OR_RETURN(std::string list, runChecked({busybox, "--list-full"}));
  std::istringstream in(list);
  std::string applet;
  while (std::getline(in, applet)) {
    if (applet.empty() || canonicalImagePath(applet) == "usr/bin/busybox") continue;
    rootfs.addSymlink("/" + applet, "/bin/busybox");
  }
  addBaseEtc(rootfs);
  return rootfs;
}

Result<Rootfs> nginxRootfs(const std::string& work_dir) {
  Rootfs rootfs;
  RETURN_IF_ERROR(addDebianPackages(rootfs, {"nginx", "nginx-common"}, work_dir));
  RETURN_IF_ERROR(addSharedLibraryClosure(rootfs));
  addBaseEtc(rootfs);
  rootfs.addSymlink("/etc/nginx/sites-enabled/default", "/etc/nginx/sites-available/default");
  if (rootfs.contains("/usr/share/nginx/html/index.html")) {
    rootfs.addFileFromHost("/var/www/html/index.html", "/usr/share/nginx/html/index.html", 0644);
  } else {
    rootfs.addFileContent("/var/www/html/index.html",
                          "<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>\n"
                          "</head>\n<body>\n<h1>Welcome to nginx!</h1>\n</body>\n</html>\n");
  }
  for (const char* d : {"/var/log/nginx", "/var/lib/nginx", "/var/cache/nginx", "/run"}) {
    rootfs.addDirectory(d);
  }
  // Logs to the container's stdout/stderr, like the official image.
  rootfs.addSymlink("/var/log/nginx/access.log", "/dev/stdout");
  rootfs.addSymlink("/var/log/nginx/error.log", "/dev/stderr");
  return rootfs;
}

// Adds __pycache__/*.cpython-311.pyc for every standard-library module in the rootfs.
// Debian generates them at install time (so dpkg -L does not list them); without them every
// start compiles what it imports, which under a 30m CPU limit took ~20 s before an app
// answered. Compiled from copies, in unchecked-hash mode: the layer's mtimes are 0, which
// timestamp-checked .pyc files would never match.
Status addPrecompiledBytecode(Rootfs& rootfs, const std::string& work_dir) {
  const std::string prefix = "usr/lib/python3.11/";
  const std::string copy_root = work_dir + "/pyc";
  std::vector<std::string> sources;
  for (const auto& [path, entry] : rootfs.entries()) {
    if (entry.type != EntryType::kFile || entry.host_source.empty()) continue;
    if (!path.starts_with(prefix) || !path.ends_with(".py")) continue;
    fs::path dest = fs::path(copy_root) / path;
    std::error_code ec;
    fs::create_directories(dest.parent_path(), ec);
    fs::copy_file(entry.host_source, dest, fs::copy_options::overwrite_existing, ec);
    if (ec) return internalError("copying " + entry.host_source + ": " + ec.message());
    sources.push_back(path);
  }
  if (sources.empty()) return Status::ok();
  RETURN_IF_ERROR(runChecked({"python3", "-m", "compileall", "-q", "-j", "0", "--invalidation-mode",
                              "unchecked-hash", "-s", copy_root, "-p", "/",
                              copy_root + "/" + prefix})
                      .status());
  for (const auto& path : sources) {
    fs::path py(path);
    fs::path pyc = py.parent_path() / "__pycache__" / (py.stem().string() + ".cpython-311.pyc");
    if (fs::exists(fs::path(copy_root) / pyc)) {
      rootfs.addFileFromHost("/" + pyc.string(), (fs::path(copy_root) / pyc).string(), 0644);
    }
  }
  return Status::ok();
}

Result<Rootfs> pythonRootfs(const std::string& work_dir) {
  Rootfs rootfs;
  RETURN_IF_ERROR(addDebianPackages(
      rootfs, {"python3-minimal", "python3.11-minimal", "libpython3.11-minimal",
               "libpython3.11-stdlib"},
      work_dir));
  RETURN_IF_ERROR(addSharedLibraryClosure(rootfs));
  RETURN_IF_ERROR(addPrecompiledBytecode(rootfs, work_dir));
  addBaseEtc(rootfs);
  return rootfs;
}

ImageConfig pythonAppConfig(const std::string& app, std::vector<std::string> env, int port) {
  ImageConfig c;
  c.entrypoint = {"/usr/bin/python3", "-u", "/app/" + app};
  c.env = {kPath, "PYTHONDONTWRITEBYTECODE=1"};
  for (auto& e : env) c.env.push_back(std::move(e));
  c.working_dir = "/app";
  c.exposed_ports = {std::to_string(port) + "/tcp"};
  c.created_by = "minik8s image build-stock";
  return c;
}

}  // namespace

void addBaseEtc(Rootfs& rootfs) {
  rootfs.addFileContent("/etc/passwd",
                        "root:x:0:0:root:/root:/bin/sh\n"
                        "www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n"
                        "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
  rootfs.addFileContent("/etc/group",
                        "root:x:0:\nwww-data:x:33:\nnogroup:x:65534:\n");
  rootfs.addFileContent("/etc/nsswitch.conf", "passwd: files\ngroup: files\nhosts: files dns\n");
}

Result<BuiltArchive> writeArchiveCached(const std::vector<const Layer*>& layers,
                                        const ImageConfig& config,
                                        const std::vector<std::string>& names,
                                        const std::string& out_path) {
  OciImage img = describeImage(layers, config, names);
  BuiltArchive out;
  out.path = out_path;
  out.names = names;
  out.config_digest = img.config_digest;
  out.manifest_digest = img.manifest_digest;
  for (const Layer* l : layers) out.size += l->tar.size();
  std::string stamp = img.manifest_digest + "\n";
  for (const auto& n : names) stamp += n + "\n";
  const std::string stamp_path = out_path + ".digest";
  if (fs::exists(out_path)) {
    auto recorded = readFile(stamp_path);
    if (recorded.isOk() && *recorded == stamp) return out;
  }
  RETURN_IF_ERROR(writeOciArchive(layers, img, out_path));
  std::ofstream(stamp_path, std::ios::trunc) << stamp;
  out.written = true;
  return out;
}

Result<BuiltArchive> buildImage(const ImageSpec& spec, const std::string& out_path,
                                const std::string& work_dir) {
  ASSIGN_OR_RETURN(auto names, normalizeAll(spec.names));
  Rootfs rootfs;
  RETURN_IF_ERROR(addDebianPackages(rootfs, spec.packages, work_dir));
  for (const auto& [src, dst] : spec.files) {
    RETURN_IF_ERROR(rootfs.addHostPath(dst, src));
  }
  RETURN_IF_ERROR(addSharedLibraryClosure(rootfs));
  addBaseEtc(rootfs);
  ImageConfig config = spec.config;
  if (config.env.empty() ||
      std::none_of(config.env.begin(), config.env.end(),
                   [](const std::string& e) { return e.rfind("PATH=", 0) == 0; })) {
    config.env.insert(config.env.begin(), kPath);
  }
  ASSIGN_OR_RETURN(Layer layer, buildLayer(rootfs));
  return writeArchiveCached({&layer}, config, names, out_path);
}

std::vector<StockImageInfo> stockImages() {
  return {
      {"pause.tar", {"k8s.local/pause:1.0"}},
      {"busybox.tar", {"docker.io/library/busybox:1.36.1", "docker.io/library/busybox:latest"}},
      {"nginx.tar", {"docker.io/library/nginx:latest"}},
      {"greeting-app.tar", {"docker.io/library/greeting-app:latest"}},
      {"greeting-app-5001.tar", {"docker.io/library/greeting-app:5001"}},
      {"welcome-app.tar", {"docker.io/library/welcome-app:latest"}},
      {"myip.tar", {"docker.io/library/myip:latest"}},
      {"flask-stress-app.tar", {"docker.io/library/flask-stress-app:latest"}},
  };
}

Result<std::vector<BuiltArchive>> buildStockImages(const std::string& out_dir,
                                                   const std::vector<std::string>& only) {
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) return internalError("creating " + out_dir + ": " + ec.message());
  TempDir work;
  if (work.path().empty()) return internalError("cannot create a temporary directory");
  auto wanted = [&](const std::string& file) {
    if (only.empty()) return true;
    std::string stem = fs::path(file).stem().string();
    return std::find(only.begin(), only.end(), stem) != only.end();
  };
  std::map<std::string, std::vector<std::string>> names_of;
  for (const auto& s : stockImages()) names_of[s.file] = s.names;
  std::vector<BuiltArchive> built;
  auto emit = [&](const std::string& file, const std::vector<const Layer*>& layers,
                  const ImageConfig& config) -> Status {
    auto t0 = std::chrono::steady_clock::now();
    ASSIGN_OR_RETURN(BuiltArchive a,
                     writeArchiveCached(layers, config, names_of[file], out_dir + "/" + file));
    log::info("image {} {} ({} bytes, {} ms)", file, a.written ? "written" : "unchanged", a.size,
              std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::steady_clock::now() - t0)
                  .count());
    built.push_back(std::move(a));
    return Status::ok();
  };

  if (wanted("pause.tar")) {
    ASSIGN_OR_RETURN(Rootfs rootfs, pauseRootfs(work.path()));
    ASSIGN_OR_RETURN(Layer layer, buildLayer(rootfs));
    ImageConfig c;
    c.entrypoint = {"/pause"};
    c.env = {kPath};
    c.created_by = "minik8s image build-stock";
    RETURN_IF_ERROR(emit("pause.tar", {&layer}, c));
  }
  if (wanted("busybox.tar")) {
    ASSIGN_OR_RETURN(Rootfs rootfs, busyboxRootfs(work.path()));
    ASSIGN_OR_RETURN(Layer layer, buildLayer(rootfs));
    ImageConfig c;
    c.cmd = {"sh"};
    c.env = {kPath};
    c.created_by = "minik8s image build-stock";
    RETURN_IF_ERROR(emit("busybox.tar", {&layer}, c));
  }
  if (wanted("nginx.tar")) {
    // busybox under nginx: a shell and the usual tools, as Debian's nginx image has (the
    // ingress add-on's reload loop is a sh script).
    ASSIGN_OR_RETURN(Rootfs tools, busyboxRootfs(work.path()));
    ASSIGN_OR_RETURN(Layer tools_layer, buildLayer(tools));
    ASSIGN_OR_RETURN(Rootfs rootfs, nginxRootfs(work.path()));
    ASSIGN_OR_RETURN(Layer layer, buildLayer(rootfs));
    ImageConfig c;
    c.entrypoint = {"/usr/sbin/nginx", "-g", "daemon off;"};
    c.env = {kPath};
    c.exposed_ports = {"80/tcp"};
    c.created_by = "minik8s image build-stock";
    RETURN_IF_ERROR(emit("nginx.tar", {&tools_layer, &layer}, c));
  }
  struct App {
    const char* file;
    const char* source;
    std::vector<std::string> env;
    int port;
  };
  const std::vector<App> apps = {
      {"greeting-app.tar", "greeting_app.py", {"PORT=5000"}, 5000},
      {"greeting-app-5001.tar", "greeting_app.py", {"PORT=5001"}, 5001},
      {"welcome-app.tar", "welcome_app.py", {"PORT=80", "VERSION=1"}, 80},
      {"myip.tar", "myip.py", {"PORT=5000"}, 5000},
      {"flask-stress-app.tar", "flask_stress_app.py", {"PORT=5000"}, 5000},
  };
  bool any_app = false;
  for (const auto& a : apps) any_app = any_app || wanted(a.file);
  if (any_app) {
    // Layers shared by all apps: busybox (a shell and the usual tools, as the original's
    // Python base images had, for `kubectl exec ... sh -c`), then python; then one small
    // layer per app.
    ASSIGN_OR_RETURN(Rootfs tools, busyboxRootfs(work.path()));
    ASSIGN_OR_RETURN(Layer tools_layer, buildLayer(tools));
    ASSIGN_OR_RETURN(Rootfs base, pythonRootfs(work.path()));
    ASSIGN_OR_RETURN(Layer base_layer, buildLayer(base));
    for (const auto& a : apps) {
      if (!wanted(a.file)) continue;
      Rootfs app;
      app.addDirectory("/app");
      app.addFileContent(std::string("/app/") + a.source, std::string(stockSource(a.source)),
                         0755);
      ASSIGN_OR_RETURN(Layer app_layer, buildLayer(app));
      RETURN_IF_ERROR(emit(a.file, {&tools_layer, &base_layer, &app_layer},
                           pythonAppConfig(a.source, a.env, a.port)));
    }
  }
  return built;
}

}  // namespace minik8s::image
