// NetlinkDataplane: the Dataplane over rtnetlink (libnl-route-3). Never runs `ip`/`bridge`.
#pragma once

#include <memory>
#include <string>

#include "network/dataplane.h"

struct nl_sock;

namespace minik8s::network {

// Owns one rtnetlink socket, which belongs to the network namespace of the thread that
// called open() for its whole life. Not thread-safe. Errors carry nl_geterror's text.
class NetlinkDataplane : public Dataplane {
 public:
  static Result<std::unique_ptr<NetlinkDataplane>> open();
  ~NetlinkDataplane() override;
  NetlinkDataplane(const NetlinkDataplane&) = delete;
  NetlinkDataplane& operator=(const NetlinkDataplane&) = delete;

  Result<Underlay> findUnderlay(const std::string& node_ip) override;
  Result<std::string> ensureVxlan(const VxlanDevice& device) override;
  Status deleteLink(const std::string& name) override;
  Result<OverlayEntries> listEntries(const std::string& device) override;
  Status addRoute(const Route& route) override;
  Status deleteRoute(const Route& route) override;
  Status addNeighbor(const Neighbor& neighbor) override;
  Status deleteNeighbor(const Neighbor& neighbor) override;
  Status addFdb(const FdbEntry& entry) override;
  Status deleteFdb(const FdbEntry& entry) override;

 private:
  explicit NetlinkDataplane(nl_sock* sock) : sock_(sock) {}

  // The index of link `name`, 0 when there is none.
  Result<int> linkIndex(const std::string& name);
  Status setOnlyAddress(int ifindex, const std::string& cidr);

  nl_sock* sock_;
};

}  // namespace minik8s::network
