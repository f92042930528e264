#include "network/netlink_dataplane.h"

#include <linux/if.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <netlink/cache.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/vxlan.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/route.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <map>

#include "common/ipv4.h"

namespace minik8s::network {

namespace {

// Owning handles for libnl objects.
struct NlDeleter {
  void operator()(nl_cache* c) const { nl_cache_free(c); }
  void operator()(nl_addr* a) const { nl_addr_put(a); }
  void operator()(rtnl_link* l) const { rtnl_link_put(l); }
  void operator()(rtnl_addr* a) const { rtnl_addr_put(a); }
  void operator()(rtnl_route* r) const { rtnl_route_put(r); }
  void operator()(rtnl_neigh* n) const { rtnl_neigh_put(n); }
};
template <typename T>
using NlPtr = std::unique_ptr<T, NlDeleter>;

Status nlStatus(int err, std::string_view what) {
  if (err >= 0) return Status::ok();
  std::string message = std::string(what) + ": " + nl_geterror(err);
  switch (-err) {
    case NLE_EXIST: return alreadyExists(message);
    case NLE_OBJ_NOTFOUND:
    case NLE_NODEV: return notFound(message);
    default: return internalError(message);
  }
}

bool isGone(int err) {
  return err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV;
}

Result<NlPtr<nl_addr>> parseAddr(const std::string& text, int family) {
  nl_addr* addr = nullptr;
  int err = nl_addr_parse(text.c_str(), family, &addr);
  if (err < 0) return nlStatus(err, "parsing address \"" + text + "\"");
  return NlPtr<nl_addr>(addr);
}

// "10.244.1.0" for a 4-byte address (prefix length ignored), "" otherwise.
std::string ipv4Of(nl_addr* addr) {
  if (addr == nullptr || nl_addr_get_len(addr) != 4) return "";
  uint32_t be = 0;
  std::memcpy(&be, nl_addr_get_binary_addr(addr), 4);
  return formatIpv4(ntohl(be));
}

// "aa:bb:cc:dd:ee:ff" for a 6-byte address, "" otherwise.
std::string macOf(nl_addr* addr) {
  if (addr == nullptr || nl_addr_get_len(addr) != 6) return "";
  const auto* b = static_cast<const uint8_t*>(nl_addr_get_binary_addr(addr));
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4],
                b[5]);
  return buf;
}

template <typename T, typename F>
void forEach(nl_cache* cache, F&& f) {
  for (nl_object* o = nl_cache_get_first(cache); o != nullptr; o = nl_cache_get_next(o)) {
    f(reinterpret_cast<T*>(o));
  }
}

Result<NlPtr<rtnl_route>> buildRoute(const Route& route, int ifindex) {
  ASSIGN_OR_RETURN(NlPtr<nl_addr> dst, parseAddr(route.dst, AF_INET));
  ASSIGN_OR_RETURN(NlPtr<nl_addr> gateway, parseAddr(route.gateway, AF_INET));
  NlPtr<rtnl_route> r(rtnl_route_alloc());
  rtnl_route_set_family(r.get(), AF_INET);
  rtnl_route_set_table(r.get(), RT_TABLE_MAIN);
  rtnl_route_set_protocol(r.get(), kRouteProtocol);
  rtnl_route_set_scope(r.get(), RT_SCOPE_UNIVERSE);
  rtnl_route_set_type(r.get(), RTN_UNICAST);
  int err = rtnl_route_set_dst(r.get(), dst.get());
  if (err < 0) return nlStatus(err, "route " + route.dst);
  rtnl_nexthop* nh = rtnl_route_nh_alloc();
  rtnl_route_nh_set_gateway(nh, gateway.get());
  if (ifindex > 0) rtnl_route_nh_set_ifindex(nh, ifindex);
  if (route.onlink) rtnl_route_nh_set_flags(nh, RTNH_F_ONLINK);
  rtnl_route_add_nexthop(r.get(), nh);  // the route owns nh now
  return r;
}

std::string describe(const Route& r) {
  return "route " + r.dst + " via " + r.gateway + " dev " + r.device + (r.onlink ? " onlink" : "");
}

}  // namespace

