// The scenario runner: build the lab, run workload and timeline, heal,
// judge, tear down.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "scenarios/checks.h"
#include "scenarios/history.h"
#include "scenarios/lab.h"
#include "scenarios/nemesis.h"
#include "scenarios/scenario.h"
#include "scenarios/timeline.h"

namespace berth::scenarios {

struct RunnerOptions {
  bool keep = false;                          // leave the lab up at the end
  std::optional<uint64_t> seed;               // overrides the scenario's seed
  std::ostream* progress = nullptr;           // live progress lines; null = quiet
  bool tty = false;                           // progress may redraw one status line
  const std::atomic<bool>* cancel = nullptr;  // set (e.g. by SIGINT) to stop early
  double progress_interval_s = 2;
};

// Exit codes of `berth scenario run`.
constexpr int kExitPassed = 0;
constexpr int kExitCheckFailed = 1;
constexpr int kExitBroken = 2;

struct RunOutcome {
  int exit_code = kExitBroken;
  std::string error;  // why the run broke (exit code 2); empty otherwise
  uint64_t seed = 0;
  std::string lab_kind;
  std::vector<CheckResult> checks;
  std::vector<StepRecord> steps;
  std::vector<FaultPeriod> faults;
  std::vector<Event> events;
  std::vector<std::string> teardown;  // what was removed or kept
  double build_s = 0, run_s = 0, teardown_s = 0;
  double end = 0;  // seconds from workload start to its stop
  int passed() const;
  int failed() const;
};

// Runs `scenario` on `lab`. Never throws; every failure is in the outcome.
// Whatever happens after the lab starts being built, the network is healed,
// faults are undone and (unless options.keep) everything is removed.
RunOutcome RunScenario(const Scenario& scenario, Lab& lab, const RunnerOptions& options);

}  // namespace berth::scenarios
