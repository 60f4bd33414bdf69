// The history of a run: every operation and every fault, in Jepsen's shape.
//
// Each event is one JSON line: {"time": seconds since the run started,
// "process": who did it ("http:web1:8080", "kv", "nemesis", "timeline"),
// "kind": "op" (workload) or "fault" (nemesis/timeline), "type": "invoke",
// "ok", "fail" or "info" (outcome unknown), "f": what was done ("get",
// "put", "machine.kill", ...), "value": details, and for completions
// "latency_ms"}. Thread-safe: probes and the timeline append concurrently.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "base/json_util.h"
#include "base/status.h"

namespace berth::scenarios {

enum class EventType { kInvoke, kOk, kFail, kInfo };
const char* EventTypeName(EventType type);

struct Event {
  double time = 0;  // seconds since the run's start
  std::string process;
  std::string kind;  // "op" or "fault"
  EventType type = EventType::kInvoke;
  std::string f;
  Json value;
  double latency_ms = -1;  // < 0: not a completion with a latency
  Json ToJson() const;
};

class History {
 public:
  using Clock = std::chrono::steady_clock;
  explicit History(Clock::time_point start = Clock::now()) : start_(start) {}

  Clock::time_point start() const { return start_; }
  // Seconds from the start to `t`.
  double SecondsAt(Clock::time_point t) const;
  double Now() const { return SecondsAt(Clock::now()); }

  // Appends an event stamped now (or at `time` when >= 0).
  void Add(Event e);
  void Add(const std::string& process, const std::string& kind, EventType type,
           const std::string& f, Json value, double latency_ms = -1, double time = -1);

  // A copy of every event so far, in append order (which is time order for
  // events stamped now).
  std::vector<Event> Snapshot() const;
  // One JSON object per line.
  std::string ToJsonLines() const;

 private:
  Clock::time_point start_;
  mutable std::mutex mu_;
  std::vector<Event> events_;
};

}  // namespace berth::scenarios
