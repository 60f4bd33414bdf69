#include "runtime/port_proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace berth::runtime {
namespace {

// Copies both ways until both directions reach EOF (or an error).
void Relay(int a, int b) {
  char buf[32768];
  bool a_open = true, b_open = true;
  while (a_open || b_open) {
    pollfd fds[2] = {{a, static_cast<short>(a_open ? POLLIN : 0), 0},
                     {b, static_cast<short>(b_open ? POLLIN : 0), 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    for (int i = 0; i < 2; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      int from = i == 0 ? a : b, to = i == 0 ? b : a;
      ssize_t r = read(from, buf, sizeof(buf));
      if (r <= 0) {
        shutdown(to, SHUT_WR);
        (i == 0 ? a_open : b_open) = false;
        if (r < 0) return;
        continue;
      }
      for (ssize_t off = 0; off < r;) {
        ssize_t w = send(to, buf + off, r - off, MSG_NOSIGNAL);
        if (w <= 0) return;
        off += w;
      }
    }
  }
}

void Serve(UniqueFd client, int netns, int port) {
  // This thread alone moves into the container's network namespace.
  if (setns(netns, CLONE_NEWNET) != 0) return;
  UniqueFd up(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (!up || connect(up.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return;
  Relay(client.get(), up.get());
}

}  // namespace

Result<std::unique_ptr<PortProxy>> PortProxy::Start(int pid,
                                                    const std::vector<PortBinding>& ports) {
  std::unique_ptr<PortProxy> p(new PortProxy());
  for (const auto& b : ports) {
    UniqueFd l(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!l) return ErrnoStatus("socket", errno);
    int one = 1;
    setsockopt(l.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(b.host_port));
    std::string ip = b.host_ip.empty() ? "0.0.0.0" : b.host_ip;
    if (inet_pton(AF_INET, ip.c_str(), &addr.sin_addr) != 1)
      return InvalidArgument("published port: bad host address " + ip);
    if (bind(l.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0)
      return ErrnoStatus("publish " + ip + ":" + std::to_string(b.host_port), errno);
    if (listen(l.get(), 64) != 0) return ErrnoStatus("listen", errno);
    p->listeners_.push_back(std::move(l));
  }
  // Ports first (a conflict is the user's error), then the namespace: a
  // container that already exited has nothing left to forward to.
  std::string ns = "/proc/" + std::to_string(pid) + "/ns/net";
  p->netns_.Reset(open(ns.c_str(), O_RDONLY | O_CLOEXEC));
  if (!p->netns_) {
    if (errno == ENOENT) return p;
    return ErrnoStatus("open " + ns, errno);
  }
  for (size_t i = 0; i < ports.size(); ++i) {
    int lfd = p->listeners_[i].get();
    int netns = p->netns_.get();
    int port = ports[i].container_port;
    p->threads_.emplace_back([lfd, netns, port] {
      for (;;) {
        int c = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
        if (c < 0) {
          if (errno == EINTR || errno == ECONNABORTED) continue;
          return;  // listener shut down
        }
        int ns = fcntl(netns, F_DUPFD_CLOEXEC, 3);
        std::thread([c, ns, port] {
          Serve(UniqueFd(c), ns, port);
          close(ns);
        }).detach();
      }
    });
  }
  return p;
}

PortProxy::~PortProxy() {
  for (auto& l : listeners_) shutdown(l.get(), SHUT_RDWR);
  for (auto& t : threads_) t.join();
}

}  // namespace berth::runtime
