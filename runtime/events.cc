#include "runtime/events.h"

#include <chrono>

namespace berth::runtime {

Json Event::ToJson() const {
  Json attrs = attributes;
  Json j = {{"Type", type},
            {"Action", action},
            {"Actor", {{"ID", id}, {"Attributes", attrs}}},
            {"scope", "local"},
            {"time", time_nano / 1000000000},
            {"timeNano", time_nano}};
  if (type == "container") {  // the older fields the client still reads
    j["status"] = action;
    j["id"] = id;
    if (attributes.count("image")) j["from"] = attributes.at("image");
  }
  return j;
}

void EventBus::Publish(const std::string& type, const std::string& action, const std::string& id,
                       std::map<std::string, std::string> attributes) {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  std::lock_guard<std::mutex> lock(mu_);
  Event e;
  e.seq = ++seq_;
  e.type = type;
  e.action = action;
  e.id = id;
  e.attributes = std::move(attributes);
  e.time_nano = std::chrono::duration_cast<std::chrono::nanoseconds>(now).count();
  events_.push_back(std::move(e));
  if (events_.size() > 1024) events_.pop_front();
  cv_.notify_all();
}

std::vector<Event> EventBus::Since(uint64_t after, int wait_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, std::chrono::milliseconds(wait_ms), [&] { return seq_ > after; });
  std::vector<Event> out;
  for (const auto& e : events_)
    if (e.seq > after) out.push_back(e);
  return out;
}

uint64_t EventBus::Last() {
  std::lock_guard<std::mutex> lock(mu_);
  return seq_;
}

}  // namespace berth::runtime