Result<std::unique_ptr<NetlinkDataplane>> NetlinkDataplane::open() {
  nl_sock* sock = nl_socket_alloc();
  if (sock == nullptr) return internalError("nl_socket_alloc failed");
  int err = nl_connect(sock, NETLINK_ROUTE);
  if (err < 0) {
    nl_socket_free(sock);
    return nlStatus(err, "connecting to rtnetlink");
  }
  return std::unique_ptr<NetlinkDataplane>(new NetlinkDataplane(sock));
}

NetlinkDataplane::~NetlinkDataplane() {
  nl_socket_free(sock_);
}

Result<int> NetlinkDataplane::linkIndex(const std::string& name) {
  rtnl_link* link = nullptr;
  int err = rtnl_link_get_kernel(sock_, 0, name.c_str(), &link);
  if (isGone(err)) return 0;
  if (err < 0) return nlStatus(err, "reading link " + name);
  NlPtr<rtnl_link> owned(link);
  return rtnl_link_get_ifindex(link);
}

Result<Underlay> NetlinkDataplane::findUnderlay(const std::string& node_ip) {
  nl_cache* raw = nullptr;
  int err = rtnl_addr_alloc_cache(sock_, &raw);
  if (err < 0) return nlStatus(err, "listing addresses");
  NlPtr<nl_cache> cache(raw);
  int ifindex = 0;
  int prefix = 0;
  forEach<rtnl_addr>(cache.get(), [&](rtnl_addr* a) {
    if (ifindex == 0 && rtnl_addr_get_family(a) == AF_INET &&
        ipv4Of(rtnl_addr_get_local(a)) == node_ip) {
      ifindex = rtnl_addr_get_ifindex(a);
      prefix = rtnl_addr_get_prefixlen(a);
    }
  });
  if (ifindex == 0) return notFound("no device has the node IP " + node_ip);
  rtnl_link* link = nullptr;
  err = rtnl_link_get_kernel(sock_, ifindex, nullptr, &link);
  if (err < 0) return nlStatus(err, "reading the link of " + node_ip);
  NlPtr<rtnl_link> owned(link);
  return Underlay{rtnl_link_get_name(link), static_cast<int>(rtnl_link_get_mtu(link)), prefix};
}

