#include "scenarios/timeline.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <thread>

#include "scenarios/actions.h"

namespace berth::scenarios {

Timeline::Timeline(const std::vector<Step>& steps, Lab& lab, Nemesis& nemesis, History& history,
                   uint64_t seed, const std::atomic<bool>* cancel)
    : steps_(steps),
      lab_(lab),
      nemesis_(nemesis),
      history_(history),
      seed_(seed),
      cancel_(cancel) {}

bool Timeline::SleepUntil(Clock::time_point t) const {
  // Wake at least every 50 ms to notice cancellation; the last sleep ends
  // exactly at `t`.
  while (Clock::now() < t) {
    if (Cancelled()) return false;
    std::this_thread::sleep_until(std::min(t, Clock::now() + std::chrono::milliseconds(50)));
  }
  return !Cancelled();
}

bool Timeline::ConditionHolds(const Condition& c, Millis timeout) {
  if (c.kind == Condition::Kind::kHttp) return lab_.HttpGet("", c.target, c.path, timeout).ok();
  auto r = lab_.Exec(c.machine, c.command, timeout);
  return r.ok() && r->exit_code == 0;
}

Status Timeline::Fire(const Action& action, const std::string& name, Clock::time_point planned,
                      const std::function<void(const StepRecord&)>& on_step) {
  StepRecord rec;
  rec.name = name;
  rec.action = action.type;
  rec.planned = history_.SecondsAt(planned);
  if (!SleepUntil(planned)) return Status(Code::kCancelled, "cancelled before step '" + name + "'");
  rec.actual = history_.Now();
  Status st = nemesis_.Apply(action, name);
  rec.finished = history_.Now();
  rec.ok = st.ok();
  rec.error = st.ok() ? "" : st.message();
  records_.push_back(rec);
  if (on_step) on_step(rec);
  return st;
}

Status Timeline::Run(const std::function<void(const StepRecord&)>& on_step) {
  // Best effort: a higher priority for this (mostly sleeping) thread keeps
  // steps on time when the host is busy. Needs CAP_SYS_NICE; ignored without.
  (void)setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), -10);
  const Clock::time_point start = history_.start();
  Clock::time_point prev_end = start;
  for (size_t i = 0; i < steps_.size(); ++i) {
    const Step& step = steps_[i];
    if (step.random) {
      Clock::time_point block =
          step.when == Step::When::kAt ? start + step.offset : prev_end + step.offset;
      auto plan = PlanRandomFaults(step, nemesis_.machines(), seed_ ^ (0x51ed27ULL * (i + 1)));
      for (size_t k = 0; k < plan.size(); ++k)
        BERTH_RETURN_IF_ERROR(Fire(plan[k].action, step.name + " #" + std::to_string(k + 1),
                                   block + plan[k].offset, on_step));
      if (!SleepUntil(block + step.duration))
        return Status(Code::kCancelled, "cancelled during step '" + step.name + "'");
      prev_end = Clock::now();
      continue;
    }
    Clock::time_point planned;
    switch (step.when) {
      case Step::When::kAt:
        planned = start + step.offset;
        break;
      case Step::When::kAfter:
        planned = prev_end + step.offset;
        break;
      case Step::When::kCondition: {
        const Clock::time_point deadline = prev_end + step.timeout;
        bool held = false;
        while (!held) {
          if (Cancelled()) return Status(Code::kCancelled, "cancelled in step '" + step.name + "'");
          Clock::time_point poll_start = Clock::now();
          if (poll_start >= deadline) break;
          auto left = std::chrono::duration_cast<Millis>(deadline - poll_start);
          held = ConditionHolds(*step.condition, std::min(left, std::max(step.poll, Millis(1000))));
          if (!held) SleepUntil(std::min(deadline, poll_start + step.poll));
        }
        if (!held) {
          StepRecord rec;
          rec.name = step.name;
          rec.action = step.action.type;
          rec.planned = history_.SecondsAt(deadline);
          rec.condition_timed_out = true;
          rec.error = "condition did not hold within " +
                      std::to_string(step.timeout.count() / 1000.0).substr(0, 6) + "s";
          history_.Add("timeline", "fault", EventType::kFail, "when",
                       Json{{"step", step.name}, {"error", rec.error}});
          records_.push_back(rec);
          if (on_step) on_step(rec);
          prev_end = Clock::now();
          continue;
        }
        planned = Clock::now();
        history_.Add("timeline", "fault", EventType::kOk, "when", Json{{"step", step.name}});
        break;
      }
    }
    BERTH_RETURN_IF_ERROR(Fire(step.action, step.name, planned, on_step));
    prev_end = Clock::now();
  }
  return Status::Ok();
}

}  // namespace berth::scenarios
