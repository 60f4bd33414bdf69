// The action vocabulary, as data: every timeline action's name, parameters
// and recovery; partition shapes; the seeded random-fault planner.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "scenarios/lab.h"
#include "scenarios/scenario.h"

namespace berth::scenarios {

enum class ParamKind {
  kMachine,  // name of a lab machine
  kName,     // a new name (machine.add)
  kString,
  kMachines,  // list of lab machines
  kDuration,  // "5s", "200ms"; stored as milliseconds
  kSignedDuration,
  kPercent,  // "10%" or 0.1; stored as a fraction
  kSizeMb,   // "512M", "2G"; stored as MiB
  kInt,
  kCommand,  // a string (run by sh -c) or a list of arguments
  kShape,    // a partition shape name
  kGrudge,   // map machine -> list of machines
};

struct ParamDef {
  const char* name;
  ParamKind kind;
  bool required;
};

struct ActionDef {
  const char* type;
  const char* summary;
  std::vector<ParamDef> params;
  const char* recovery;  // action that undoes it, or "" (not a fault)
};

// The whole vocabulary, in documentation order.
const std::vector<ActionDef>& ActionTable();
// nullptr when `type` is not an action.
const ActionDef* FindAction(const std::string& type);
// "machine.kill, machine.stop, ..." for error messages.
std::string ActionNames();

// Partition shapes (Jepsen's names): isolate, halves, majority-minority,
// majorities-ring, bridge.
const std::vector<std::string>& PartitionShapes();

// A small deterministic generator (splitmix64), identical on every platform,
// so a seed replays the same faults everywhere.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next();
  // Uniform in [0, n); n > 0.
  size_t Below(size_t n) { return static_cast<size_t>(Next() % n); }
  template <typename T>
  void Shuffle(std::vector<T>& v) {
    for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[Below(i)]);
  }

 private:
  uint64_t state_;
};

// Computes the grudge for a named shape over `machines` (in the given order,
// shuffled by `rng` where the shape picks sides at random). `isolated` names
// the machine for "isolate" (empty: one drawn from rng). Fails on an unknown
// shape or fewer than two machines.
Result<Grudge> PlanPartition(const std::string& shape, std::vector<std::string> machines,
                             const std::string& isolated, Rng& rng);

// One concrete fault (or its recovery) of a random-fault step, at `offset`
// from the step's start.
struct PlannedFault {
  Millis offset{0};
  Action action;
};

// Plans a random-fault step: every `every`, one fault drawn from
// step.fault_set hits a machine drawn from step.machines (or `all_machines`),
// and is undone `recover_after` later. Deterministic in `seed`.
std::vector<PlannedFault> PlanRandomFaults(const Step& step,
                                           const std::vector<std::string>& all_machines,
                                           uint64_t seed);

// Fault types a random-fault step may draw from.
const std::vector<std::string>& RandomFaultTypes();

}  // namespace berth::scenarios
