// Checks: verdicts over a run's history (and, for `command`, the lab).
#pragma once

#include <string>
#include <vector>

#include "base/json_util.h"
#include "scenarios/history.h"
#include "scenarios/lab.h"
#include "scenarios/scenario.h"
#include "scenarios/timeline.h"

namespace berth::scenarios {

struct CheckResult {
  std::string name;
  std::string type;
  bool passed = false;
  std::string summary;  // one line: what was measured against what bound
  Json details = Json::object();
  double seconds = 0;  // time the evaluation took (for junit)
};

// What a check sees of a finished run.
struct RunView {
  const std::vector<Event>& events;
  const std::vector<StepRecord>& steps;
  const std::vector<ProbeSpec>& probes;
  double end = 0;  // seconds since start when the workload stopped
};

// Resolves a time reference to seconds since start; an error when it names a
// step that never ran.
Result<double> ResolveTime(const TimeRef& ref, const RunView& run);

// Evaluates one check. `lab` is used only by `command` checks.
CheckResult EvaluateCheck(const CheckSpec& check, const RunView& run, Lab& lab);

// Percentile (nearest rank, p in (0, 100]) of `values`; 0 when empty.
double Percentile(std::vector<double> values, double p);

}  // namespace berth::scenarios
