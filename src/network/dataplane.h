// Dataplane: the seam between the overlay reconciler and the kernel. NetlinkDataplane
// (netlink_dataplane.h) is the real one; tests use an in-memory fake.
#pragma once

#include <string>

#include "common/status.h"
#include "network/overlay.h"

namespace minik8s::network {

// The effects of the pod network on one node's network namespace. Implementations are not
// thread-safe: one reconciler owns one.
class Dataplane {
 public:
  virtual ~Dataplane() = default;

  // The device holding the IPv4 address `node_ip`, its MTU and the address's prefix length;
  // kNotFound when no device has it.
  virtual Result<Underlay> findUnderlay(const std::string& node_ip) = 0;

  // Creates the VXLAN device, or keeps an existing one whose VNI, port and local address
  // match (one that differs is deleted and created again); then sets its MTU, makes
  // `device.address` its only IPv4 address and sets it up. Returns the device's MAC, which
  // the node publishes.
  virtual Result<std::string> ensureVxlan(const VxlanDevice& device) = 0;

  // Deletes the link `name`; ok when there is none.
  virtual Status deleteLink(const std::string& name) = 0;

  // What we own: IPv4 routes in the main table whose protocol is kRouteProtocol (on any
  // device), and the permanent neighbours and FDB entries with a dst on `device` (none when
  // the device does not exist). Sorted.
  virtual Result<OverlayEntries> listEntries(const std::string& device) = 0;

  // add* fail with kAlreadyExists when a conflicting entry is there (for a route: one that
  // is not ours); delete* are ok when the entry is already gone.
  virtual Status addRoute(const Route& route) = 0;
  virtual Status deleteRoute(const Route& route) = 0;
  virtual Status addNeighbor(const Neighbor& neighbor) = 0;
  virtual Status deleteNeighbor(const Neighbor& neighbor) = 0;
  virtual Status addFdb(const FdbEntry& entry) = 0;
  virtual Status deleteFdb(const FdbEntry& entry) = 0;
};

}  // namespace minik8s::network
