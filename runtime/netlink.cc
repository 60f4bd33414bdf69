#include "runtime/netlink.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

namespace berth::runtime {
namespace {

// Appends netlink structures and attributes to a message buffer; every
// piece is padded to NLMSG_ALIGNTO as the kernel expects.
class MsgBuilder {
 public:
  MsgBuilder(uint16_t type, uint16_t flags) {
    nlmsghdr h{};
    h.nlmsg_type = type;
    h.nlmsg_flags = static_cast<uint16_t>(NLM_F_REQUEST | NLM_F_ACK | flags);
    Put(&h, sizeof(h));
  }
  void Put(const void* p, size_t n) {
    buf_.append(static_cast<const char*>(p), n);
    buf_.append(NLMSG_ALIGN(n) - n, '\0');
  }
  void Attr(uint16_t type, const void* data, size_t n) {
    rtattr a{};
    a.rta_type = type;
    a.rta_len = static_cast<uint16_t>(RTA_LENGTH(n));
    Put(&a, sizeof(a));
    Put(data, n);
  }
  void AttrStr(uint16_t type, const std::string& s) { Attr(type, s.c_str(), s.size() + 1); }
  void AttrU32(uint16_t type, uint32_t v) { Attr(type, &v, sizeof(v)); }
  // Opens a nested attribute; End() closes it with the length of its content.
  size_t Begin(uint16_t type) {
    size_t off = buf_.size();
    rtattr a{};
    a.rta_type = type;
    Put(&a, sizeof(a));
    return off;
  }
  void End(size_t off) {
    auto* a = reinterpret_cast<rtattr*>(&buf_[off]);
    a->rta_len = static_cast<uint16_t>(buf_.size() - off);
  }
  std::string& Finish() {
    reinterpret_cast<nlmsghdr*>(buf_.data())->nlmsg_len = static_cast<uint32_t>(buf_.size());
    return buf_;
  }