Result<std::string> NetlinkDataplane::ensureVxlan(const VxlanDevice& device) {
  ASSIGN_OR_RETURN(NlPtr<nl_addr> local, parseAddr(device.local, AF_INET));
  rtnl_link* raw = nullptr;
  int err = rtnl_link_get_kernel(sock_, 0, device.name.c_str(), &raw);
  NlPtr<rtnl_link> link(raw);
  if (err < 0 && !isGone(err)) return nlStatus(err, "reading link " + device.name);
  if (link != nullptr) {  // keep it (and its MAC) if it is the same tunnel
    uint32_t vni = 0;
    uint32_t port = 0;
    nl_addr* have_local = nullptr;
    bool same = rtnl_link_is_vxlan(link.get()) && rtnl_link_vxlan_get_id(link.get(), &vni) == 0 &&
                vni == device.vni && rtnl_link_vxlan_get_port(link.get(), &port) == 0 &&
                port == device.port && rtnl_link_vxlan_get_local(link.get(), &have_local) == 0 &&
                nl_addr_cmp(have_local, local.get()) == 0 &&
                rtnl_link_vxlan_get_learning(link.get()) == (device.learning ? 1 : 0);
    if (have_local != nullptr) nl_addr_put(have_local);
    if (!same) {
      err = rtnl_link_delete(sock_, link.get());
      if (err < 0 && !isGone(err)) return nlStatus(err, "deleting the stale " + device.name);
      link.reset();
    }
  }
  if (link == nullptr) {
    NlPtr<rtnl_link> want(rtnl_link_vxlan_alloc());
    if (want == nullptr) return internalError("rtnl_link_vxlan_alloc failed");
    rtnl_link_set_name(want.get(), device.name.c_str());
    rtnl_link_vxlan_set_id(want.get(), device.vni);
    rtnl_link_vxlan_set_port(want.get(), device.port);
    rtnl_link_vxlan_set_local(want.get(), local.get());
    rtnl_link_vxlan_set_learning(want.get(), device.learning ? 1 : 0);
    rtnl_link_set_mtu(want.get(), static_cast<unsigned>(device.mtu));
    if (!device.underlay.empty()) {
      ASSIGN_OR_RETURN(int underlay, linkIndex(device.underlay));
      if (underlay > 0) rtnl_link_vxlan_set_link(want.get(), static_cast<uint32_t>(underlay));
    }
    if (!device.mac.empty()) {
      ASSIGN_OR_RETURN(NlPtr<nl_addr> mac, parseAddr(device.mac, AF_LLC));
      rtnl_link_set_addr(want.get(), mac.get());
    }
    err = rtnl_link_add(sock_, want.get(), NLM_F_CREATE | NLM_F_EXCL);
    if (err < 0) return nlStatus(err, "creating VXLAN device " + device.name);
    err = rtnl_link_get_kernel(sock_, 0, device.name.c_str(), &raw);
    if (err < 0) return nlStatus(err, "reading the new " + device.name);
    link.reset(raw);
  }
  if (rtnl_link_get_mtu(link.get()) != static_cast<unsigned>(device.mtu) ||
      (rtnl_link_get_flags(link.get()) & IFF_UP) == 0) {
    NlPtr<rtnl_link> change(rtnl_link_alloc());
    rtnl_link_set_mtu(change.get(), static_cast<unsigned>(device.mtu));
    rtnl_link_set_flags(change.get(), IFF_UP);
    err = rtnl_link_change(sock_, link.get(), change.get(), 0);
    if (err < 0) return nlStatus(err, "setting MTU and up on " + device.name);
  }
  RETURN_IF_ERROR(setOnlyAddress(rtnl_link_get_ifindex(link.get()), device.address));
  std::string mac = macOf(rtnl_link_get_addr(link.get()));
  if (mac.empty()) return internalError(device.name + " has no MAC address");
  return mac;
}

Status NetlinkDataplane::setOnlyAddress(int ifindex, const std::string& cidr) {
  ASSIGN_OR_RETURN(NlPtr<nl_addr> want, parseAddr(cidr, AF_INET));
  nl_cache* raw = nullptr;
  int err = rtnl_addr_alloc_cache(sock_, &raw);
  if (err < 0) return nlStatus(err, "listing addresses");
  NlPtr<nl_cache> cache(raw);
  bool have = false;
  std::vector<rtnl_addr*> stale;
  forEach<rtnl_addr>(cache.get(), [&](rtnl_addr* a) {
    if (rtnl_addr_get_ifindex(a) != ifindex || rtnl_addr_get_family(a) != AF_INET) return;
    if (nl_addr_cmp(rtnl_addr_get_local(a), want.get()) == 0 &&
        rtnl_addr_get_prefixlen(a) == static_cast<int>(nl_addr_get_prefixlen(want.get()))) {
      have = true;
    } else {
      stale.push_back(a);
    }
  });
  for (rtnl_addr* a : stale) {
    err = rtnl_addr_delete(sock_, a, 0);
    if (err < 0 && !isGone(err)) return nlStatus(err, "deleting a stale address");
  }
  if (have) return Status::ok();
  NlPtr<rtnl_addr> addr(rtnl_addr_alloc());
  rtnl_addr_set_ifindex(addr.get(), ifindex);
  rtnl_addr_set_family(addr.get(), AF_INET);
  err = rtnl_addr_set_local(addr.get(), want.get());
  if (err < 0) return nlStatus(err, "address " + cidr);
  rtnl_addr_set_prefixlen(addr.get(), nl_addr_get_prefixlen(want.get()));
  err = rtnl_addr_add(sock_, addr.get(), 0);
  if (err < 0 && err != -NLE_EXIST) return nlStatus(err, "adding address " + cidr);
  return Status::ok();
}

Status NetlinkDataplane::deleteLink(const std::string& name) {
  rtnl_link* raw = nullptr;
  int err = rtnl_link_get_kernel(sock_, 0, name.c_str(), &raw);
  if (isGone(err)) return Status::ok();
  if (err < 0) return nlStatus(err, "reading link " + name);
  NlPtr<rtnl_link> link(raw);
  err = rtnl_link_delete(sock_, link.get());
  if (err < 0 && !isGone(err)) return nlStatus(err, "deleting link " + name);
  return Status::ok();
}

