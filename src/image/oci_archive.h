// Deterministic OCI image-layout archives: the same files and config always give the same
// digests, so a build can tell whether anything changed.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "image/rootfs.h"

namespace minik8s::image {

// "sha256:<hex>" of the bytes.
std::string sha256Digest(std::string_view data);

// One uncompressed layer: a PAX/ustar tar of a Rootfs with relative paths, uid/gid 0,
// mtime 0, entries sorted by path (parents first, implied parents added as 0755).
struct Layer {
  std::string tar;     // the bytes
  std::string digest;  // sha256 of `tar`: blob digest and diff_id alike
};
Result<Layer> buildLayer(const Rootfs& rootfs);

// The "config" part of an image config.
struct ImageConfig {
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::vector<std::string> env;  // "K=V"
  std::string working_dir = "/";
  std::vector<std::string> exposed_ports;  // "5000/tcp"
  std::string user;
  std::map<std::string, std::string> labels;
  std::string created_by = "minik8s image build";
};

struct OciImage {
  std::vector<std::string> names;  // normalised, each becomes an index entry
  std::string config_json;
  std::string manifest_json;
  std::string config_digest;    // the CRI image id
  std::string manifest_digest;
};

// The config and manifest of an image made of `layers` (bottom first).
OciImage describeImage(const std::vector<const Layer*>& layers, const ImageConfig& config,
                       const std::vector<std::string>& names);

// Writes an OCI image-layout tar (oci-layout, index.json with io.containerd.image.name
// and org.opencontainers.image.ref.name per name, blobs/sha256/*) to `out_path`
// atomically. `names` must already be normalised.
Status writeOciArchive(const std::vector<const Layer*>& layers, const OciImage& image,
                       const std::string& out_path);

// A tar writer for the formats above (exposed for tests and for docker-archive writing).
class TarWriter {
 public:
  void addDirectory(const std::string& path, uint32_t mode);
  void addFile(const std::string& path, std::string_view data, uint32_t mode);
  void addSymlink(const std::string& path, const std::string& target);
  // Two zero blocks; the result is complete after this.
  std::string finish();

 private:
  void addEntry(const std::string& path, char type, uint32_t mode, std::string_view data,
                const std::string& link);
  std::string out_;
};

// A parsed tar member, for reading archives back (tests, `image load` checks).
struct TarMember {
  std::string path;
  char type = '0';
  uint32_t mode = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
  int64_t mtime = 0;
  std::string link_target;
  std::string data;
};
Result<std::vector<TarMember>> readTar(std::string_view tar);

}  // namespace minik8s::image
