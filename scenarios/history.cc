#include "scenarios/history.h"

#include <cmath>

namespace berth::scenarios {

const char* EventTypeName(EventType type) {
  switch (type) {
    case EventType::kInvoke:
      return "invoke";
    case EventType::kOk:
      return "ok";
    case EventType::kFail:
      return "fail";
    case EventType::kInfo:
      return "info";
  }
  return "?";
}

Json Event::ToJson() const {
  Json j = {{"time", std::round(time * 1e6) / 1e6},
            {"process", process},
            {"kind", kind},
            {"type", EventTypeName(type)},
            {"f", f},
            {"value", value}};
  if (latency_ms >= 0) j["latency_ms"] = std::round(latency_ms * 1000) / 1000;
  return j;
}

double History::SecondsAt(Clock::time_point t) const {
  return std::chrono::duration<double>(t - start_).count();
}

void History::Add(Event e) {
  if (e.time < 0) e.time = Now();
  std::lock_guard<std::mutex> lock(mu_);
  events_.push_back(std::move(e));
}

void History::Add(const std::string& process, const std::string& kind, EventType type,
                  const std::string& f, Json value, double latency_ms, double time) {
  Event e;
  e.time = time;
  e.process = process;
  e.kind = kind;
  e.type = type;
  e.f = f;
  e.value = std::move(value);
  e.latency_ms = latency_ms;
  Add(std::move(e));
}

std::vector<Event> History::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return events_;
}

std::string History::ToJsonLines() const {
  std::string out;
  for (const auto& e : Snapshot()) out += e.ToJson().dump() + "\n";
  return out;
}

}  // namespace berth::scenarios
