// TestNode: a private containerd for integration tests — its own directory, cgroup root,
// CNI bridge, network name and subnet (all derived from the test's pid, so tests can run
// side by side), the stock images built and imported, and a CRI client. teardown() removes
// every sandbox, stops containerd and undoes the node (runtime-recipe §8); the test checks
// what is left. Owned by one test suite; not thread-safe.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "cri/cri_runtime.h"
#include "image/builder.h"
#include "image/loader.h"
#include "node/containerd_cleanup.h"
#include "node/containerd_process.h"

namespace minik8s::testing {

struct TestNodeOptions {
  std::string tag;            // "cri": /tmp/mk8s-cri-<pid>, cgroup /minik8s-cri-<pid>, ...
  std::string bridge_prefix;  // "mkt": bridge mkt<pid % 1000000> (at most 15 bytes)
  int subnet_octet = 250;     // pods in 10.<octet>.<20 + pid % 200>.0/24
  std::vector<std::string> images;  // stock image stems ("busybox"); empty: all of them
};

struct TestNode {
  std::string base;         // the containerd instance
  std::string images_dir;   // built archives
  std::string work_dir;     // pod logs, hostPaths
  std::string cgroup_root;  // "/minik8s-<tag>-<pid>"
  std::string bridge;
  std::string network;
  std::string subnet;
  std::unique_ptr<node::ContainerdProcess> containerd;
  std::unique_ptr<cri::CriRuntime> rt;

  // "" when this machine can run the node, else why not (root, binaries).
  static std::string missingPrerequisite(const std::vector<std::string>& extra_tools = {}) {
    if (::geteuid() != 0) return "needs root";
    std::vector<std::string> tools = {"/usr/bin/containerd", "/usr/sbin/runc",
                                      "/usr/lib/cni/bridge", "/usr/bin/ctr", "/bin/busybox"};
    tools.insert(tools.end(), extra_tools.begin(), extra_tools.end());
    for (const auto& bin : tools) {
      if (::access(bin.c_str(), X_OK) != 0) {
        return bin + " is missing (scripts/setup.sh installs it)";
      }
    }
    return "";
  }

  // Builds and imports the images, starts containerd; prints how long each step took.
  Status start(const TestNodeOptions& options) {
    const int pid = ::getpid();
    base = "/tmp/mk8s-" + options.tag + "-" + std::to_string(pid);
    images_dir = base + "-images";
    work_dir = base + "-work";
    cgroup_root = "/minik8s-" + options.tag + "-" + std::to_string(pid);
    bridge = options.bridge_prefix + std::to_string(pid % 1000000);
    network = "mk8s-" + options.tag + "-" + std::to_string(pid);
    subnet = "10." + std::to_string(options.subnet_octet) + "." + std::to_string(20 + pid % 200) +
             ".0/24";
    std::filesystem::create_directories(work_dir);

    auto t0 = std::chrono::steady_clock::now();
    ASSIGN_OR_RETURN(auto built, image::buildStockImages(images_dir, options.images));
    measure("build " + std::to_string(built.size()) + " images", t0);

    node::ContainerdProcessOptions o;
    o.base_dir = base;
    node::CniOptions cni;
    cni.network_name = network;
    cni.bridge = bridge;
    cni.pod_cidr = subnet;
    o.cni = cni;
    t0 = std::chrono::steady_clock::now();
    ASSIGN_OR_RETURN(containerd, node::ContainerdProcess::start(o));
    measure("containerd start -> CRI ready", t0);
    rt = cri::CriRuntime::connect(containerd->endpoint());
    for (const auto& archive : built) {
      t0 = std::chrono::steady_clock::now();
      RETURN_IF_ERROR(image::importArchive(containerd->endpoint(), archive.path));
      measure("import " + std::filesystem::path(archive.path).filename().string(), t0);
    }
    return Status::ok();
  }

  // Removes every sandbox (a failure is reported as a problem), stops containerd, undoes
  // the node and deletes the image and work directories.
  node::NodeCleanupReport teardown() {
    std::vector<std::string> problems;
    if (rt) {
      auto removed = node::removeAllPodSandboxes(*rt);
      if (!removed.isOk()) problems.push_back(removed.status().toString());
    }
    node::ContainerdPaths paths = node::containerdPaths(base);
    if (containerd) containerd->stop();
    rt.reset();
    node::NodeCleanupOptions co;
    co.cgroup_parent = cgroup_root;
    co.bridge = bridge;
    node::NodeCleanupReport report = node::cleanupContainerdNode(paths, co);
    report.problems.insert(report.problems.end(), problems.begin(), problems.end());
    std::error_code ec;
    std::filesystem::remove_all(images_dir, ec);
    std::filesystem::remove_all(work_dir, ec);
    return report;
  }

 private:
  static void measure(const std::string& what, std::chrono::steady_clock::time_point t0) {
    std::printf("[measure] %s: %.0f ms\n", what.c_str(),
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                    .count());
  }
};

}  // namespace minik8s::testing