 private:
  std::string buf_;
};

ifinfomsg LinkMsg(int index) {
  ifinfomsg i{};
  i.ifi_family = AF_UNSPEC;
  i.ifi_index = index;
  return i;
}

Result<UniqueFd> RouteSocket() {
  UniqueFd fd(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (!fd) return ErrnoStatus("open netlink socket", errno);
  sockaddr_nl sa{};
  sa.nl_family = AF_NETLINK;
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0)
    return ErrnoStatus("bind netlink socket", errno);
  return fd;
}

}  // namespace

Result<Netlink> Netlink::Open() {
  BERTH_ASSIGN_OR_RETURN(UniqueFd fd, RouteSocket());
  return Netlink(std::move(fd));
}

Result<Netlink> Netlink::OpenIn(int netns_fd) {
  Result<UniqueFd> fd = Internal("netlink thread did not run");
  std::thread([&] {
    if (setns(netns_fd, CLONE_NEWNET) != 0) {
      fd = ErrnoStatus("enter network namespace", errno);
      return;
    }
    fd = RouteSocket();
  }).join();
  if (!fd.ok()) return fd.status();
  return Netlink(std::move(*fd));
}

Status Netlink::Transact(std::string& msg, const std::string& what) {
  auto* h = reinterpret_cast<nlmsghdr*>(msg.data());
  h->nlmsg_seq = ++seq_;
  last_errno_ = 0;
  if (send(fd_.get(), msg.data(), msg.size(), 0) < 0) return ErrnoStatus(what, errno);
  char buf[8192];
  for (;;) {
    ssize_t r = recv(fd_.get(), buf, sizeof(buf), 0);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return ErrnoStatus(what, errno);
    int len = static_cast<int>(r);
    for (auto* m = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(m, len); m = NLMSG_NEXT(m, len)) {
      if (m->nlmsg_seq != h->nlmsg_seq) continue;
      if (m->nlmsg_type == NLMSG_ERROR) {
        auto* e = static_cast<nlmsgerr*>(NLMSG_DATA(m));
        last_errno_ = -e->error;
        if (e->error == 0) return Status::Ok();
        return ErrnoStatus(what, -e->error);
      }
      if (m->nlmsg_type == RTM_NEWLINK) {  // reply to RTM_GETLINK: keep it for the caller
        msg.assign(reinterpret_cast<char*>(m), m->nlmsg_len);
        return Status::Ok();
      }
    }
  }
}

Result<int> Netlink::LinkIndex(const std::string& name) {
  MsgBuilder b(RTM_GETLINK, 0);
  ifinfomsg i = LinkMsg(0);
  b.Put(&i, sizeof(i));
  b.AttrStr(IFLA_IFNAME, name);
  std::string& msg = b.Finish();
  Status st = Transact(msg, "find link " + name);
  if (!st.ok()) {
    if (last_errno_ == ENODEV) return NotFound("no link named " + name);
    return st;
  }
  auto* h = reinterpret_cast<nlmsghdr*>(msg.data());
  if (h->nlmsg_type != RTM_NEWLINK) return NotFound("no link named " + name);
  return static_cast<ifinfomsg*>(NLMSG_DATA(h))->ifi_index;
}

Status Netlink::CreateBridge(const std::string& name) {
  MsgBuilder b(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  ifinfomsg i = LinkMsg(0);
  b.Put(&i, sizeof(i));
  b.AttrStr(IFLA_IFNAME, name);
  size_t info = b.Begin(IFLA_LINKINFO);
  b.AttrStr(IFLA_INFO_KIND, "bridge");
  b.End(info);
  Status st = Transact(b.Finish(), "create bridge " + name);
  if (!st.ok() && last_errno_ == EEXIST) return Status::Ok();
  return st;
}

Status Netlink::CreateVeth(const std::string& name, const std::string& peer_name,
                           int peer_netns_fd) {
  MsgBuilder b(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  ifinfomsg i = LinkMsg(0);
  b.Put(&i, sizeof(i));
  b.AttrStr(IFLA_IFNAME, name);
  size_t info = b.Begin(IFLA_LINKINFO);
  b.AttrStr(IFLA_INFO_KIND, "veth");
  size_t data = b.Begin(IFLA_INFO_DATA);
  size_t peer = b.Begin(VETH_INFO_PEER);
  ifinfomsg pi = LinkMsg(0);
  b.Put(&pi, sizeof(pi));
  b.AttrStr(IFLA_IFNAME, peer_name);
  b.AttrU32(IFLA_NET_NS_FD, static_cast<uint32_t>(peer_netns_fd));
  b.End(peer);
  b.End(data);
  b.End(info);
  return Transact(b.Finish(), "create veth " + name);
}

Status Netlink::SetMasterUp(int index, int master_index) {
  MsgBuilder b(RTM_NEWLINK, 0);
  ifinfomsg i = LinkMsg(index);
  i.ifi_flags = IFF_UP;
  i.ifi_change = IFF_UP;
  b.Put(&i, sizeof(i));
  if (master_index > 0) b.AttrU32(IFLA_MASTER, static_cast<uint32_t>(master_index));
  return Transact(b.Finish(), "set up link " + std::to_string(index));
}

Status Netlink::SetUp(int index) { return SetMasterUp(index, 0); }

Status Netlink::AddAddress(int index, uint32_t addr, int prefix) {
  MsgBuilder b(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
  ifaddrmsg a{};
  a.ifa_family = AF_INET;
  a.ifa_prefixlen = static_cast<unsigned char>(prefix);
  a.ifa_index = static_cast<unsigned>(index);
  b.Put(&a, sizeof(a));
  uint32_t be = htonl(addr);
  b.Attr(IFA_LOCAL, &be, 4);
  b.Attr(IFA_ADDRESS, &be, 4);
  uint32_t mask = prefix == 0 ? 0 : ~0u << (32 - prefix);
  uint32_t bcast = htonl(addr | ~mask);
  b.Attr(IFA_BROADCAST, &bcast, 4);
  Status st =
      Transact(b.Finish(), "add address " + FormatIpv4(addr) + "/" + std::to_string(prefix));
  if (!st.ok() && last_errno_ == EEXIST) return Status::Ok();
  return st;
}

Status Netlink::AddDefaultRoute(int index, uint32_t gateway) {
  MsgBuilder b(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
  rtmsg r{};
  r.rtm_family = AF_INET;
  r.rtm_table = RT_TABLE_MAIN;
  r.rtm_protocol = RTPROT_BOOT;
  r.rtm_scope = RT_SCOPE_UNIVERSE;
  r.rtm_type = RTN_UNICAST;
  b.Put(&r, sizeof(r));
  uint32_t gw = htonl(gateway);
  b.Attr(RTA_GATEWAY, &gw, 4);
  b.AttrU32(RTA_OIF, static_cast<uint32_t>(index));
  return Transact(b.Finish(), "add default route via " + FormatIpv4(gateway));
}

Status Netlink::DeleteLink(int index) {
  MsgBuilder b(RTM_DELLINK, 0);
  ifinfomsg i = LinkMsg(index);
  b.Put(&i, sizeof(i));
  Status st = Transact(b.Finish(), "delete link " + std::to_string(index));
  if (!st.ok() && last_errno_ == ENODEV) return Status::Ok();
  return st;
}

Result<UniqueFd> NewNetns() {
  Result<UniqueFd> fd = Internal("netns thread did not run");
  std::thread([&] {
    if (unshare(CLONE_NEWNET) != 0) {
      fd = ErrnoStatus("create network namespace", errno);
      return;
    }
    UniqueFd ns(open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
    if (!ns)
      fd = ErrnoStatus("open /proc/thread-self/ns/net", errno);
    else
      fd = std::move(ns);
  }).join();
  return fd;
}

std::string FormatIpv4(uint32_t addr) {
  return std::to_string(addr >> 24) + "." + std::to_string((addr >> 16) & 255) + "." +
         std::to_string((addr >> 8) & 255) + "." + std::to_string(addr & 255);
}

Result<uint32_t> ParseIpv4(const std::string& s) {
  in_addr a{};
  if (inet_pton(AF_INET, s.c_str(), &a) != 1) return InvalidArgument("invalid IPv4 address: " + s);
  return ntohl(a.s_addr);
}

}  // namespace berth::runtime
