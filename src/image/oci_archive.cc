#include "image/oci_archive.h"

#include <openssl/evp.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "common/files.h"

namespace minik8s::image {

namespace {

using Json = nlohmann::ordered_json;
constexpr size_t kBlock = 512;

void putOctal(char* field, size_t width, uint64_t value) {
  // width-1 octal digits, zero-padded, then NUL.
  field[width - 1] = '\0';
  for (size_t i = width - 1; i-- > 0;) {
    field[i] = static_cast<char>('0' + (value & 7));
    value >>= 3;
  }
}

std::string paxRecord(const std::string& key, const std::string& value) {
  // "<len> <key>=<value>\n" where len counts itself.
  size_t base = key.size() + value.size() + 3;
  size_t len = base + 1;
  while (std::to_string(len).size() + base != len) ++len;
  return std::to_string(len) + " " + key + "=" + value + "\n";
}

bool fitsUstar(const std::string& s, size_t width) {
  if (s.size() > width) return false;
  for (unsigned char c : s) {
    if (c >= 0x80) return false;
  }
  return true;
}

std::string hexOf(const std::string& digest) { return digest.substr(digest.find(':') + 1); }

Json descriptor(const std::string& media_type, const std::string& digest, size_t size) {
  return Json{{"mediaType", media_type}, {"digest", digest}, {"size", size}};
}

Json stringArrayOrNull(const std::vector<std::string>& v) {
  if (v.empty()) return nullptr;
  return Json(v);
}

}  // namespace

std::string sha256Digest(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static const char* kHex = "0123456789abcdef";
  std::string out = "sha256:";
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 0xf];
  }
  return out;
}

void TarWriter::addEntry(const std::string& path, char type, uint32_t mode,
                         std::string_view data, const std::string& link) {
  const bool long_path = !fitsUstar(path, 100);
  const bool long_link = !fitsUstar(link, 100);
  if (long_path || long_link) {
    std::string records;
    if (long_path) records += paxRecord("path", path);
    if (long_link) records += paxRecord("linkpath", link);
    addEntry("PaxHeaders/" + path.substr(0, 80), 'x', 0644, records, "");
  }
  char h[kBlock];
  std::memset(h, 0, sizeof(h));
  std::memcpy(h, path.data(), std::min<size_t>(path.size(), 100));
  putOctal(h + 100, 8, mode);
  putOctal(h + 108, 8, 0);  // uid
  putOctal(h + 116, 8, 0);  // gid
  putOctal(h + 124, 12, data.size());
  putOctal(h + 136, 12, 0);  // mtime
  h[156] = type;
  std::memcpy(h + 157, link.data(), std::min<size_t>(link.size(), 100));
  std::memcpy(h + 257, "ustar", 6);  // magic "ustar\0"
  std::memcpy(h + 263, "00", 2);
  std::memcpy(h + 265, "root", 4);
  std::memcpy(h + 297, "root", 4);
  std::memset(h + 148, ' ', 8);
  unsigned sum = 0;
  for (unsigned char c : h) sum += c;
  putOctal(h + 148, 7, sum);  // six digits, NUL, then the space that is already there
  h[155] = ' ';
  out_.append(h, kBlock);
  out_.append(data);
  out_.append((kBlock - data.size() % kBlock) % kBlock, '\0');
}

void TarWriter::addDirectory(const std::string& path, uint32_t mode) {
  addEntry(path.back() == '/' ? path : path + "/", '5', mode, {}, "");
}

void TarWriter::addFile(const std::string& path, std::string_view data, uint32_t mode) {
  addEntry(path, '0', mode, data, "");
}

void TarWriter::addSymlink(const std::string& path, const std::string& target) {
  addEntry(path, '2', 0777, {}, target);
}

std::string TarWriter::finish() {
  out_.append(2 * kBlock, '\0');
  return std::move(out_);
}

