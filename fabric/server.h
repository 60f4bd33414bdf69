// Server: the berth-fabric event loop for one lab network. A learning L2
// switch over UDP tunnels: every attached machine sends raw Ethernet frames
// as UDP datagrams to the fabric's one port and is told apart by the
// datagram's source address; frames go out to each machine's own address.
// Per directed link it applies impairments and partitions (see link.h,
// partition.h), it captures to pcap and counts. It is controlled through a
// unix socket speaking one JSON request and one JSON reply per connection
// (control.cc lists the operations). server.cc holds the process side (sockets,
// event loop, control connections), forwarding.cc the switch itself.
//
// Threading: Run() is the only thread touching the switch; Stop() may be
// called from any thread.
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/fd.h"
#include "base/json_util.h"
#include "base/status.h"
#include "fabric/link.h"
#include "fabric/pcap.h"
#include "fabric/state.h"

namespace berth::fabric {

struct ServerOptions {
  std::string home;
  std::string network;
  bool write_pid = true;                 // write fabric.pid (false for in-process tests)
  bool handle_signals = false;           // SIGTERM/SIGINT stop Run() (the binary sets this)
  int64_t mac_age_ns = 300'000'000'000;  // learned entries expire after this
};

class Server {
 public:
  // Loads $home/networks/<network>/state.json (which must exist), binds its
  // UDP port (a free one when the state says 0, then persisted), listens on
  // the control socket. Fails with the reason when the port or socket is taken.
  static Result<std::unique_ptr<Server>> Start(const ServerOptions& options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Serves until Stop(), a "shutdown" request or (with handle_signals) SIGTERM.
  Status Run();
  void Stop();

  int port() const { return state_.port; }
  const NetworkPaths& paths() const { return paths_; }

 private:
  static constexpr int64_t kCaptureFlushNs = 200'000'000;  // pcap buffers flushed this often

  struct Port {
    std::string name;
    sockaddr_in addr{};
    uint64_t rx_frames = 0, rx_bytes = 0;
  };
  struct LinkEntry {
    Link link;
    Json spec;  // the impairment applied now (to detect changes)
  };
  struct Slot {  // one directed link between two attached machines
    LinkEntry* entry = nullptr;
    bool grudged = false;  // the destination drops the source's frames
  };
  struct MacEntry {
    int port = -1;
    int64_t seen_ns = 0;
    bool fixed = false;  // from Attach: never ages
  };
  struct Held {
    int64_t at_ns;
    uint64_t seq;
    LinkEntry* entry;
    sockaddr_in dst;
    int dst_port;  // index into ports_ at the time it was queued
    uint64_t topology;
    std::string frame;
  };
  struct HeldLater {
    bool operator()(const Held& a, const Held& b) const {
      return a.at_ns != b.at_ns ? a.at_ns > b.at_ns : a.seq > b.seq;
    }
  };
  struct Capture {
    int id;
    std::string machine;  // empty: the whole network
    std::unique_ptr<PcapWriter> writer;
    int64_t stop_at_ns;  // 0: until stopped
  };
  struct Conn {
    UniqueFd fd;
    std::string in;
  };

  explicit Server(ServerOptions options);
  Status Bind();
  // Rebuilds ports_, slots_ and the MAC table after machines, impairments or
  // the grudge changed. Links whose effective impairment is unchanged keep
  // their random stream.
  void Rebuild();
  Status Persist();

  // forwarding.cc: the per-frame path.
  void OnUdpReadable();
  void HandleFrame(int src, uint8_t* frame, size_t len, int64_t now_ns);
  void Forward(int src, int dst, uint8_t* frame, size_t len, int64_t now_ns);
  void SendNow(int dst, const uint8_t* frame, size_t len);
  void FlushBatch();
  void ReleaseDue(int64_t now_ns);
  void ArmTimer();
  void CaptureFrame(const std::string& machine, const uint8_t* frame, size_t len, bool ingress);
  void ServiceCaptures(int64_t now_ns, bool force);

  void OnAccept();
  void OnConnReadable(int fd);

  // control.cc
  Json HandleRequest(const Json& request);
  Result<Json> OpShow(const Json& r);
  Result<Json> OpAttach(const Json& r);
  Result<Json> OpDetach(const Json& r);
  Result<Json> OpImpair(const Json& r);
  Result<Json> OpClear(const Json& r);
  Result<Json> OpPartition(const Json& r);
  Result<Json> OpHeal(const Json& r);
  Result<Json> OpSeed(const Json& r);
  Result<Json> OpStats(const Json& r);
  Result<Json> OpCaptureStart(const Json& r);
  Result<Json> OpCaptureStop(const Json& r);
  Result<Json> OpShutdown(const Json& r);
  Status CheckMachine(const std::string& name, bool allow_any) const;
  std::vector<std::string> MachineNames() const;
  Json CapturesJson() const;

  ServerOptions options_;
  NetworkPaths paths_;
  FabricState state_;
  UniqueFd udp_, control_, epoll_, timer_, wake_, signals_;
  std::map<int, Conn> conns_;
  bool stopping_ = false;

  std::vector<Port> ports_;
  std::vector<int16_t> port_by_udp_;  // UDP source port -> index into ports_, -1
  std::vector<Slot> slots_;           // ports_.size()^2, [src * n + dst]
  std::map<std::pair<std::string, std::string>, std::unique_ptr<LinkEntry>> links_;
  std::unordered_map<uint64_t, MacEntry> macs_;
  uint64_t topology_ = 0;  // bumped by Rebuild()

  std::vector<Held> held_;  // min-heap on (at_ns, seq)
  uint64_t held_seq_ = 0;
  int64_t armed_ns_ = -1;

  std::vector<Capture> captures_;
  int next_capture_id_ = 1;
  int64_t last_capture_flush_ns_ = 0;

  // Batched immediate sends (sendmmsg).
  std::vector<struct mmsghdr> out_msgs_;
  std::vector<struct iovec> out_iov_;
  size_t out_count_ = 0;

  // Network-wide counters.
  uint64_t unknown_source_ = 0, flooded_ = 0, filtered_ = 0, truncated_ = 0, send_errors_ = 0;
};

// Current CLOCK_MONOTONIC time in nanoseconds.
int64_t MonotonicNs();

}  // namespace berth::fabric
