// Netlink: the few rtnetlink requests berthd needs to build bridge networks
// (bridges, veth pairs, addresses, a default route) without the `ip` tool,
// which the guest does not have. Every request waits for the kernel's ack and
// turns a negative one into a Status naming the object.
//
// A Netlink socket acts on the network namespace it was opened in, whichever
// thread uses it later. Network namespaces are per thread: OpenIn() and
// NewNetns() do their setns/unshare in a short-lived thread of their own, so
// the caller's namespace never changes.
#pragma once

#include <cstdint>
#include <string>

#include "base/fd.h"
#include "base/status.h"

namespace berth::runtime {

class Netlink {
 public:
  // A socket in the calling thread's network namespace.
  static Result<Netlink> Open();
  // A socket in the network namespace `netns_fd` refers to.
  static Result<Netlink> OpenIn(int netns_fd);

  Netlink(Netlink&&) = default;
  Netlink& operator=(Netlink&&) = default;

  // Index of the link named `name`; NotFound when there is none.
  Result<int> LinkIndex(const std::string& name);
  // Creates a bridge; ok when a link of that name exists already.
  Status CreateBridge(const std::string& name);
  // Creates a veth pair: `name` here, `peer_name` created directly in the
  // namespace `peer_netns_fd`.
  Status CreateVeth(const std::string& name, const std::string& peer_name, int peer_netns_fd);
  // Enslaves link `index` to `master_index` (0: none) and sets it up.
  Status SetMasterUp(int index, int master_index);
  Status SetUp(int index);
  // Adds `addr`/`prefix` (host byte order) to link `index`; ok if present.
  Status AddAddress(int index, uint32_t addr, int prefix);
  // Adds the default route via `gateway` (host byte order) on link `index`.
  Status AddDefaultRoute(int index, uint32_t gateway);
  // Deletes link `index` (both ends, for a veth); ok when already gone.
  Status DeleteLink(int index);

 private:
  explicit Netlink(UniqueFd fd) : fd_(std::move(fd)) {}
  // Sends one request (nlmsghdr at the start of `msg`) and waits for its ack.
  Status Transact(std::string& msg, const std::string& what);
  UniqueFd fd_;
  uint32_t seq_ = 1;
  int last_errno_ = 0;  // of the last negative ack
};

// Creates a new, empty network namespace and returns an fd that keeps it
// alive (close it and the namespace goes away once no process is inside).
Result<UniqueFd> NewNetns();

// "10.1.2.3" <-> host-byte-order address.
std::string FormatIpv4(uint32_t addr);
Result<uint32_t> ParseIpv4(const std::string& s);

}  // namespace berth::runtime