Result<std::vector<TarMember>> readTar(std::string_view tar) {
  std::vector<TarMember> out;
  size_t pos = 0;
  std::string pax_path, pax_link;
  auto octal = [](const char* f, size_t w) {
    uint64_t v = 0;
    for (size_t i = 0; i < w && f[i] >= '0' && f[i] <= '7'; ++i) v = v * 8 + (f[i] - '0');
    return v;
  };
  while (pos + kBlock <= tar.size()) {
    const char* h = tar.data() + pos;
    bool zero = true;
    for (size_t i = 0; i < kBlock; ++i) zero = zero && h[i] == 0;
    if (zero) break;
    unsigned sum = 0;
    for (size_t i = 0; i < kBlock; ++i) {
      sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(h[i]);
    }
    if (sum != octal(h + 148, 8)) return invalid("tar: bad header checksum at " + std::to_string(pos));
    TarMember m;
    m.path.assign(h, strnlen(h, 100));
    if (std::memcmp(h + 257, "ustar", 5) == 0 && h[345] != 0) {
      m.path = std::string(h + 345, strnlen(h + 345, 155)) + "/" + m.path;
    }
    m.mode = static_cast<uint32_t>(octal(h + 100, 8));
    m.uid = static_cast<uint32_t>(octal(h + 108, 8));
    m.gid = static_cast<uint32_t>(octal(h + 116, 8));
    uint64_t size = octal(h + 124, 12);
    m.mtime = static_cast<int64_t>(octal(h + 136, 12));
    m.type = h[156] == 0 ? '0' : h[156];
    m.link_target.assign(h + 157, strnlen(h + 157, 100));
    pos += kBlock;
    if (pos + size > tar.size()) return invalid("tar: truncated member " + m.path);
    m.data.assign(tar.substr(pos, size));
    pos += (size + kBlock - 1) / kBlock * kBlock;
    if (m.type == 'x') {
      size_t p = 0;
      while (p < m.data.size()) {
        size_t sp = m.data.find(' ', p);
        if (sp == std::string::npos) break;
        size_t len = std::stoul(m.data.substr(p, sp - p));
        std::string rec = m.data.substr(sp + 1, len - (sp - p) - 2);
        auto eq = rec.find('=');
        if (rec.substr(0, eq) == "path") pax_path = rec.substr(eq + 1);
        if (rec.substr(0, eq) == "linkpath") pax_link = rec.substr(eq + 1);
        p += len;
      }
      continue;
    }
    if (!pax_path.empty()) m.path = std::move(pax_path);
    if (!pax_link.empty()) m.link_target = std::move(pax_link);
    pax_path.clear();
    pax_link.clear();
    out.push_back(std::move(m));
  }
  return out;
}

Result<Layer> buildLayer(const Rootfs& rootfs) {
  // Implied parent directories.
  std::set<std::string> dirs;
  for (const auto& [path, e] : rootfs.entries()) {
    for (size_t p = path.find('/'); p != std::string::npos; p = path.find('/', p + 1)) {
      dirs.insert(path.substr(0, p));
    }
  }
  std::map<std::string, RootfsEntry> all = rootfs.entries();
  for (const auto& d : dirs) {
    if (!all.count(d)) all[d] = {EntryType::kDirectory, 0755, "", "", ""};
  }
  TarWriter w;
  for (const auto& [path, e] : all) {
    switch (e.type) {
      case EntryType::kDirectory:
        w.addDirectory(path, e.mode);
        break;
      case EntryType::kSymlink:
        w.addSymlink(path, e.link_target);
        break;
      case EntryType::kFile:
        if (e.host_source.empty()) {
          w.addFile(path, e.content, e.mode);
        } else {
          ASSIGN_OR_RETURN(std::string data, readFile(e.host_source));
          w.addFile(path, data, e.mode);
        }
        break;
    }
  }
  Layer layer;
  layer.tar = w.finish();
  layer.digest = sha256Digest(layer.tar);
  return layer;
}

