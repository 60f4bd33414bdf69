// Test harness: an in-process fabric Server on its own thread, plus "machines"
// that are plain UDP sockets on 127.0.0.1 sending synthetic Ethernet frames.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/fd.h"
#include "base/file_util.h"
#include "base/json_util.h"
#include "fabric/client.h"
#include "fabric/server.h"
#include "fabric/state.h"
#include "gtest/gtest.h"

namespace berth::fabric::testing {

using Mac = std::array<uint8_t, 6>;

inline Mac MakeMac(uint8_t last) { return {0x52, 0x54, 0x00, 0xab, 0x00, last}; }
inline std::string MacString(const Mac& m) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4],
                m[5]);
  return buf;
}
inline const Mac kBroadcast = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

// A frame: dst, src, ethertype 0x88b5 (local experimental), 8-byte sequence
// number, 8-byte send time, padding to `size`.
inline std::string MakeFrame(const Mac& dst, const Mac& src, uint64_t seq, size_t size = 64) {
  std::string f(std::max<size_t>(size, 30), '\0');
  std::memcpy(&f[0], dst.data(), 6);
  std::memcpy(&f[6], src.data(), 6);
  f[12] = static_cast<char>(0x88);
  f[13] = static_cast<char>(0xb5);
  std::memcpy(&f[14], &seq, 8);
  int64_t now = MonotonicNs();
  std::memcpy(&f[22], &now, 8);
  return f;
}
inline uint64_t FrameSeq(const std::string& f) {
  uint64_t s;
  std::memcpy(&s, &f[14], 8);
  return s;
}
inline int64_t FrameSentNs(const std::string& f) {
  int64_t t;
  std::memcpy(&t, &f[22], 8);
  return t;
}

// One machine's tunnel end: a UDP socket on 127.0.0.1:L.
class FakeMachine {
 public:
  FakeMachine(std::string name, uint8_t mac_last, int fabric_port)
      : name_(std::move(name)), mac_(MakeMac(mac_last)) {
    fd_.Reset(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    int size = 8 << 20;
    setsockopt(fd_.get(), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    bind(fd_.get(), reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    SetFabricPort(fabric_port);
  }
  void SetFabricPort(int port) {
    fabric_ = sockaddr_in{};
    fabric_.sin_family = AF_INET;
    fabric_.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, "127.0.0.1", &fabric_.sin_addr);
  }
  void Send(const std::string& frame) {
    sendto(fd_.get(), frame.data(), frame.size(), 0, reinterpret_cast<sockaddr*>(&fabric_),
           sizeof fabric_);
  }
  void SendTo(const FakeMachine& dst, uint64_t seq, size_t size = 64) {
    Send(MakeFrame(dst.mac(), mac_, seq, size));
  }
  // Next frame within `timeout_ms`, or nullopt.
  std::optional<std::string> Receive(int timeout_ms) {
    pollfd p{fd_.get(), POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) return std::nullopt;
    char buf[65536];
    ssize_t n = recv(fd_.get(), buf, sizeof buf, 0);
    if (n < 0) return std::nullopt;
    return std::string(buf, n);
  }
  // Every frame arriving until `quiet_ms` pass without one.
  std::vector<std::string> Drain(int quiet_ms = 50) {
    std::vector<std::string> out;
    while (auto f = Receive(quiet_ms)) out.push_back(*f);
    return out;
  }
  Json AttachRequest(bool with_mac = true) const {
    return Json{{"op", "attach"},
                {"machine", name_},
                {"host", "127.0.0.1"},
                {"port", port_},
                {"mac", with_mac ? MacString(mac_) : ""}};
  }
  const std::string& name() const { return name_; }
  const Mac& mac() const { return mac_; }
  int port() const { return port_; }

 private:
  std::string name_;
  Mac mac_;
  UniqueFd fd_;
  int port_ = 0;
  sockaddr_in fabric_{};
};

// A temporary $BERTH_HOME with one network, "lab", served in-process.
class FabricHarness {
 public:
  explicit FabricHarness(int64_t mac_age_ns = 300'000'000'000) : mac_age_ns_(mac_age_ns) {
    char tmpl[] = "/tmp/berth-fabric-test-XXXXXX";
    home_ = mkdtemp(tmpl);
    NetworkPaths p = PathsFor(home_, "lab");
    EXPECT_TRUE(MakeDirs(p.dir).ok());
    FabricState s;
    s.name = "lab";
    EXPECT_TRUE(SaveState(p.state, s).ok());
  }
  ~FabricHarness() {
    StopServer();
    (void)RemoveAll(home_);
  }
  void StartServer() {
    ServerOptions o{home_, "lab", false, false, mac_age_ns_};
    auto s = Server::Start(o);
    ASSERT_TRUE(s.ok()) << s.status().message();
    server_ = std::move(s).value();
    thread_ = std::thread([this] { (void)server_->Run(); });
  }
  void StopServer() {
    if (!server_) return;
    server_->Stop();
    thread_.join();
    server_.reset();
  }
  Result<Json> Call(const Json& r) { return CallSocket(PathsFor(home_, "lab").socket, r); }
  Json MustCall(const Json& r) {
    auto j = Call(r);
    EXPECT_TRUE(j.ok()) << r.dump() << ": " << j.status().message();
    return j.ok() ? *j : Json();
  }
  int port() const { return server_->port(); }
  const std::string& home() const { return home_; }

 private:
  int64_t mac_age_ns_;
  std::string home_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
};

}  // namespace berth::fabric::testing
