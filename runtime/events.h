// EventBus: the engine's event log (container/image/volume/network actions)
// for `docker events`. Keeps the most recent events in memory. Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "base/json_util.h"

namespace berth::runtime {

struct Event {
  uint64_t seq = 0;
  std::string type;    // container | image | volume | network
  std::string action;  // create | start | die | destroy | ...
  std::string id;
  std::map<std::string, std::string> attributes;
  int64_t time_nano = 0;
  Json ToJson() const;
};

class EventBus {
 public:
  void Publish(const std::string& type, const std::string& action, const std::string& id,
               std::map<std::string, std::string> attributes = {});
  // Events with seq > after, waiting up to `wait_ms` when there are none yet.
  std::vector<Event> Since(uint64_t after, int wait_ms);
  // Sequence number of the newest event (0 when none).
  uint64_t Last();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Event> events_;
  uint64_t seq_ = 0;
};

}  // namespace berth::runtime