OciImage describeImage(const std::vector<const Layer*>& layers, const ImageConfig& config,
                       const std::vector<std::string>& names) {
  Json cfg = {{"Env", config.env},
              {"Entrypoint", stringArrayOrNull(config.entrypoint)},
              {"Cmd", stringArrayOrNull(config.cmd)},
              {"WorkingDir", config.working_dir}};
  if (!config.user.empty()) cfg["User"] = config.user;
  if (!config.exposed_ports.empty()) {
    Json ports = Json::object();
    for (const auto& p : config.exposed_ports) ports[p] = Json::object();
    cfg["ExposedPorts"] = ports;
  }
  if (!config.labels.empty()) cfg["Labels"] = config.labels;
  Json diff_ids = Json::array();
  Json history = Json::array();
  for (const Layer* l : layers) {
    diff_ids.push_back(l->digest);
    history.push_back({{"created", "1970-01-01T00:00:00Z"}, {"created_by", config.created_by}});
  }
  Json image_config = {{"architecture", "amd64"},
                       {"os", "linux"},
                       {"created", "1970-01-01T00:00:00Z"},
                       {"config", cfg},
                       {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}},
                       {"history", history}};
  OciImage img;
  img.names = names;
  img.config_json = image_config.dump();
  img.config_digest = sha256Digest(img.config_json);
  Json layer_descs = Json::array();
  for (const Layer* l : layers) {
    layer_descs.push_back(
        descriptor("application/vnd.oci.image.layer.v1.tar", l->digest, l->tar.size()));
  }
  Json manifest = {{"schemaVersion", 2},
                   {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                   {"config", descriptor("application/vnd.oci.image.config.v1+json",
                                         img.config_digest, img.config_json.size())},
                   {"layers", layer_descs}};
  img.manifest_json = manifest.dump();
  img.manifest_digest = sha256Digest(img.manifest_json);
  return img;
}

Status writeOciArchive(const std::vector<const Layer*>& layers, const OciImage& image,
                       const std::string& out_path) {
  Json manifests = Json::array();
  for (const auto& name : image.names) {
    std::string ref = name.substr(name.rfind(':') + 1);
    Json d = descriptor("application/vnd.oci.image.manifest.v1+json", image.manifest_digest,
                        image.manifest_json.size());
    d["platform"] = {{"architecture", "amd64"}, {"os", "linux"}};
    d["annotations"] = {{"io.containerd.image.name", name},
                        {"org.opencontainers.image.ref.name", ref}};
    manifests.push_back(d);
  }
  Json index = {{"schemaVersion", 2},
                {"mediaType", "application/vnd.oci.image.index.v1+json"},
                {"manifests", manifests}};
  std::map<std::string, std::string_view> blobs;
  blobs[hexOf(image.config_digest)] = image.config_json;
  blobs[hexOf(image.manifest_digest)] = image.manifest_json;
  for (const Layer* l : layers) blobs[hexOf(l->digest)] = l->tar;

  TarWriter w;
  w.addDirectory("blobs", 0755);
  w.addDirectory("blobs/sha256", 0755);
  for (const auto& [hex, data] : blobs) w.addFile("blobs/sha256/" + hex, data, 0644);
  w.addFile("index.json", index.dump(), 0644);
  w.addFile("oci-layout", R"({"imageLayoutVersion":"1.0.0"})", 0644);
  std::string tar = w.finish();

  std::string tmp = out_path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return internalError("writing " + tmp + ": " + std::strerror(errno));
    out.write(tar.data(), static_cast<std::streamsize>(tar.size()));
    if (!out.flush()) return internalError("writing " + tmp + ": " + std::strerror(errno));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, out_path, ec);
  if (ec) return internalError("renaming " + tmp + ": " + ec.message());
  return Status::ok();
}

}  // namespace minik8s::image
