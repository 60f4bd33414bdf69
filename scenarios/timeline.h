// The timeline scheduler: fires each step at its planned time.
//
// Steps run in file order on one thread. `at: T` fires T after the run's
// start (at once if that moment has passed), `after: D` fires D after the
// previous step finished, and `when:` polls its condition from the previous
// step's end until it holds (then fires) or its timeout passes (then the step
// is recorded as not held and skipped). A random-fault step fires its planned
// faults, each at its own offset from the step's start, and lasts `for`.
// Waiting uses steady_clock::sleep_until, so a step fires within a few
// milliseconds of its plan on an idle machine; each record keeps both times.
// Run() raises its own thread's priority (nice -10) when allowed, since on a
// loaded host a sleeping thread can wake tens of milliseconds late.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "scenarios/history.h"
#include "scenarios/lab.h"
#include "scenarios/nemesis.h"
#include "scenarios/scenario.h"

namespace berth::scenarios {

struct StepRecord {
  std::string name;
  std::string action;
  double planned = 0;  // seconds since start; for `when`, when the condition held
  double actual = -1;  // when the action started; < 0 if it never ran
  double finished = -1;
  bool ok = false;
  bool condition_timed_out = false;
  std::string error;
  double lateness_ms() const { return actual < 0 ? 0 : (actual - planned) * 1000; }
};

class Timeline {
 public:
  // `cancel` (may be null) stops the run between steps and during waits.
  Timeline(const std::vector<Step>& steps, Lab& lab, Nemesis& nemesis, History& history,
           uint64_t seed, const std::atomic<bool>* cancel);

  // Runs all steps. Returns the first action error (the run broke) or
  // kCancelled; a `when` timeout is not an error (see records()).
  // `on_step` is called after each step (for progress output).
  Status Run(const std::function<void(const StepRecord&)>& on_step = nullptr);

  const std::vector<StepRecord>& records() const { return records_; }

 private:
  using Clock = std::chrono::steady_clock;
  const std::vector<Step>& steps_;
  Lab& lab_;
  Nemesis& nemesis_;
  History& history_;
  uint64_t seed_;
  const std::atomic<bool>* cancel_;
  std::vector<StepRecord> records_;

  bool Cancelled() const { return cancel_ && cancel_->load(); }
  // Sleeps until `t`; false when cancelled first.
  bool SleepUntil(Clock::time_point t) const;
  bool ConditionHolds(const Condition& c, Millis timeout);
  Status Fire(const Action& action, const std::string& name, Clock::time_point planned,
              const std::function<void(const StepRecord&)>& on_step);
};

}  // namespace berth::scenarios
