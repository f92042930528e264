// The managed block of a node's /etc/hosts, the original project's way of making a `Dns`
// hostname resolve on nodes: between "# BEGIN minik8s" and "# END minik8s", one line per
// Dns hostname with the nginx add-on Service's ClusterIP (which the node reaches through
// the service proxy's rules). Lines outside the block are never touched.
//
// HostsBlockWriter (the agent's, with --manage-hosts) keeps the block in step with the Dns
// and Service informers on its own thread, and removes it on stop() when asked to;
// `minik8s down` removes it with removeHostsBlock(). Thread-safe; construct before the
// factory starts, start() after.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "api/types_apps.h"
#include "api/types_core.h"
#include "client/informer.h"
#include "common/status.h"

namespace minik8s::dns {

inline constexpr char kHostsBlockBegin[] = "# BEGIN minik8s";
inline constexpr char kHostsBlockEnd[] = "# END minik8s";

struct HostsEntry {
  std::string ip;
  std::string host;
  bool operator==(const HostsEntry&) const = default;
};

// Every live Dns' hostname (lower case, valid host names only, sorted, once) with the
// ClusterIP of kube-system/minik8s-nginx; empty while that Service has none.
std::vector<HostsEntry> hostsEntries(
    const std::vector<std::shared_ptr<const api::Dns>>& dnses,
    const std::vector<std::shared_ptr<const api::Service>>& services);

// `hosts` with its managed block replaced by one for `entries` (removed when empty; added
// at the end when absent). Everything else is kept as it was.
std::string withHostsBlock(std::string_view hosts, const std::vector<HostsEntry>& entries);

// Rewrites `path` in place (it may be a bind mount) when its block differs from `entries`.
Status writeHostsBlock(const std::string& path, const std::vector<HostsEntry>& entries);
inline Status removeHostsBlock(const std::string& path) {
  return writeHostsBlock(path, {});
}

class HostsBlockWriter {
 public:
  HostsBlockWriter(client::SharedInformerFactory& informers, std::string path);
  ~HostsBlockWriter() { stop(); }

  void start();
  // Stops the thread; with `remove_block` also removes the block from the file.
  void stop(bool remove_block = false);
  void syncNow();

 private:
  void markStale();

  client::Informer<api::Service>& services_;
  client::Informer<api::Dns>& dnses_;
  const std::string path_;
  std::mutex mu_;
  std::condition_variable_any cv_;
  bool stale_ = true;  // GUARDED_BY(mu_)
  std::jthread thread_;
};

}  // namespace minik8s::dns
