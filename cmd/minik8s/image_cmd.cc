#include "cmd/minik8s/image_cmd.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>

#include "cmd/minik8s/cmd_util.h"
#include "common/log.h"
#include "cri/cri_runtime.h"
#include "image/builder.h"
#include "image/loader.h"
#include "image/reference.h"
#include "node/containerd_config.h"

namespace minik8s::cmd {

namespace {

namespace fs = std::filesystem;

struct ImageFlags {
  std::string out_dir = "/var/lib/minik8s/images";
  std::vector<std::string> only;
  std::vector<std::string> names;
  std::vector<std::string> packages;
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::vector<std::string> env;
  std::vector<std::string> files;
  std::vector<std::string> ports;
  std::string workdir = "/";
  std::string out_file;
  std::vector<std::string> archives;
  std::string address = std::string(node::kDefaultContainerdBaseDir) + "/containerd.sock";
};


std::string humanSize(uint64_t bytes) {
  char buf[32];
  if (bytes >= (1ULL << 20)) {
    std::snprintf(buf, sizeof(buf), "%.1fMB", static_cast<double>(bytes) / 1e6);
  } else {
    std::snprintf(buf, sizeof(buf), "%.1fkB", static_cast<double>(bytes) / 1e3);
  }
  return buf;
}

int runBuildStock(const ImageFlags& f) {
  auto t0 = std::chrono::steady_clock::now();
  auto built = image::buildStockImages(f.out_dir, f.only);
  if (!built.isOk()) return reportError(built.status().toString());
  for (const auto& a : *built) {
    std::string names;
    for (const auto& n : a.names) names += (names.empty() ? "" : ",") + n;
    std::printf("%-45s %-9s %s  %s\n", a.path.c_str(), a.written ? "written" : "unchanged",
                humanSize(a.size).c_str(), names.c_str());
  }
  std::printf("built %zu images in %.1fs\n", built->size(), secondsSince(t0));
  return 0;
}

int runBuild(const ImageFlags& f) {
  image::ImageSpec spec;
  spec.names = f.names;
  spec.packages = f.packages;
  for (const auto& file : f.files) {
    auto colon = file.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == file.size()) {
      return reportError(invalid("--file wants SRC:DST, got \"" + file + "\"").toString());
    }
    spec.files.emplace_back(file.substr(0, colon), file.substr(colon + 1));
  }
  spec.config.entrypoint = f.entrypoint;
  spec.config.cmd = f.cmd;
  spec.config.env = f.env;
  spec.config.working_dir = f.workdir;
  for (const auto& p : f.ports) {
    spec.config.exposed_ports.push_back(p.find('/') == std::string::npos ? p + "/tcp" : p);
  }
  std::string out = f.out_file;
  if (out.empty()) {
    auto ref = image::parseImageReference(f.names.front());
    if (!ref.isOk()) return reportError(ref.status().toString());
    out = fs::path(ref->path).filename().string() + ".tar";
  }
  std::string work = (fs::temp_directory_path() / "minik8s-build-XXXXXX").string();
  if (::mkdtemp(work.data()) == nullptr) return reportError(internalError("mkdtemp failed").toString());
  auto t0 = std::chrono::steady_clock::now();
  auto built = image::buildImage(spec, out, work);
  std::error_code ec;
  fs::remove_all(work, ec);
  if (!built.isOk()) return reportError(built.status().toString());
  std::printf("%s %s (%s, id %s) in %.1fs\n", out.c_str(),
              built->written ? "written" : "unchanged", humanSize(built->size).c_str(),
              built->config_digest.c_str(), secondsSince(t0));
  return 0;
}

int runLoad(const ImageFlags& f) {
  for (const auto& archive : f.archives) {
    auto t0 = std::chrono::steady_clock::now();
    Status s = image::importArchive(f.address, archive);
    if (!s.isOk()) return reportError(s.toString());
    std::printf("loaded %s in %.2fs\n", archive.c_str(), secondsSince(t0));
  }
  return 0;
}

int runList(const ImageFlags& f) {
  auto rt = cri::CriRuntime::connect(f.address);
  auto images = rt->listImages();
  if (!images.isOk()) return reportError(images.status().toString());
  std::printf("%-45s %-10s %-15s %s\n", "IMAGE", "TAG", "IMAGE ID", "SIZE");
  for (const auto& img : *images) {
    std::string id = img.id.substr(img.id.find(':') + 1, 13);
    if (img.repo_tags.empty()) {
      std::printf("%-45s %-10s %-15s %s\n", "<none>", "<none>", id.c_str(),
                  humanSize(img.size).c_str());
    }
    for (const auto& tag : img.repo_tags) {
      auto colon = tag.rfind(':');
      std::printf("%-45s %-10s %-15s %s\n", tag.substr(0, colon).c_str(),
                  tag.substr(colon + 1).c_str(), id.c_str(), humanSize(img.size).c_str());
    }
  }
  return 0;
}

}  // namespace

void addImageCommand(CLI::App& app) {
  auto flags = std::make_shared<ImageFlags>();
  auto* image = app.add_subcommand("image", "build, load and list container images (offline)");
  image->require_subcommand(1);

  auto* stock = image->add_subcommand(
      "build-stock", "build the stock images (pause, busybox, nginx, test apps) as OCI archives");
  stock->add_option("--out", flags->out_dir, "output directory")->capture_default_str();
  stock->add_option("--only", flags->only, "only these (file stems, e.g. busybox greeting-app)");
  stock->callback([flags] { std::exit(runBuildStock(*flags)); });

  auto* build = image->add_subcommand(
      "build", "build an image from Debian packages (with their shared-library closure)");
  build->add_option("--name", flags->names, "image name(s), normalised like Docker's")
      ->required();
  build->add_option("--package", flags->packages, "Debian package(s) whose files to include");
  build->add_option("--entrypoint", flags->entrypoint, "ENTRYPOINT argv")->allow_extra_args();
  build->add_option("--cmd", flags->cmd, "CMD argv");
  build->add_option("--env", flags->env, "K=V");
  build->add_option("--file", flags->files, "host SRC:image DST (files or directories)");
  build->add_option("--port", flags->ports, "exposed port, e.g. 6379 or 53/udp");
  build->add_option("--workdir", flags->workdir, "working directory")->capture_default_str();
  build->add_option("--out", flags->out_file, "archive path (default: ./<name>.tar)");
  build->callback([flags] { std::exit(runBuild(*flags)); });

  auto* load = image->add_subcommand(
      "load", "import OCI-layout or docker-archive tars into the node's containerd (k8s.io)");
  load->add_option("archive", flags->archives, "archive file(s)")->required();
  load->add_option("--address", flags->address, "containerd socket")->capture_default_str();
  load->callback([flags] { std::exit(runLoad(*flags)); });

  auto* ls = image->add_subcommand("ls", "list the images the node's runtime has (CRI)");
  ls->add_option("--address", flags->address, "containerd socket")->capture_default_str();
  ls->callback([flags] { std::exit(runList(*flags)); });
}

}  // namespace minik8s::cmd