Result<OverlayEntries> NetlinkDataplane::listEntries(const std::string& device) {
  nl_cache* raw = nullptr;
  int err = rtnl_link_alloc_cache(sock_, AF_UNSPEC, &raw);
  if (err < 0) return nlStatus(err, "listing links");
  NlPtr<nl_cache> links(raw);
  std::map<int, std::string> names;
  int ifindex = 0;
  forEach<rtnl_link>(links.get(), [&](rtnl_link* l) {
    names[rtnl_link_get_ifindex(l)] = rtnl_link_get_name(l);
    if (device == rtnl_link_get_name(l)) ifindex = rtnl_link_get_ifindex(l);
  });

  OverlayEntries out;
  err = rtnl_route_alloc_cache(sock_, AF_INET, 0, &raw);
  if (err < 0) return nlStatus(err, "listing routes");
  NlPtr<nl_cache> routes(raw);
  forEach<rtnl_route>(routes.get(), [&](rtnl_route* r) {
    if (rtnl_route_get_protocol(r) != kRouteProtocol || rtnl_route_get_table(r) != RT_TABLE_MAIN ||
        rtnl_route_get_nnexthops(r) != 1) {
      return;
    }
    nl_addr* dst = rtnl_route_get_dst(r);
    rtnl_nexthop* nh = rtnl_route_nexthop_n(r, 0);
    Route route;
    route.dst = ipv4Of(dst) + "/" + std::to_string(nl_addr_get_prefixlen(dst));
    route.gateway = ipv4Of(rtnl_route_nh_get_gateway(nh));
    auto name = names.find(rtnl_route_nh_get_ifindex(nh));
    if (name != names.end()) route.device = name->second;
    route.onlink = (rtnl_route_nh_get_flags(nh) & RTNH_F_ONLINK) != 0;
    out.routes.push_back(route);
  });

  if (ifindex > 0) {
    // AF_ITER: one dump per family, AF_UNSPEC (ARP) and AF_BRIDGE (the FDB).
    err = rtnl_neigh_alloc_cache_flags(sock_, &raw, NL_CACHE_AF_ITER);
    if (err < 0) return nlStatus(err, "listing neighbours");
    NlPtr<nl_cache> neighbors(raw);
    forEach<rtnl_neigh>(neighbors.get(), [&](rtnl_neigh* n) {
      if (rtnl_neigh_get_ifindex(n) != ifindex || (rtnl_neigh_get_state(n) & NUD_PERMANENT) == 0) {
        return;
      }
      std::string mac = macOf(rtnl_neigh_get_lladdr(n));
      std::string dst = ipv4Of(rtnl_neigh_get_dst(n));
      if (mac.empty() || dst.empty()) return;
      if (rtnl_neigh_get_family(n) == AF_BRIDGE) {
        out.fdb.push_back({mac, dst, device});
      } else if (rtnl_neigh_get_family(n) == AF_INET) {
        out.neighbors.push_back({dst, mac, device});
      }
    });
  }
  std::sort(out.routes.begin(), out.routes.end());
  std::sort(out.neighbors.begin(), out.neighbors.end());
  std::sort(out.fdb.begin(), out.fdb.end());
  return out;
}

Status NetlinkDataplane::addRoute(const Route& route) {
  ASSIGN_OR_RETURN(int ifindex, linkIndex(route.device));
  if (ifindex == 0 && !route.device.empty()) return notFound(describe(route) + ": no device");
  ASSIGN_OR_RETURN(NlPtr<rtnl_route> r, buildRoute(route, ifindex));
  // EXCL: a route to the same destination that is not ours is left alone, and reported.
  return nlStatus(rtnl_route_add(sock_, r.get(), NLM_F_CREATE | NLM_F_EXCL), describe(route));
}

