#include "fabric/server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/file_util.h"

namespace berth::fabric {
namespace {

Status EpollAdd(int epfd, int fd) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = fd;
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) != 0) return ErrnoStatus("epoll_ctl", errno);
  return Status::Ok();
}

}  // namespace

int64_t MonotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1'000'000'000LL + ts.tv_nsec;
}

Server::Server(ServerOptions options)
    : options_(std::move(options)), paths_(PathsFor(options_.home, options_.network)) {}

Server::~Server() {
  for (auto& c : captures_) (void)c.writer->Flush();
  if (control_.valid()) unlink(paths_.socket.c_str());
  if (options_.write_pid && LivePid(paths_.pid) == getpid()) unlink(paths_.pid.c_str());
}

Result<std::unique_ptr<Server>> Server::Start(const ServerOptions& options) {
  BERTH_RETURN_IF_ERROR(ValidateNetworkName(options.network));
  std::unique_ptr<Server> s(new Server(options));
  BERTH_ASSIGN_OR_RETURN(s->state_, LoadState(s->paths_.state));
  s->state_.name = options.network;
  BERTH_RETURN_IF_ERROR(s->Bind());
  s->Rebuild();
  BERTH_RETURN_IF_ERROR(s->Persist());
  if (options.write_pid) BERTH_RETURN_IF_ERROR(WritePidFile(s->paths_.pid));
  return s;
}

Status Server::Bind() {
  std::string ctx = "network '" + options_.network + "'";
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(state_.port));
  if (inet_pton(AF_INET, state_.host.c_str(), &addr.sin_addr) != 1)
    return InvalidArgument(ctx + ": host '" + state_.host + "' is not an IPv4 address");
  udp_.Reset(socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!udp_) return ErrnoStatus(ctx + ": socket", errno);
  int size = 4 << 20;
  if (setsockopt(udp_.get(), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
    setsockopt(udp_.get(), SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  if (setsockopt(udp_.get(), SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) != 0)
    setsockopt(udp_.get(), SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  // A fabric restarting right after its predecessor may find the port busy
  // for a moment: retry for up to 3 s.
  for (int attempt = 0;; ++attempt) {
    if (bind(udp_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) break;
    if (errno != EADDRINUSE || attempt >= 30)
      return ErrnoStatus(ctx + ": bind UDP " + state_.host + ":" + std::to_string(state_.port),
                         errno);
    usleep(100000);
  }
  socklen_t len = sizeof addr;
  getsockname(udp_.get(), reinterpret_cast<sockaddr*>(&addr), &len);
  state_.port = ntohs(addr.sin_port);

  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  if (paths_.socket.size() >= sizeof un.sun_path)
    return InvalidArgument(ctx +
                           ": control socket path too long for a unix socket: " + paths_.socket);
  std::strcpy(un.sun_path, paths_.socket.c_str());
  control_.Reset(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!control_) return ErrnoStatus(ctx + ": socket", errno);
  unlink(paths_.socket.c_str());  // a stale socket of a dead fabric
  if (bind(control_.get(), reinterpret_cast<sockaddr*>(&un), sizeof un) != 0)
    return ErrnoStatus(ctx + ": bind " + paths_.socket, errno);
  if (listen(control_.get(), 64) != 0) return ErrnoStatus(ctx + ": listen", errno);

  epoll_.Reset(epoll_create1(EPOLL_CLOEXEC));
  timer_.Reset(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
  wake_.Reset(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!epoll_ || !timer_ || !wake_) return ErrnoStatus(ctx + ": epoll/timerfd/eventfd", errno);
  for (int fd : {udp_.get(), control_.get(), timer_.get(), wake_.get()})
    BERTH_RETURN_IF_ERROR(EpollAdd(epoll_.get(), fd));
  if (options_.handle_signals) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_BLOCK, &set, nullptr);
    signals_.Reset(signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC));
    if (!signals_) return ErrnoStatus(ctx + ": signalfd", errno);
    BERTH_RETURN_IF_ERROR(EpollAdd(epoll_.get(), signals_.get()));
  }
  return Status::Ok();
}

Status Server::Persist() { return SaveState(paths_.state, state_); }

Status Server::Run() {
  std::vector<epoll_event> events(64);
  while (!stopping_) {
    int timeout = captures_.empty() ? -1 : static_cast<int>(kCaptureFlushNs / 1000000);
    int n = epoll_wait(epoll_.get(), events.data(), static_cast<int>(events.size()), timeout);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus("epoll_wait", errno);
    for (int i = 0; i < n && !stopping_; ++i) {
      int fd = events[i].data.fd;
      if (fd == udp_.get()) {
        OnUdpReadable();
      } else if (fd == timer_.get()) {
        uint64_t ticks;
        (void)!read(fd, &ticks, sizeof ticks);
        armed_ns_ = -1;
      } else if (fd == control_.get()) {
        OnAccept();
      } else if (fd == wake_.get() || (signals_.valid() && fd == signals_.get())) {
        stopping_ = true;
      } else {
        OnConnReadable(fd);
      }
    }
    int64_t now = MonotonicNs();
    ReleaseDue(now);
    ArmTimer();
    if (!captures_.empty()) ServiceCaptures(now, false);
  }
  ServiceCaptures(MonotonicNs(), true);
  return Status::Ok();
}

void Server::Stop() {
  uint64_t one = 1;
  (void)!write(wake_.get(), &one, sizeof one);
}

void Server::OnAccept() {
  while (true) {
    int fd = accept4(control_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    if (!EpollAdd(epoll_.get(), fd).ok()) {
      close(fd);
      continue;
    }
    conns_[fd].fd.Reset(fd);
  }
}

void Server::OnConnReadable(int fd) {
  auto it = conns_.find(fd);
  if (it == conns_.end()) return;
  Conn& c = it->second;
  char buf[65536];
  ssize_t r;
  while ((r = read(fd, buf, sizeof buf)) > 0) c.in.append(buf, r);
  size_t nl = c.in.find('\n');
  bool closed = r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
  if (nl == std::string::npos && !closed && c.in.size() < (1 << 20)) return;
  Json reply;
  auto req = ParseJson(c.in.substr(0, nl), "control request");
  reply =
      req.ok()
          ? HandleRequest(*req)
          : Json{{"ok", false}, {"error", req.status().message()}, {"code", "invalid argument"}};
  std::string out = reply.dump() + "\n";
  int flags = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  timeval tv{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  size_t off = 0;
  while (off < out.size()) {
    ssize_t w = send(fd, out.data() + off, out.size() - off, MSG_NOSIGNAL);
    if (w <= 0) break;
    off += w;
  }
  epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
  conns_.erase(it);
}

}  // namespace berth::fabric
