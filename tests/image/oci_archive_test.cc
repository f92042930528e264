#include "image/oci_archive.h"
#include "testing/file_text.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

namespace minik8s::image {
namespace oci_archive_test {

namespace fs = std::filesystem;

std::map<std::string, TarMember> byPath(const std::vector<TarMember>& members) {
  std::map<std::string, TarMember> out;
  for (const auto& m : members) out[m.path] = m;
  return out;
}

Rootfs sampleRootfs() {
  Rootfs r;
  r.addFileContent("/bin/hello", "#!/bin/sh\necho hi\n", 0755);
  r.addSymlink("/usr/bin/hi", "/bin/hello");
  r.addDirectory("/srv/data", 0700);
  r.addFileContent("/srv/" + std::string(120, 'x') + "/long-name.txt", "long", 0644);
  return r;
}

TEST(Sha256Digest, KnownValues) {
  EXPECT_EQ(sha256Digest(""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256Digest("abc"),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(CanonicalImagePath, FoldsUsrMergeAndNormalises) {
  struct Case {
    const char* in;
    const char* want;
  } cases[] = {
      {"/bin/sh", "usr/bin/sh"},         {"/lib/x86_64-linux-gnu/libc.so.6",
                                          "usr/lib/x86_64-linux-gnu/libc.so.6"},
      {"/lib64/ld-linux-x86-64.so.2", "usr/lib64/ld-linux-x86-64.so.2"},
      {"/sbin/init", "usr/sbin/init"},   {"/usr/bin/python3", "usr/bin/python3"},
      {"//etc/./passwd", "etc/passwd"},  {"/", ""},
      {"/a/../b", ""},                   {"binary/x", "binary/x"},
  };
  for (const auto& c : cases) EXPECT_EQ(canonicalImagePath(c.in), c.want) << c.in;
}

TEST(BuildLayer, WritesAUstarPaxTarThatParsesBack) {
  auto layer = buildLayer(sampleRootfs());
  ASSERT_TRUE(layer.isOk()) << layer.status().toString();
  EXPECT_EQ(layer->tar.size() % 512, 0u);
  auto members = readTar(layer->tar);
  ASSERT_TRUE(members.isOk()) << members.status().toString();
  auto m = byPath(*members);
  ASSERT_TRUE(m.count("usr/bin/hello"));
  EXPECT_EQ(m["usr/bin/hello"].data, "#!/bin/sh\necho hi\n");
  EXPECT_EQ(m["usr/bin/hello"].mode, 0755u);
  EXPECT_EQ(m["usr/bin/hi"].type, '2');
  EXPECT_EQ(m["usr/bin/hi"].link_target, "/bin/hello");
  EXPECT_EQ(m["bin"].type, '2');  // usrmerge link
  EXPECT_EQ(m["bin"].link_target, "usr/bin");
  EXPECT_EQ(m["tmp/"].mode, 01777u);
  EXPECT_EQ(m["srv/data/"].mode, 0700u);
  EXPECT_EQ(m["srv/"].type, '5');  // implied parent
  std::string long_path = "srv/" + std::string(120, 'x') + "/long-name.txt";
  ASSERT_TRUE(m.count(long_path)) << "PAX path record missing";
  EXPECT_EQ(m[long_path].data, "long");
  for (const auto& mem : *members) {
    EXPECT_EQ(mem.uid, 0u) << mem.path;
    EXPECT_EQ(mem.gid, 0u) << mem.path;
    EXPECT_EQ(mem.mtime, 0) << mem.path;
    EXPECT_NE(mem.path[0], '/') << mem.path;
  }
  // Parents come before children.
  std::vector<std::string> paths;
  for (const auto& mem : *members) paths.push_back(mem.path);
  EXPECT_TRUE(std::is_sorted(paths.begin(), paths.end()));
}

TEST(BuildLayer, IsDeterministic) {
  auto a = buildLayer(sampleRootfs());
  auto b = buildLayer(sampleRootfs());
  ASSERT_TRUE(a.isOk() && b.isOk());
  EXPECT_EQ(a->digest, b->digest);
  EXPECT_EQ(a->digest, sha256Digest(a->tar));
  Rootfs other = sampleRootfs();
  other.addFileContent("/extra", "x");
  EXPECT_NE(buildLayer(other)->digest, a->digest);
}

TEST(BuildLayer, MissingHostFileIsAnError) {
  Rootfs r;
  r.addFileFromHost("/x", "/nonexistent/minik8s-test-file", 0644);
  EXPECT_FALSE(buildLayer(r).isOk());
}

TEST(DescribeImage, ConfigAndManifestReferenceTheLayers) {
  auto layer = buildLayer(sampleRootfs());
  ImageConfig c;
  c.entrypoint = {"/bin/hello"};
  c.env = {"PATH=/usr/bin:/bin", "A=1"};
  c.exposed_ports = {"5000/tcp"};
  auto img = describeImage({&*layer}, c, {"docker.io/library/hello:latest"});
  auto cfg = nlohmann::json::parse(img.config_json);
  EXPECT_EQ(cfg["architecture"], "amd64");
  EXPECT_EQ(cfg["os"], "linux");
  EXPECT_EQ(cfg["config"]["Entrypoint"][0], "/bin/hello");
  EXPECT_TRUE(cfg["config"]["Cmd"].is_null());
  EXPECT_EQ(cfg["config"]["Env"][1], "A=1");
  EXPECT_TRUE(cfg["config"]["ExposedPorts"].contains("5000/tcp"));
  EXPECT_EQ(cfg["rootfs"]["diff_ids"][0], layer->digest);
  auto man = nlohmann::json::parse(img.manifest_json);
  EXPECT_EQ(man["schemaVersion"], 2);
  EXPECT_EQ(man["config"]["digest"], img.config_digest);
  EXPECT_EQ(man["config"]["size"], img.config_json.size());
  EXPECT_EQ(man["layers"][0]["digest"], layer->digest);
  EXPECT_EQ(man["layers"][0]["mediaType"], "application/vnd.oci.image.layer.v1.tar");
  EXPECT_EQ(img.config_digest, sha256Digest(img.config_json));
  EXPECT_EQ(img.manifest_digest, sha256Digest(img.manifest_json));
  // Same inputs, same digests.
  EXPECT_EQ(describeImage({&*layer}, c, {"x"}).manifest_digest, img.manifest_digest);
}

TEST(WriteOciArchive, LayoutHasIndexBlobsAndContainerdNames) {
  char tmpl[] = "/tmp/minik8s-oci-test-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  auto layer = buildLayer(sampleRootfs());
  ImageConfig c;
  c.cmd = {"sh"};
  std::vector<std::string> names = {"docker.io/library/busybox:1.36.1",
                                    "docker.io/library/busybox:latest"};
  auto img = describeImage({&*layer}, c, names);
  ASSERT_TRUE(writeOciArchive({&*layer}, img, dir + "/a.tar").isOk());
  ASSERT_TRUE(writeOciArchive({&*layer}, img, dir + "/b.tar").isOk());
  const std::string a = testing::fileText(dir + "/a.tar");
  EXPECT_EQ(a, testing::fileText(dir + "/b.tar")) << "archives are not byte-identical";
  auto members = readTar(a);
  ASSERT_TRUE(members.isOk());
  auto m = byPath(*members);
  ASSERT_TRUE(m.count("oci-layout"));
  EXPECT_EQ(nlohmann::json::parse(m["oci-layout"].data)["imageLayoutVersion"], "1.0.0");
  auto hex = [](const std::string& d) { return d.substr(7); };
  ASSERT_TRUE(m.count("blobs/sha256/" + hex(layer->digest)));
  EXPECT_EQ(m["blobs/sha256/" + hex(layer->digest)].data, layer->tar);
  ASSERT_TRUE(m.count("blobs/sha256/" + hex(img.config_digest)));
  ASSERT_TRUE(m.count("blobs/sha256/" + hex(img.manifest_digest)));
  auto index = nlohmann::json::parse(m["index.json"].data);
  ASSERT_EQ(index["manifests"].size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    auto& d = index["manifests"][i];
    EXPECT_EQ(d["digest"], img.manifest_digest);
    EXPECT_EQ(d["annotations"]["io.containerd.image.name"], names[i]);
    EXPECT_EQ(d["platform"]["architecture"], "amd64");
  }
  EXPECT_EQ(index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"], "1.36.1");
  EXPECT_EQ(index["manifests"][1]["annotations"]["org.opencontainers.image.ref.name"], "latest");
  fs::remove_all(dir);
}

}  // namespace oci_archive_test
}  // namespace minik8s::image
