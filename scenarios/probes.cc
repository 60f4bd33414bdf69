#include "scenarios/probes.h"

#include <map>
#include <mutex>

namespace berth::scenarios {
namespace {

using Clock = std::chrono::steady_clock;

// Sleeps until `t` in slices so that `stop` is noticed within 20 ms.
bool SleepUntil(Clock::time_point t, const std::atomic<bool>& stop) {
  while (Clock::now() < t) {
    if (stop) return false;
    std::this_thread::sleep_until(std::min(t, Clock::now() + std::chrono::milliseconds(20)));
  }
  return !stop;
}

class Counter {
 public:
  void Count(bool ok) { (ok ? ok_ : fail_)++; }
  std::string Take(const std::string& name) {
    int ok = ok_.exchange(0), fail = fail_.exchange(0);
    return name + " " + std::to_string(ok) + "/" + std::to_string(ok + fail) + " ok";
  }

 private:
  std::atomic<int> ok_{0}, fail_{0};
};

class HttpProbe : public Probe {
 public:
  HttpProbe(const ProbeSpec& spec, Lab& lab, History& history)
      : Probe(spec), lab_(lab), history_(history) {}
  ~HttpProbe() override { Stop(); }

  Status Start() override {
    const double per_target = spec_.rate / static_cast<double>(spec_.targets.size());
    const auto interval = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(1.0 / per_target));
    for (size_t i = 0; i < spec_.targets.size(); ++i) {
      // Stagger targets so requests spread evenly over each interval.
      auto first = Clock::now() + interval * i / spec_.targets.size();
      threads_.emplace_back(
          [this, i, first, interval] { Loop(spec_.targets[i], first, interval); });
    }
    return Status::Ok();
  }

  void Stop() override {
    stop_ = true;
    for (auto& t : threads_)
      if (t.joinable()) t.join();
    threads_.clear();
  }

  std::string Progress() override { return counter_.Take(spec_.name); }

 private:
  Lab& lab_;
  History& history_;
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
  Counter counter_;

  void Loop(const std::string& target, Clock::time_point next, Clock::duration interval) {
    const std::string process = ProbeProcess(spec_, target);
    while (SleepUntil(next, stop_)) {
      history_.Add(process, "op", EventType::kInvoke, "get", Json{{"target", target}});
      HttpResult r = lab_.HttpGet(spec_.from, target, spec_.path, spec_.timeout);
      Json value = {{"target", target}, {"status", r.status}};
      if (!r.error.empty()) value["error"] = r.error;
      history_.Add(process, "op", r.ok() ? EventType::kOk : EventType::kFail, "get", value,
                   r.latency_ms);
      counter_.Count(r.ok());
      next += interval;
      // After a long request, skip the slots that passed instead of bursting.
      if (next < Clock::now()) next = Clock::now();
    }
  }
};

class KvProbe : public Probe {
 public:
  KvProbe(const ProbeSpec& spec, Lab& lab, History& history)
      : Probe(spec), lab_(lab), history_(history) {}
  ~KvProbe() override { Stop(); }

  Status Start() override {
    BERTH_ASSIGN_OR_RETURN(client_, lab_.ConnectKv(spec_.store, spec_.targets));
    thread_ = std::thread([this] { Loop(); });
    return Status::Ok();
  }

  void Stop() override {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }

  // For every key: the final value must come from the last acknowledged
  // write or from a later write whose outcome was not known.
  Status Finish() override {
    if (!client_) return Status::Ok();
    Json lost = Json::array();
    int checked = 0, unreadable = 0;
    for (const auto& [key, acked] : last_ack_) {
      // The store may need a moment after the final heal to elect a leader.
      auto got = client_->Get(key);
      for (auto deadline = Clock::now() + std::chrono::seconds(10);
           !got.ok() && Clock::now() < deadline;) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        got = client_->Get(key);
      }
      ++checked;
      if (!got.ok()) {
        ++unreadable;
        continue;
      }
      long index = -1;
      if (got->has_value() && (*got)->size() > 1) index = std::stol((*got)->substr(1));
      if (index < acked)
        lost.push_back({{"key", key},
                        {"acked", "v" + std::to_string(acked)},
                        {"read", got->has_value() ? Json(**got) : Json(nullptr)}});
    }
    history_.Add(spec_.name, "op", unreadable ? EventType::kInfo : EventType::kOk, "final-read",
                 Json{{"acknowledged_keys", checked}, {"unreadable", unreadable}, {"lost", lost}});
    return Status::Ok();
  }

  std::string Progress() override { return counter_.Take(spec_.name); }

 private:
  Lab& lab_;
  History& history_;
  std::unique_ptr<KvClient> client_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  Counter counter_;
  std::map<std::string, long> last_ack_;  // key -> index of last acknowledged write

  void Loop() {
    const auto interval = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(1.0 / spec_.rate));
    Clock::time_point next = Clock::now();
    for (long i = 0; SleepUntil(next, stop_); ++i) {
      std::string key = "berth/" + std::to_string(spec_.keys > 0 ? i % spec_.keys : i);
      std::string value = "v" + std::to_string(i);
      Json v = {{"key", key}, {"value", value}};
      history_.Add(spec_.name, "op", EventType::kInvoke, "put", v);
      auto t0 = Clock::now();
      Status st = client_->Put(key, value);
      double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
      EventType type = EventType::kOk;
      if (!st.ok()) {
        v["error"] = st.message();
        bool unknown = st.code() == Code::kDeadlineExceeded || st.code() == Code::kUnavailable;
        type = unknown ? EventType::kInfo : EventType::kFail;
      } else {
        last_ack_[key] = i;
      }
      history_.Add(spec_.name, "op", type, "put", v, ms);
      counter_.Count(st.ok());
      next += interval;
      if (next < Clock::now()) next = Clock::now();
    }
  }
};

}  // namespace

std::string ProbeProcess(const ProbeSpec& spec, const std::string& target) {
  return spec.name + ":" + target;
}

std::unique_ptr<Probe> MakeProbe(const ProbeSpec& spec, Lab& lab, History& history) {
  if (spec.type == ProbeType::kKv) return std::make_unique<KvProbe>(spec, lab, history);
  return std::make_unique<HttpProbe>(spec, lab, history);
}

}  // namespace berth::scenarios
