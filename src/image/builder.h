// Building image archives: from Debian packages (the general builder behind
// `minik8s image build`) and the stock images (`minik8s image build-stock`).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "image/oci_archive.h"

namespace minik8s::image {

struct ImageSpec {
  std::vector<std::string> names;     // as the user wrote them; normalised by the build
  std::vector<std::string> packages;  // Debian packages, with their library closure
  std::vector<std::pair<std::string, std::string>> files;  // host path → image path
  ImageConfig config;
};

struct BuiltArchive {
  std::string path;
  std::vector<std::string> names;  // normalised
  std::string config_digest;       // the CRI image id
  std::string manifest_digest;
  uint64_t size = 0;      // bytes of all layers
  bool written = false;   // false: the archive on disk already had this content
};

// Writes the archive unless `out_path` already holds an image with the same manifest
// digest and names (recorded in `<out_path>.digest`): builds are cached by content.
Result<BuiltArchive> writeArchiveCached(const std::vector<const Layer*>& layers,
                                        const ImageConfig& config,
                                        const std::vector<std::string>& names,
                                        const std::string& out_path);

// One image from packages and files; `work_dir` holds downloaded packages meanwhile.
Result<BuiltArchive> buildImage(const ImageSpec& spec, const std::string& out_path,
                                const std::string& work_dir);

// The stock images: pause, busybox, nginx and the test apps.
struct StockImageInfo {
  std::string file;                // archive file name, "busybox.tar"
  std::vector<std::string> names;  // normalised
};
std::vector<StockImageInfo> stockImages();

// Builds all stock images (or those whose file stem is in `only`) into `out_dir`.
Result<std::vector<BuiltArchive>> buildStockImages(const std::string& out_dir,
                                                   const std::vector<std::string>& only = {});

// The embedded source of a stock program ("pause.c", "greeting_app.py", ...); empty
// when unknown. Generated from images/ at build time.
std::string_view stockSource(std::string_view file);

// The files of /etc that every stock image gets: passwd, group, nsswitch.conf.
void addBaseEtc(Rootfs& rootfs);

}  // namespace minik8s::image
