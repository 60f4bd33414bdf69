// fabric_bench: frames per second through the fabric and the latency it adds,
// against a plain UDP relay and direct loopback UDP measured in the same run.
//   fabric_bench [--frames N] [--samples N]
// The fabric (fabric::Server, the code berth-fabric runs) and the relay each
// run on one thread; the load generator (sender and receiver) on another.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "base/fd.h"
#include "base/file_util.h"
#include "fabric/client.h"
#include "fabric/server.h"
#include "fabric/state.h"

namespace berth::fabric {
namespace {

constexpr int kBatch = 32;

sockaddr_in Loopback(int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  return a;
}

UniqueFd UdpSocket(int* port) {
  UniqueFd fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  int size = 8 << 20;
  setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size);
  setsockopt(fd.get(), SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size);
  sockaddr_in a = Loopback(0);
  bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd.get(), reinterpret_cast<sockaddr*>(&a), &len);
  *port = ntohs(a.sin_port);
  return fd;
}

// CPU time consumed so far by `t`.
int64_t ThreadCpuNs(std::thread& t) {
  clockid_t clock;
  if (pthread_getcpuclockid(t.native_handle(), &clock) != 0) return 0;
  timespec ts;
  clock_gettime(clock, &ts);
  return ts.tv_sec * 1'000'000'000LL + ts.tv_nsec;
}

// The baseline: receives on one socket and sends everything to one address,
// batched like the fabric.
class Relay {
 public:
  explicit Relay(int dst_port) : dst_(Loopback(dst_port)) {
    fd_ = UdpSocket(&port_);
    thread_ = std::thread([this] { Loop(); });
  }
  ~Relay() {
    stop_ = true;
    thread_.join();
  }
  int port() const { return port_; }
  int64_t CpuNs() { return ThreadCpuNs(thread_); }

 private:
  void Loop() {
    std::vector<char> buf(64 * 2048);
    mmsghdr msgs[64];
    iovec iov[64];
    while (!stop_) {
      pollfd p{fd_.get(), POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      for (int i = 0; i < 64; ++i) {
        iov[i] = {buf.data() + i * 2048, 2048};
        msgs[i].msg_hdr = msghdr{};
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
      }
      int n = recvmmsg(fd_.get(), msgs, 64, MSG_DONTWAIT, nullptr);
      for (int i = 0; i < n; ++i) {
        iov[i].iov_len = msgs[i].msg_len;
        msgs[i].msg_hdr.msg_name = &dst_;
        msgs[i].msg_hdr.msg_namelen = sizeof dst_;
      }
      if (n > 0) sendmmsg(fd_.get(), msgs, n, 0);
    }
  }
  sockaddr_in dst_;
  UniqueFd fd_;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

std::string Frame(size_t size) {
  std::string f(size, '\0');
  const uint8_t dst[6] = {0x52, 0x54, 0, 0, 0, 2}, src[6] = {0x52, 0x54, 0, 0, 0, 1};
  std::memcpy(&f[0], dst, 6);
  std::memcpy(&f[6], src, 6);
  f[12] = static_cast<char>(0x88);
  f[13] = static_cast<char>(0xb5);
  return f;
}

// Sends `frames` frames of `size` bytes from `tx` to `to`, keeping at most
// `window` in flight, and counts what `rx` receives. Returns frames/s.
double Throughput(int tx, int rx, const sockaddr_in& to, size_t size, int frames) {
  std::string f = Frame(size);
  mmsghdr out[kBatch];
  iovec out_iov[kBatch];
  for (int i = 0; i < kBatch; ++i) {
    out_iov[i] = {f.data(), f.size()};
    out[i].msg_hdr = msghdr{};
    out[i].msg_hdr.msg_name = const_cast<sockaddr_in*>(&to);
    out[i].msg_hdr.msg_namelen = sizeof to;
    out[i].msg_hdr.msg_iov = &out_iov[i];
    out[i].msg_hdr.msg_iovlen = 1;
  }
  std::vector<char> buf(64 * 2048);
  mmsghdr in[64];
  iovec in_iov[64];
  const int window = 1024;
  int sent = 0, received = 0;
  int64_t start = MonotonicNs(), last_progress = start;
  while (received < frames) {
    if (sent < frames && sent - received < window) {
      int n = std::min({kBatch, frames - sent, window - (sent - received)});
      int r = sendmmsg(tx, out, n, MSG_DONTWAIT);
      if (r > 0) sent += r;
    }
    for (int i = 0; i < 64; ++i) {
      in_iov[i] = {buf.data() + i * 2048, 2048};
      in[i].msg_hdr = msghdr{};
      in[i].msg_hdr.msg_iov = &in_iov[i];
      in[i].msg_hdr.msg_iovlen = 1;
    }
    int r = recvmmsg(rx, in, 64, MSG_DONTWAIT, nullptr);
    int64_t now = MonotonicNs();
    if (r > 0) {
      received += r;
      last_progress = now;
    } else if (now - last_progress > 200'000'000) {
      sent = received;  // frames were lost (buffers overflowed): refill the window
      last_progress = now;
      if (now - start > 60'000'000'000LL) break;
    }
  }
  return received / ((MonotonicNs() - start) / 1e9);
}

// Discards whatever is queued on `fd`.
void Drain(int fd) {
  char buf[2048];
  pollfd p{fd, POLLIN, 0};
  while (poll(&p, 1, 100) > 0) recv(fd, buf, sizeof buf, 0);
}

// One frame in flight at a time; returns sorted one-way latencies in ns.
std::vector<int64_t> Latency(int tx, int rx, const sockaddr_in& to, int samples) {
  Drain(rx);
  std::string f = Frame(64);
  std::vector<int64_t> lat;
  char buf[2048];
  for (uint64_t i = 1; i <= static_cast<uint64_t>(samples); ++i) {
    std::memcpy(&f[14], &i, sizeof i);
    int64_t t0 = MonotonicNs();
    sendto(tx, f.data(), f.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
    while (true) {
      pollfd p{rx, POLLIN, 0};
      if (poll(&p, 1, 1000) <= 0) break;  // lost: no sample
      ssize_t n = recv(rx, buf, sizeof buf, 0);
      uint64_t seq = 0;
      if (n >= 22) std::memcpy(&seq, buf + 14, sizeof seq);
      if (seq == i) {
        lat.push_back(MonotonicNs() - t0);
        break;
      }
    }
  }
  std::sort(lat.begin(), lat.end());
  return lat;
}

double Pct(const std::vector<int64_t>& v, double p) {
  return v.empty() ? 0 : v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))] / 1e3;
}

int Main(int argc, char** argv) {
  int frames = 2'000'000, samples = 20000;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--frames") frames = std::stoi(argv[i + 1]);
    if (a == "--samples") samples = std::stoi(argv[i + 1]);
  }
  char tmpl[] = "/tmp/berth-fabric-bench-XXXXXX";
  std::string home = mkdtemp(tmpl);
  NetworkPaths paths = PathsFor(home, "bench");
  (void)MakeDirs(paths.dir);
  FabricState st;
  st.name = "bench";
  (void)SaveState(paths.state, st);
  auto server = Server::Start(ServerOptions{home, "bench", false, false});
  if (!server.ok()) {
    std::fprintf(stderr, "fabric_bench: %s\n", server.status().message().c_str());
    return 1;
  }
  std::thread loop([&] { (void)(*server)->Run(); });

