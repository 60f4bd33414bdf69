#include "runtime/dns_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include <vector>

namespace berth::runtime {

DnsAnswer ResolveQuery(const NameRegistry& names, const std::string& asker, const DnsQuery& q) {
  DnsAnswer ans;
  if ((q.flags & 0x7800) != 0 || q.qclass != kDnsClassIn) {
    ans.rcode = kDnsNotImp;
    return ans;
  }
  if (q.qtype == kDnsTypePtr) {
    uint32_t ip = 0;
    auto name = ParseReverseName(q.name, &ip) ? names.Reverse(asker, ip) : std::nullopt;
    if (name)
      ans.ptr = *name;
    else
      ans.rcode = kDnsNxDomain;
    return ans;
  }
  std::vector<uint32_t> ips = names.Lookup(asker, q.name);
  if (!ips.empty()) {
    if (q.qtype == kDnsTypeA) ans.a = ips;  // other types: the name exists, no data
    return ans;
  }
  ans.rcode = q.name.find('.') == std::string::npos ? kDnsNxDomain : kDnsRefused;
  return ans;
}

DnsServer::DnsServer(const NameRegistry& names)
    : names_(names), wake_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  thread_ = std::thread([this] { Loop(); });
}

DnsServer::~DnsServer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  Wake();
  thread_.join();
}

void DnsServer::Wake() {
  uint64_t one = 1;
  (void)!write(wake_.get(), &one, sizeof(one));
}

Status DnsServer::Serve(const std::string& container_id, int netns_fd) {
  Result<UniqueFd> sock = Internal("dns thread did not run");
  std::thread([&] {
    if (setns(netns_fd, CLONE_NEWNET) != 0) {
      sock = ErrnoStatus("enter the network namespace of " + container_id, errno);
      return;
    }
    UniqueFd fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(53);
    addr.sin_addr.s_addr = htonl(kEmbeddedDnsAddress);
    if (!fd || bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0)
      sock = ErrnoStatus("listen on 127.0.0.11:53 for " + container_id, errno);
    else
      sock = std::move(fd);
  }).join();
  if (!sock.ok()) return sock.status();
  {
    std::lock_guard<std::mutex> lock(mu_);
    sockets_[container_id] = std::move(*sock);
  }
  Wake();
  return Status::Ok();
}

void DnsServer::Stop(const std::string& container_id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    sockets_.erase(container_id);
  }
  Wake();
}

void DnsServer::Loop() {
  std::vector<pollfd> fds;
  std::vector<std::string> owners;
  char buf[1500];
  for (;;) {
    fds.assign(1, {wake_.get(), POLLIN, 0});
    owners.assign(1, "");
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
      for (const auto& [id, fd] : sockets_) {
        fds.push_back({fd.get(), POLLIN, 0});
        owners.push_back(id);
      }
    }
    if (poll(fds.data(), fds.size(), -1) < 0) continue;
    if (fds[0].revents) {
      uint64_t n;
      (void)!read(wake_.get(), &n, sizeof(n));
      continue;  // the set changed: rebuild before touching any socket
    }
    for (size_t i = 1; i < fds.size(); ++i) {
      if (!(fds[i].revents & POLLIN)) continue;
      std::lock_guard<std::mutex> lock(mu_);  // the socket stays open while used
      auto it = sockets_.find(owners[i]);
      if (it == sockets_.end() || it->second.get() != fds[i].fd) continue;
      sockaddr_in from{};
      socklen_t from_len = sizeof(from);
      ssize_t r = recvfrom(fds[i].fd, buf, sizeof(buf), MSG_DONTWAIT,
                           reinterpret_cast<sockaddr*>(&from), &from_len);
      if (r <= 0) continue;
      std::string_view pkt(buf, static_cast<size_t>(r));
      auto q = ParseDnsQuery(pkt);
      if (!q.ok()) continue;  // not a query we can even answer FORMERR to
      std::string out = EncodeDnsResponse(pkt, *q, ResolveQuery(names_, owners[i], *q));
      (void)sendto(fds[i].fd, out.data(), out.size(), MSG_DONTWAIT,
                   reinterpret_cast<sockaddr*>(&from), from_len);
    }
  }
}

}  // namespace berth::runtime
