// Nemesis: carries out timeline actions against a Lab, records them in the
// history, remembers which faults are still in force, and heals them all at
// the end of a run.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "scenarios/actions.h"
#include "scenarios/history.h"
#include "scenarios/lab.h"

namespace berth::scenarios {

// A span of time during which a fault was in force (for the report's shading).
struct FaultPeriod {
  std::string key;    // what it hit: "machine:web2", "net", "disk:web1", ...
  std::string label;  // "machine.kill web2"
  double start = 0;   // seconds since the run's start
  double end = -1;    // < 0 while in force
};

// Not thread-safe: only the timeline thread uses it.
class Nemesis {
 public:
  // `machines` is the lab's machine list; machine.add/remove update it.
  Nemesis(Lab& lab, History& history, std::vector<std::string> machines, uint64_t seed);

  // Performs `action` (for step `step`), recording invoke and ok/fail events.
  Status Apply(const Action& action, const std::string& step);

  // Undoes every fault still in force: heals the network, resumes paused
  // machines, starts stopped or killed ones, frees filled disks, resets
  // skewed clocks. Tries all of them; returns the first error.
  Status HealAll();

  const std::vector<std::string>& machines() const { return machines_; }
  // Fault periods, with those still open closed at `now`.
  std::vector<FaultPeriod> Periods(double now) const;

 private:
  Lab& lab_;
  History& history_;
  std::vector<std::string> machines_;
  Rng rng_;
  std::set<std::string> down_, paused_, filled_, skewed_;
  bool network_dirty_ = false;
  std::vector<FaultPeriod> periods_;

  Status Do(const Action& a);
  void Track(const Action& a);
  void Open(const std::string& key, const std::string& label);
  void Close(const std::string& key);
};

}  // namespace berth::scenarios
