// An in-memory Dataplane for the reconciler's and the controller's tests.
#pragma once

#include <algorithm>
#include <optional>
#include <set>
#include <string>

#include "network/dataplane.h"

namespace minik8s::network::testing {

// An in-memory Dataplane: one underlay, at most one VXLAN device, and the entry sets.
// Counts mutations and can fail the next addRoute.
class FakeDataplane : public Dataplane {
 public:
  Underlay underlay{"eth0", 1500, 24};
  std::string underlay_ip = "192.168.251.1";
  std::optional<VxlanDevice> device;
  std::string device_mac;
  std::set<Route> routes;
  std::set<Neighbor> neighbors;
  std::set<FdbEntry> fdb;
  int mutations = 0;
  int devices_created = 0;
  std::optional<Status> fail_add_route;

  Result<Underlay> findUnderlay(const std::string& node_ip) override {
    if (node_ip != underlay_ip) return notFound("no device has " + node_ip);
    return underlay;
  }
  Result<std::string> ensureVxlan(const VxlanDevice& want) override {
    if (!device || device->vni != want.vni || device->local != want.local) {
      dropDevice();
      device = want;
      device_mac = want.mac;
      ++devices_created;
      ++mutations;
    } else if (*device != want) {
      std::string mac = device->mac;
      device = want;
      device->mac = mac;
      ++mutations;
    }
    return device_mac;
  }
  Status deleteLink(const std::string& name) override {
    if (device && device->name == name) {
      dropDevice();
      ++mutations;
    }
    return Status::ok();
  }
  Result<OverlayEntries> listEntries(const std::string&) override {
    return OverlayEntries{{routes.begin(), routes.end()},
                          {neighbors.begin(), neighbors.end()},
                          {fdb.begin(), fdb.end()}};
  }
  Status addRoute(const Route& r) override {
    if (fail_add_route) {
      Status st = *fail_add_route;
      fail_add_route.reset();
      return st;
    }
    ++mutations;
    return routes.insert(r).second ? Status::ok() : alreadyExists("route " + r.dst);
  }
  Status deleteRoute(const Route& r) override {
    ++mutations;
    routes.erase(r);
    return Status::ok();
  }
  Status addNeighbor(const Neighbor& n) override {
    ++mutations;
    neighbors.insert(n);
    return Status::ok();
  }
  Status deleteNeighbor(const Neighbor& n) override {
    ++mutations;
    neighbors.erase(n);
    return Status::ok();
  }
  Status addFdb(const FdbEntry& f) override {
    ++mutations;
    fdb.insert(f);
    return Status::ok();
  }
  Status deleteFdb(const FdbEntry& f) override {
    ++mutations;
    fdb.erase(f);
    return Status::ok();
  }

 private:
  // Like the kernel: entries on the device go with it.
  void dropDevice() {
    if (!device) return;
    std::erase_if(routes, [&](const Route& r) { return r.device == device->name; });
    neighbors.clear();
    fdb.clear();
    device.reset();
  }
};

}  // namespace minik8s::network::testing
