#include "node/node_namespace.h"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/magic.h>
#include <linux/rtnetlink.h>
#include <netlink/cache.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <thread>

namespace minik8s::node {

namespace {

struct NlDeleter {
  void operator()(nl_sock* s) const { nl_socket_free(s); }
  void operator()(nl_cache* c) const { nl_cache_free(c); }
  void operator()(nl_addr* a) const { nl_addr_put(a); }
  void operator()(rtnl_link* l) const { rtnl_link_put(l); }
  void operator()(rtnl_addr* a) const { rtnl_addr_put(a); }
  void operator()(rtnl_route* r) const { rtnl_route_put(r); }
};
template <typename T>
using NlPtr = std::unique_ptr<T, NlDeleter>;

Status nlStatus(int err, const std::string& what) {
  if (err >= 0) return Status::ok();
  return internalError(what + ": " + nl_geterror(err));
}

bool isGone(int err) {
  return err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV;
}

Status errnoStatus(const std::string& what) {
  return internalError(what + ": " + std::strerror(errno));
}

// An rtnetlink socket of the calling thread's network namespace.
Result<NlPtr<nl_sock>> openSocket() {
  NlPtr<nl_sock> sock(nl_socket_alloc());
  if (sock == nullptr) return internalError("nl_socket_alloc failed");
  int err = nl_connect(sock.get(), NETLINK_ROUTE);
  if (err < 0) return nlStatus(err, "connecting to rtnetlink");
  return sock;
}

Result<NlPtr<nl_addr>> parseAddr(const std::string& text) {
  nl_addr* addr = nullptr;
  int err = nl_addr_parse(text.c_str(), AF_INET, &addr);
  if (err < 0) return nlStatus(err, "parsing address \"" + text + "\"");
  return NlPtr<nl_addr>(addr);
}

// The link `name`, null when there is none.
Result<NlPtr<rtnl_link>> getLink(nl_sock* sock, const std::string& name) {
  rtnl_link* link = nullptr;
  int err = rtnl_link_get_kernel(sock, 0, name.c_str(), &link);
  if (isGone(err)) return NlPtr<rtnl_link>();
  if (err < 0) return nlStatus(err, "reading link " + name);
  return NlPtr<rtnl_link>(link);
}

// Sets `link` up (and, when master > 0, makes it a port of that bridge).
Status setUp(nl_sock* sock, rtnl_link* link, int master = 0) {
  bool up = (rtnl_link_get_flags(link) & IFF_UP) != 0;
  if (up && (master == 0 || rtnl_link_get_master(link) == master)) return Status::ok();
  NlPtr<rtnl_link> change(rtnl_link_alloc());
  rtnl_link_set_flags(change.get(), IFF_UP);
  if (master > 0) rtnl_link_set_master(change.get(), master);
  return nlStatus(rtnl_link_change(sock, link, change.get(), 0),
                  std::string("setting up ") + rtnl_link_get_name(link));
}

// Gives link `ifindex` the IPv4 address `cidr`; with `only`, removes its other ones.
Status ensureAddress(nl_sock* sock, int ifindex, const std::string& cidr, bool only) {
  ASSIGN_OR_RETURN(NlPtr<nl_addr> want, parseAddr(cidr));
  nl_cache* raw = nullptr;
  int err = rtnl_addr_alloc_cache(sock, &raw);
  if (err < 0) return nlStatus(err, "listing addresses");
  NlPtr<nl_cache> cache(raw);
  bool have = false;
  std::vector<rtnl_addr*> stale;
  for (nl_object* o = nl_cache_get_first(cache.get()); o != nullptr; o = nl_cache_get_next(o)) {
    auto* a = reinterpret_cast<rtnl_addr*>(o);
    if (rtnl_addr_get_ifindex(a) != ifindex || rtnl_addr_get_family(a) != AF_INET) continue;
    if (nl_addr_cmp(rtnl_addr_get_local(a), want.get()) == 0 &&
        rtnl_addr_get_prefixlen(a) == static_cast<int>(nl_addr_get_prefixlen(want.get()))) {
      have = true;
    } else if (only) {
      stale.push_back(a);
    }
  }
  for (rtnl_addr* a : stale) {
    err = rtnl_addr_delete(sock, a, 0);
    if (err < 0 && !isGone(err)) return nlStatus(err, "deleting a stale address");
  }
  if (have) return Status::ok();
  NlPtr<rtnl_addr> addr(rtnl_addr_alloc());
  rtnl_addr_set_ifindex(addr.get(), ifindex);
  rtnl_addr_set_family(addr.get(), AF_INET);
  err = rtnl_addr_set_local(addr.get(), want.get());
  if (err < 0) return nlStatus(err, "address " + cidr);
  rtnl_addr_set_prefixlen(addr.get(), nl_addr_get_prefixlen(want.get()));
  err = rtnl_addr_add(sock, addr.get(), 0);
  if (err < 0 && err != -NLE_EXIST) return nlStatus(err, "adding address " + cidr);
  return Status::ok();
}

Status ensureDefaultRoute(nl_sock* sock, int ifindex, const std::string& gateway) {
  ASSIGN_OR_RETURN(NlPtr<nl_addr> dst, parseAddr("0.0.0.0/0"));
  ASSIGN_OR_RETURN(NlPtr<nl_addr> via, parseAddr(gateway));
  NlPtr<rtnl_route> r(rtnl_route_alloc());
  rtnl_route_set_family(r.get(), AF_INET);
  rtnl_route_set_table(r.get(), RT_TABLE_MAIN);
  rtnl_route_set_scope(r.get(), RT_SCOPE_UNIVERSE);
  rtnl_route_set_type(r.get(), RTN_UNICAST);
  rtnl_route_set_protocol(r.get(), RTPROT_STATIC);
  int err = rtnl_route_set_dst(r.get(), dst.get());
  if (err < 0) return nlStatus(err, "default route");
  rtnl_nexthop* nh = rtnl_route_nh_alloc();
  rtnl_route_nh_set_gateway(nh, via.get());
  rtnl_route_nh_set_ifindex(nh, ifindex);
  rtnl_route_add_nexthop(r.get(), nh);  // the route owns nh now
  err = rtnl_route_add(sock, r.get(), NLM_F_CREATE | NLM_F_EXCL);
  if (err == -NLE_EXIST) return Status::ok();
  return nlStatus(err, "default route via " + gateway);
}

// Runs f() on a thread that has joined the network namespace `fd`; returns its status.
// setns(CLONE_NEWNET) changes only the calling thread, which then ends.
template <typename F>
Status inNetns(int fd, F f) {
  Status result = Status::ok();
  std::thread t([&] {
    if (::setns(fd, CLONE_NEWNET) != 0) {
      result = errnoStatus("setns");
      return;
    }
    result = f();
  });
  t.join();
  return result;
}

bool isNsfs(const std::string& path) {
  struct statfs fs {};
  return ::statfs(path.c_str(), &fs) == 0 &&
         fs.f_type == static_cast<decltype(fs.f_type)>(NSFS_MAGIC);
}

// `ip netns add`: a new network namespace, kept by a bind mount of a thread's ns/net file
// on /run/netns/<name>. The thread that unshared it ends; the mount holds the namespace.
Status createNetns(const std::string& name) {
  if (::mkdir(kNetnsDir, 0755) != 0 && errno != EEXIST) return errnoStatus("mkdir /run/netns");
  const std::string path = netnsPath(name);
  int fd = ::open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
  if (fd < 0 && errno != EEXIST) return errnoStatus("creating " + path);
  if (fd >= 0) ::close(fd);
  Status result = Status::ok();
  std::thread t([&] {
    if (::unshare(CLONE_NEWNET) != 0) {
      result = errnoStatus("unshare(CLONE_NEWNET)");
      return;
    }
    const std::string self = "/proc/self/task/" + std::to_string(::syscall(SYS_gettid)) + "/ns/net";
    if (::mount(self.c_str(), path.c_str(), "none", MS_BIND, nullptr) != 0) {
      result = errnoStatus("bind-mounting " + self + " on " + path);
    }
  });
  t.join();
  if (!result.isOk()) ::unlink(path.c_str());
  return result;
}

}  // namespace

std::string netnsPath(const std::string& name) {
  return std::string(kNetnsDir) + "/" + name;
}

bool netnsExists(const std::string& name) {
  return isNsfs(netnsPath(name));
}

Status ensureUnderlayBridge(const std::string& name, const std::string& address_cidr) {
  if (name.empty() || name.size() >= IFNAMSIZ) return invalid("bad bridge name \"" + name + "\"");
  ASSIGN_OR_RETURN(auto sock, openSocket());
  ASSIGN_OR_RETURN(auto link, getLink(sock.get(), name));
  if (link == nullptr) {
    NlPtr<rtnl_link> want(rtnl_link_alloc());
    rtnl_link_set_name(want.get(), name.c_str());
    int err = rtnl_link_set_type(want.get(), "bridge");
    if (err < 0) return nlStatus(err, "bridge type");
    err = rtnl_link_add(sock.get(), want.get(), NLM_F_CREATE | NLM_F_EXCL);
    if (err < 0 && err != -NLE_EXIST) return nlStatus(err, "creating bridge " + name);
    ASSIGN_OR_RETURN(link, getLink(sock.get(), name));
    if (link == nullptr) return internalError("bridge " + name + " vanished");
  } else if (const char* type = rtnl_link_get_type(link.get());
             type == nullptr || std::string(type) != "bridge") {
    return conflict("link " + name + " exists and is not a bridge");
  }
  RETURN_IF_ERROR(ensureAddress(sock.get(), rtnl_link_get_ifindex(link.get()), address_cidr, true));
  return setUp(sock.get(), link.get());
}

Status ensureNodeNamespace(const NodeNamespaceSpec& spec) {
  if (spec.host_veth.empty() || spec.host_veth.size() >= IFNAMSIZ) {
    return invalid("bad veth name \"" + spec.host_veth + "\"");
  }
  if (!netnsExists(spec.netns)) RETURN_IF_ERROR(createNetns(spec.netns));
  int fd = ::open(netnsPath(spec.netns).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errnoStatus("opening " + netnsPath(spec.netns));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};

  ASSIGN_OR_RETURN(auto sock, openSocket());
  ASSIGN_OR_RETURN(auto bridge, getLink(sock.get(), spec.bridge));
  if (bridge == nullptr) return conflict("no bridge " + spec.bridge);
  ASSIGN_OR_RETURN(auto veth, getLink(sock.get(), spec.host_veth));
  if (veth == nullptr) {
    // The peer is created inside the namespace: no "eth0" ever exists in the host's.
    rtnl_link* want = rtnl_link_veth_alloc();
    if (want == nullptr) return internalError("rtnl_link_veth_alloc failed");
    rtnl_link_set_name(want, spec.host_veth.c_str());
    rtnl_link* peer = rtnl_link_veth_get_peer(want);
    rtnl_link_set_name(peer, "eth0");
    rtnl_link_set_ns_fd(peer, fd);
    rtnl_link_put(peer);
    int err = rtnl_link_add(sock.get(), want, NLM_F_CREATE | NLM_F_EXCL);
    rtnl_link_veth_release(want);
    if (err < 0) return nlStatus(err, "creating veth " + spec.host_veth);
    ASSIGN_OR_RETURN(veth, getLink(sock.get(), spec.host_veth));
    if (veth == nullptr) return internalError("veth " + spec.host_veth + " vanished");
  }
  RETURN_IF_ERROR(setUp(sock.get(), veth.get(), rtnl_link_get_ifindex(bridge.get())));

  return inNetns(fd, [&]() -> Status {
    ASSIGN_OR_RETURN(auto inner, openSocket());
    ASSIGN_OR_RETURN(auto lo, getLink(inner.get(), "lo"));
    if (lo == nullptr) return internalError("no lo in " + spec.netns);
    RETURN_IF_ERROR(setUp(inner.get(), lo.get()));
    ASSIGN_OR_RETURN(auto eth0, getLink(inner.get(), "eth0"));
    if (eth0 == nullptr) return internalError("no eth0 in " + spec.netns);
    const int ifindex = rtnl_link_get_ifindex(eth0.get());
    RETURN_IF_ERROR(ensureAddress(inner.get(), ifindex, spec.address_cidr, true));
    RETURN_IF_ERROR(setUp(inner.get(), eth0.get()));
    return ensureDefaultRoute(inner.get(), ifindex, spec.gateway);
  });
}

Status deleteHostLink(const std::string& name) {
  ASSIGN_OR_RETURN(auto sock, openSocket());
  ASSIGN_OR_RETURN(auto link, getLink(sock.get(), name));
  if (link == nullptr) return Status::ok();
  int err = rtnl_link_delete(sock.get(), link.get());
  if (err < 0 && !isGone(err)) return nlStatus(err, "deleting link " + name);
  return Status::ok();
}

Status deleteNodeNamespace(const std::string& netns, const std::string& host_veth) {
  if (!host_veth.empty()) RETURN_IF_ERROR(deleteHostLink(host_veth));
  const std::string path = netnsPath(netns);
  if (isNsfs(path) && ::umount2(path.c_str(), MNT_DETACH) != 0) {
    return errnoStatus("unmounting " + path);
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return errnoStatus("removing " + path);
  return Status::ok();
}

}  // namespace minik8s::node
