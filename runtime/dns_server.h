// DnsServer: the embedded DNS. Each container on a user-defined network gets
// a UDP socket on 127.0.0.11:53 inside its own network namespace (what its
// /etc/resolv.conf names, as with Docker, but without iptables: the socket is
// opened from a thread that entered the namespace). One thread serves every
// socket and answers from the NameRegistry, scoped to the asking container's
// networks.
//
// Names the registry does not know are never forwarded (the lab has no
// upstream resolver): a single-label name gets NXDOMAIN, anything else
// REFUSED, so a lookup fails at once instead of timing out.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "base/fd.h"
#include "base/status.h"
#include "runtime/dns_message.h"
#include "runtime/name_registry.h"

namespace berth::runtime {

inline constexpr uint32_t kEmbeddedDnsAddress = (127u << 24) | 11;  // 127.0.0.11

// The answer to `q` asked by `asker` (pure; the server's policy).
DnsAnswer ResolveQuery(const NameRegistry& names, const std::string& asker, const DnsQuery& q);

class DnsServer {
 public:
  explicit DnsServer(const NameRegistry& names);
  ~DnsServer();  // stops the thread, closes every socket

  // Starts answering `container_id`'s queries in the namespace `netns_fd`
  // (whose loopback must be up). Replaces an earlier socket of that container.
  Status Serve(const std::string& container_id, int netns_fd);
  // Stops answering for `container_id`; safe when it is not served.
  void Stop(const std::string& container_id);

 private:
  void Loop();
  void Wake();
  const NameRegistry& names_;
  std::mutex mu_;
  std::map<std::string, UniqueFd> sockets_;  // container id -> its socket
  UniqueFd wake_;                            // eventfd: the socket set changed
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace berth::runtime
