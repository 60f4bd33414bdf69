// Server's forwarding path: the port, link and MAC tables (Rebuild) and
// everything a frame goes through from recvmmsg to sendmmsg, including held
// (delayed) frames and capture. Runs on Run()'s thread only.
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "fabric/server.h"

namespace berth::fabric {
namespace {

constexpr int kBatch = 64;
constexpr size_t kFrameMax = 16384;

uint64_t MacKey(const uint8_t* mac) {
  uint64_t k = 0;
  for (int i = 0; i < 6; ++i) k = (k << 8) | mac[i];
  return k;
}

Result<uint64_t> ParseMac(const std::string& s) {
  uint8_t b[6];
  unsigned v[6];
  char tail;
  if (std::sscanf(s.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
                  &tail) != 6)
    return InvalidArgument("'" + s + "' is not a MAC address (e.g. 52:54:00:12:34:56)");
  for (int i = 0; i < 6; ++i) b[i] = static_cast<uint8_t>(v[i]);
  return MacKey(b);
}

int64_t RealtimeNs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts.tv_sec * 1'000'000'000LL + ts.tv_nsec;
}

}  // namespace

void Server::Rebuild() {
  ++topology_;
  std::vector<std::string> old_names;
  for (const auto& p : ports_) old_names.push_back(p.name);
  std::map<std::string, Port> old_ports;
  for (auto& p : ports_) old_ports[p.name] = p;

  ports_.clear();
  port_by_udp_.assign(65536, -1);
  for (const auto& [name, m] : state_.machines) {
    Port p = old_ports.count(name) ? old_ports[name] : Port{};
    p.name = name;
    p.addr = sockaddr_in{};
    p.addr.sin_family = AF_INET;
    p.addr.sin_port = htons(static_cast<uint16_t>(m.port));
    inet_pton(AF_INET, m.host.c_str(), &p.addr.sin_addr);  // validated by Attach
    port_by_udp_[m.port] = static_cast<int16_t>(ports_.size());
    ports_.push_back(p);
  }

  // Remap learned MAC entries to the new port indices; forget departed ones.
  std::unordered_map<uint64_t, MacEntry> macs;
  for (auto& [key, e] : macs_) {
    if (e.fixed || e.port < 0 || e.port >= static_cast<int>(old_names.size())) continue;
    auto it = state_.machines.find(old_names[e.port]);
    if (it == state_.machines.end()) continue;
    e.port = static_cast<int>(std::distance(state_.machines.begin(), it));
    macs[key] = e;
  }
  int index = 0;
  for (const auto& [name, m] : state_.machines) {
    if (auto mac = ParseMac(m.mac); mac.ok()) macs[*mac] = MacEntry{index, 0, true};
    ++index;
  }
  macs_ = std::move(macs);

  size_t n = ports_.size();
  slots_.assign(n * n, Slot{});
  auto rule = [&](const std::string& a, const std::string& b) -> const Json* {
    auto it = state_.impairments.find({a, b});
    return it == state_.impairments.end() ? nullptr : &it->second;
  };
  for (size_t s = 0; s < n; ++s) {
    for (size_t d = 0; d < n; ++d) {
      if (s == d) continue;
      const std::string& from = ports_[s].name;
      const std::string& to = ports_[d].name;
      const Json* spec = rule(from, to);
      if (!spec) spec = rule(from, kAnyMachine);
      if (!spec) spec = rule(kAnyMachine, to);
      if (!spec) spec = rule(kAnyMachine, kAnyMachine);
      Json want = spec ? *spec : Json::object();
      auto& entry = links_[{from, to}];
      if (!entry) entry = std::make_unique<LinkEntry>();
      if (entry->spec != want) {           // a new entry has a null spec
        auto imp = ParseImpairment(want);  // validated when it was set
        entry->link.Configure(imp.ok() ? *imp : Impairment{}, LinkSeed(state_.seed, from, to));
        entry->spec = want;
      }
      auto g = state_.grudge.find(to);
      bool grudged = g != state_.grudge.end() && g->second.count(from);
      slots_[s * n + d] = Slot{entry.get(), grudged};
    }
  }
}