Status NetlinkDataplane::deleteRoute(const Route& route) {
  ASSIGN_OR_RETURN(int ifindex, linkIndex(route.device));
  if (ifindex == 0 && !route.device.empty()) return Status::ok();  // gone with its device
  // The kernel deletes only a route whose protocol matches, i.e. one of ours.
  ASSIGN_OR_RETURN(NlPtr<rtnl_route> r, buildRoute(route, ifindex));
  int err = rtnl_route_delete(sock_, r.get(), 0);
  if (isGone(err)) return Status::ok();
  return nlStatus(err, "deleting " + describe(route));
}

namespace {

Result<NlPtr<rtnl_neigh>> buildNeighbor(int ifindex, const std::string& ip, const std::string& mac,
                                        bool fdb) {
  ASSIGN_OR_RETURN(NlPtr<nl_addr> dst, parseAddr(ip, AF_INET));
  ASSIGN_OR_RETURN(NlPtr<nl_addr> lladdr, parseAddr(mac, AF_LLC));
  NlPtr<rtnl_neigh> n(rtnl_neigh_alloc());
  rtnl_neigh_set_ifindex(n.get(), ifindex);
  rtnl_neigh_set_lladdr(n.get(), lladdr.get());
  // set_dst first: it takes the family from the address; an FDB entry is then AF_BRIDGE
  // with an IPv4 NDA_DST.
  int err = rtnl_neigh_set_dst(n.get(), dst.get());
  if (err < 0) return nlStatus(err, "neighbour " + ip);
  if (fdb) {
    rtnl_neigh_set_family(n.get(), AF_BRIDGE);
    rtnl_neigh_set_flags(n.get(), NTF_SELF);
  }
  rtnl_neigh_set_state(n.get(), NUD_PERMANENT);
  return n;
}

}  // namespace

Status NetlinkDataplane::addNeighbor(const Neighbor& neighbor) {
  ASSIGN_OR_RETURN(int ifindex, linkIndex(neighbor.device));
  if (ifindex == 0) return notFound("neighbour " + neighbor.ip + ": no device " + neighbor.device);
  ASSIGN_OR_RETURN(NlPtr<rtnl_neigh> n, buildNeighbor(ifindex, neighbor.ip, neighbor.mac, false));
  return nlStatus(rtnl_neigh_add(sock_, n.get(), NLM_F_CREATE | NLM_F_REPLACE),
                  "neighbour " + neighbor.ip + " lladdr " + neighbor.mac);
}

Status NetlinkDataplane::deleteNeighbor(const Neighbor& neighbor) {
  ASSIGN_OR_RETURN(int ifindex, linkIndex(neighbor.device));
  if (ifindex == 0) return Status::ok();
  ASSIGN_OR_RETURN(NlPtr<rtnl_neigh> n, buildNeighbor(ifindex, neighbor.ip, neighbor.mac, false));
  int err = rtnl_neigh_delete(sock_, n.get(), 0);
  if (isGone(err)) return Status::ok();
  return nlStatus(err, "deleting neighbour " + neighbor.ip);
}

Status NetlinkDataplane::addFdb(const FdbEntry& entry) {
  ASSIGN_OR_RETURN(int ifindex, linkIndex(entry.device));
  if (ifindex == 0) return notFound("fdb " + entry.mac + ": no device " + entry.device);
  ASSIGN_OR_RETURN(NlPtr<rtnl_neigh> n, buildNeighbor(ifindex, entry.dst, entry.mac, true));
  return nlStatus(rtnl_neigh_add(sock_, n.get(), NLM_F_CREATE | NLM_F_REPLACE),
                  "fdb " + entry.mac + " dst " + entry.dst);
}

Status NetlinkDataplane::deleteFdb(const FdbEntry& entry) {
  ASSIGN_OR_RETURN(int ifindex, linkIndex(entry.device));
  if (ifindex == 0) return Status::ok();
  ASSIGN_OR_RETURN(NlPtr<rtnl_neigh> n, buildNeighbor(ifindex, entry.dst, entry.mac, true));
  int err = rtnl_neigh_delete(sock_, n.get(), 0);
  if (isGone(err)) return Status::ok();
  return nlStatus(err, "deleting fdb " + entry.mac + " dst " + entry.dst);
}

}  // namespace minik8s::network