  int a_port, b_port;
  UniqueFd a = UdpSocket(&a_port), b = UdpSocket(&b_port);
  for (auto [name, port, mac] : {std::tuple{"a", a_port, "52:54:00:00:00:01"},
                                 std::tuple{"b", b_port, "52:54:00:00:00:02"}}) {
    auto r = CallSocket(paths.socket, Json{{"op", "attach"},
                                           {"machine", name},
                                           {"host", "127.0.0.1"},
                                           {"port", port},
                                           {"mac", mac}});
    if (!r.ok()) {
      std::fprintf(stderr, "fabric_bench: %s\n", r.status().message().c_str());
      return 1;
    }
  }
  sockaddr_in fabric_addr = Loopback((*server)->port());
  sockaddr_in direct_addr = Loopback(b_port);
  double fps[2][2], cpu_fps[2][2];
  std::vector<int64_t> lat[3];
  {
    Relay relay(b_port);
    sockaddr_in relay_addr = Loopback(relay.port());
    for (int s = 0; s < 2; ++s) {
      size_t size = s == 0 ? 64 : 1500;
      int64_t c0 = relay.CpuNs();
      fps[0][s] = Throughput(a.get(), b.get(), relay_addr, size, frames);
      cpu_fps[0][s] = frames / ((relay.CpuNs() - c0) / 1e9);
      Drain(b.get());
      c0 = ThreadCpuNs(loop);
      fps[1][s] = Throughput(a.get(), b.get(), fabric_addr, size, frames);
      cpu_fps[1][s] = frames / ((ThreadCpuNs(loop) - c0) / 1e9);
      Drain(b.get());
    }
    lat[0] = Latency(a.get(), b.get(), direct_addr, samples);
    lat[1] = Latency(a.get(), b.get(), relay_addr, samples);
    lat[2] = Latency(a.get(), b.get(), fabric_addr, samples);
  }
  std::printf("throughput (frames/s, %d frames, window 1024)\n", frames);
  std::printf("  %-12s %12s %12s\n", "", "64 B", "1500 B");
  std::printf("  %-12s %12.0f %12.0f\n", "udp relay", fps[0][0], fps[0][1]);
  std::printf("  %-12s %12.0f %12.0f\n", "fabric", fps[1][0], fps[1][1]);
  std::printf("frames per CPU-second of the forwarding thread (capacity of one core)\n");
  std::printf("  %-12s %12.0f %12.0f\n", "udp relay", cpu_fps[0][0], cpu_fps[0][1]);
  std::printf("  %-12s %12.0f %12.0f\n", "fabric", cpu_fps[1][0], cpu_fps[1][1]);
  std::printf("one-way latency, 64 B, one frame in flight (us, %d samples)\n", samples);
  std::printf("  %-12s %8s %8s\n", "", "p50", "p99");
  const char* names[] = {"direct", "udp relay", "fabric"};
  for (int i = 0; i < 3; ++i)
    std::printf("  %-12s %8.1f %8.1f\n", names[i], Pct(lat[i], 0.5), Pct(lat[i], 0.99));
  std::printf("added by the fabric over direct: p50 %.1f us, p99 %.1f us\n",
              Pct(lat[2], 0.5) - Pct(lat[0], 0.5), Pct(lat[2], 0.99) - Pct(lat[0], 0.99));
  std::printf("added by the relay over direct:  p50 %.1f us, p99 %.1f us\n",
              Pct(lat[1], 0.5) - Pct(lat[0], 0.5), Pct(lat[1], 0.99) - Pct(lat[0], 0.99));
  auto stats = CallSocket(paths.socket, Json{{"op", "stats"}});
  if (stats.ok())
    std::printf("fabric send errors: %s\n", (*stats)["network"]["send_errors"].dump().c_str());
  (*server)->Stop();
  loop.join();
  server->reset();
  (void)RemoveAll(home);
  return 0;
}

}  // namespace
}  // namespace berth::fabric

int main(int argc, char** argv) { return berth::fabric::Main(argc, argv); }