void Server::OnUdpReadable() {
  static thread_local std::vector<uint8_t> buffers(kBatch * kFrameMax);
  mmsghdr msgs[kBatch];
  iovec iov[kBatch];
  sockaddr_in from[kBatch];
  for (int round = 0; round < 16; ++round) {  // bounded, so control requests get a turn
    for (int i = 0; i < kBatch; ++i) {
      iov[i] = {buffers.data() + i * kFrameMax, kFrameMax};
      msgs[i].msg_hdr = msghdr{};
      msgs[i].msg_hdr.msg_name = &from[i];
      msgs[i].msg_hdr.msg_namelen = sizeof from[i];
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    int n = recvmmsg(udp_.get(), msgs, kBatch, MSG_DONTWAIT, nullptr);
    if (n <= 0) break;
    int64_t now = MonotonicNs();
    for (int i = 0; i < n; ++i) {
      if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
        ++truncated_;
        continue;
      }
      int src = port_by_udp_[ntohs(from[i].sin_port)];
      if (src < 0 || ports_[src].addr.sin_addr.s_addr != from[i].sin_addr.s_addr) {
        ++unknown_source_;
        continue;
      }
      HandleFrame(src, buffers.data() + i * kFrameMax, msgs[i].msg_len, now);
    }
    FlushBatch();
    if (n < kBatch) break;
  }
}

void Server::HandleFrame(int src, uint8_t* frame, size_t len, int64_t now_ns) {
  Port& in = ports_[src];
  ++in.rx_frames;
  in.rx_bytes += len;
  if (!captures_.empty()) CaptureFrame(in.name, frame, len, true);
  if (len < 14) {
    ++truncated_;
    return;
  }
  const uint8_t* dst_mac = frame;
  const uint8_t* src_mac = frame + 6;
  if (!(src_mac[0] & 1)) {  // never learn a group address as a source
    MacEntry& e = macs_[MacKey(src_mac)];
    if (!e.fixed) {
      e.port = src;
      e.seen_ns = now_ns;
    }
  }
  int out = -1;
  if (!(dst_mac[0] & 1)) {
    auto it = macs_.find(MacKey(dst_mac));
    if (it != macs_.end() &&
        (it->second.fixed || now_ns - it->second.seen_ns < options_.mac_age_ns))
      out = it->second.port;
  }
  if (out == src) {
    ++filtered_;  // the destination sits behind the ingress port
    return;
  }
  if (out >= 0) {
    Forward(src, out, frame, len, now_ns);
    return;
  }
  ++flooded_;
  for (int d = 0; d < static_cast<int>(ports_.size()); ++d)
    if (d != src) Forward(src, d, frame, len, now_ns);
}

void Server::Forward(int src, int dst, uint8_t* frame, size_t len, int64_t now_ns) {
  Slot& slot = slots_[src * ports_.size() + dst];
  Link& link = slot.entry->link;
  if (slot.grudged) {
    ++link.stats().dropped_partition;
    return;
  }
  if (link.passthrough()) {
    link.Delivered(len, false);
    SendNow(dst, frame, len);
    return;
  }
  Delivery d[2];
  int n = link.Decide(now_ns, len, d);
  for (int i = 0; i < n; ++i) {
    if (d[i].at_ns <= now_ns && d[i].corrupt_bit < 0) {
      link.Delivered(len, false);
      SendNow(dst, frame, len);
      continue;
    }
    std::string copy(reinterpret_cast<const char*>(frame), len);
    if (d[i].corrupt_bit >= 0)
      copy[d[i].corrupt_bit / 8] ^= static_cast<char>(1 << (d[i].corrupt_bit % 8));
    if (d[i].at_ns <= now_ns) {
      link.Delivered(len, false);
      FlushBatch();  // keep order with frames already batched
      if (!captures_.empty())
        CaptureFrame(ports_[dst].name, reinterpret_cast<uint8_t*>(copy.data()), len, false);
      if (sendto(udp_.get(), copy.data(), len, 0, reinterpret_cast<sockaddr*>(&ports_[dst].addr),
                 sizeof(sockaddr_in)) < 0)
        ++send_errors_;
      continue;
    }
    held_.push_back(Held{d[i].at_ns, held_seq_++, slot.entry, ports_[dst].addr, dst, topology_,
                         std::move(copy)});
    std::push_heap(held_.begin(), held_.end(), HeldLater());
  }
}

void Server::SendNow(int dst, const uint8_t* frame, size_t len) {
  if (!captures_.empty()) CaptureFrame(ports_[dst].name, frame, len, false);
  if (out_count_ == out_msgs_.size()) {
    if (out_count_ >= 1024)
      FlushBatch();
    else {
      out_msgs_.resize(std::max<size_t>(64, out_msgs_.size() * 2));
      out_iov_.resize(out_msgs_.size());
      for (size_t i = 0; i < out_msgs_.size(); ++i) out_msgs_[i].msg_hdr.msg_iov = &out_iov_[i];
    }
  }
  out_iov_[out_count_] = {const_cast<uint8_t*>(frame), len};
  msghdr& h = out_msgs_[out_count_].msg_hdr;
  h.msg_name = &ports_[dst].addr;
  h.msg_namelen = sizeof(sockaddr_in);
  h.msg_iov = &out_iov_[out_count_];
  h.msg_iovlen = 1;
  h.msg_control = nullptr;
  h.msg_controllen = 0;
  h.msg_flags = 0;
  ++out_count_;
}

void Server::FlushBatch() {
  size_t sent = 0;
  while (sent < out_count_) {
    int r = sendmmsg(udp_.get(), out_msgs_.data() + sent, static_cast<unsigned>(out_count_ - sent),
                     MSG_DONTWAIT);
    if (r < 0) {
      if (errno == EINTR) continue;
      ++send_errors_;  // e.g. a full buffer or an unreachable machine: drop it
      ++sent;
      continue;
    }
    sent += r;
  }
  out_count_ = 0;
}

void Server::ReleaseDue(int64_t now_ns) {
  while (!held_.empty() && held_.front().at_ns <= now_ns) {
    std::pop_heap(held_.begin(), held_.end(), HeldLater());
    Held h = std::move(held_.back());
    held_.pop_back();
    h.entry->link.Delivered(h.frame.size(), true);
    if (!captures_.empty() && h.topology == topology_)
      CaptureFrame(ports_[h.dst_port].name, reinterpret_cast<const uint8_t*>(h.frame.data()),
                   h.frame.size(), false);
    if (sendto(udp_.get(), h.frame.data(), h.frame.size(), 0, reinterpret_cast<sockaddr*>(&h.dst),
               sizeof h.dst) < 0)
      ++send_errors_;
  }
}

void Server::ArmTimer() {
  int64_t want = held_.empty() ? 0 : held_.front().at_ns;
  if (want == armed_ns_ || (held_.empty() && armed_ns_ < 0)) return;
  itimerspec its{};
  if (want > 0) {
    its.it_value.tv_sec = want / 1'000'000'000;
    its.it_value.tv_nsec = want % 1'000'000'000;
  }
  timerfd_settime(timer_.get(), TFD_TIMER_ABSTIME, &its, nullptr);
  armed_ns_ = want > 0 ? want : -1;
}

void Server::CaptureFrame(const std::string& machine, const uint8_t* frame, size_t len,
                          bool ingress) {
  int64_t now = 0;
  for (auto& c : captures_) {
    // The whole-network capture records each frame once, as it enters.
    bool wanted = c.machine.empty() ? ingress : c.machine == machine;
    if (!wanted) continue;
    if (!now) now = RealtimeNs();
    c.writer->Write(frame, len, now);
  }
}

void Server::ServiceCaptures(int64_t now_ns, bool force) {
  if (!force && now_ns - last_capture_flush_ns_ < kCaptureFlushNs) return;
  last_capture_flush_ns_ = now_ns;
  for (auto it = captures_.begin(); it != captures_.end();) {
    (void)it->writer->Flush();
    if (it->stop_at_ns && now_ns >= it->stop_at_ns)
      it = captures_.erase(it);
    else
      ++it;
  }
}

}  // namespace berth::fabric
