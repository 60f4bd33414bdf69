#include "scenarios/actions.h"

#include <algorithm>

namespace berth::scenarios {

const char* MachineOpName(MachineOp op) {
  switch (op) {
    case MachineOp::kKill:
      return "kill";
    case MachineOp::kStop:
      return "stop";
    case MachineOp::kStart:
      return "start";
    case MachineOp::kPause:
      return "pause";
    case MachineOp::kResume:
      return "resume";
    case MachineOp::kReboot:
      return "reboot";
  }
  return "?";
}

const char* ContainerOpName(ContainerOp op) {
  switch (op) {
    case ContainerOp::kKill:
      return "kill";
    case ContainerOp::kStop:
      return "stop";
    case ContainerOp::kStart:
      return "start";
  }
  return "?";
}

const std::vector<ActionDef>& ActionTable() {
  using K = ParamKind;
  static const std::vector<ActionDef> table = {
      {"machine.kill",
       "power a machine off at once (SIGKILL to its VM)",
       {{"machine", K::kMachine, true}},
       "machine.start"},
      {"machine.stop",
       "shut a machine down cleanly",
       {{"machine", K::kMachine, true}},
       "machine.start"},
      {"machine.start", "start a stopped or killed machine", {{"machine", K::kMachine, true}}, ""},
      {"machine.pause",
       "freeze a machine's VM (libvirt suspend)",
       {{"machine", K::kMachine, true}},
       "machine.resume"},
      {"machine.resume", "thaw a paused machine", {{"machine", K::kMachine, true}}, ""},
      {"machine.reboot", "reboot a machine", {{"machine", K::kMachine, true}}, ""},
      {"machine.add",
       "create a new machine (scale out)",
       {{"machine", K::kName, true},
        {"cpus", K::kInt, false},
        {"memory", K::kSizeMb, false},
        {"disk", K::kSizeMb, false}},
       ""},
      {"machine.remove", "remove a machine (scale in)", {{"machine", K::kMachine, true}}, ""},
      {"container.kill",
       "SIGKILL a container",
       {{"container", K::kString, true}, {"machine", K::kMachine, false}},
       "container.start"},
      {"container.stop",
       "stop a container",
       {{"container", K::kString, true}, {"machine", K::kMachine, false}},
       "container.start"},
      {"container.start",
       "start a stopped container",
       {{"container", K::kString, true}, {"machine", K::kMachine, false}},
       ""},
      {"net.partition",
       "cut the lab network: a named shape or an explicit grudge",
       {{"shape", K::kShape, false},
        {"grudge", K::kGrudge, false},
        {"machines", K::kMachines, false},
        {"machine", K::kMachine, false}},
       "net.heal"},
      {"net.heal", "remove every partition and impairment", {}, ""},
      {"net.impair",
       "impair links: delay, jitter, loss, duplicate, reorder, corrupt, rate",
       {{"machines", K::kMachines, false},
        {"delay", K::kDuration, false},
        {"jitter", K::kDuration, false},
        {"loss", K::kPercent, false},
        {"duplicate", K::kPercent, false},
        {"reorder", K::kPercent, false},
        {"corrupt", K::kPercent, false},
        {"rate", K::kString, false}},
       "net.heal"},
      {"disk.fill",
       "fill a machine's data disk",
       {{"machine", K::kMachine, true}, {"leave", K::kSizeMb, false}},
       "disk.free"},
      {"disk.free", "free what disk.fill took", {{"machine", K::kMachine, true}}, ""},
      {"clock.skew",
       "shift a machine's clock",
       {{"machine", K::kMachine, true}, {"offset", K::kSignedDuration, true}},
       "clock.reset"},
      {"clock.reset",
       "set a machine's clock back to the host's",
       {{"machine", K::kMachine, true}},
       ""},
      {"exec",
       "run a command in a machine, or on the host when no machine is given",
       {{"machine", K::kMachine, false},
        {"command", K::kCommand, true},
        {"expect_exit", K::kInt, false},
        {"timeout", K::kDuration, false}},
       ""},
      {"mark", "do nothing: a named point in time for checks", {}, ""},
  };
  return table;
}

const ActionDef* FindAction(const std::string& type) {
  for (const auto& def : ActionTable())
    if (type == def.type) return &def;
  return nullptr;
}

std::string ActionNames() {
  std::string out;
  for (const auto& def : ActionTable()) out += (out.empty() ? "" : ", ") + std::string(def.type);
  return out;
}

const std::vector<std::string>& PartitionShapes() {
  static const std::vector<std::string> shapes = {"isolate", "halves", "majority-minority",
                                                  "majorities-ring", "bridge"};
  return shapes;
}

uint64_t Rng::Next() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

namespace {

// Every machine in `a` drops every machine in `b` and the reverse.
void Cut(Grudge& g, const std::vector<std::string>& a, const std::vector<std::string>& b) {
  for (const auto& x : a)
    for (const auto& y : b) {
      g[x].insert(y);
      g[y].insert(x);
    }
}

}  // namespace

Result<Grudge> PlanPartition(const std::string& shape, std::vector<std::string> machines,
                             const std::string& isolated, Rng& rng) {
  if (machines.size() < 2)
    return InvalidArgument("partition '" + shape + "' needs at least two machines, got " +
                           std::to_string(machines.size()));
  Grudge g;
  const size_t n = machines.size();
  if (shape == "isolate") {
    std::string one = isolated.empty() ? machines[rng.Below(n)] : isolated;
    if (std::find(machines.begin(), machines.end(), one) == machines.end())
      return InvalidArgument("partition 'isolate': machine '" + one + "' is not in the set");
    std::vector<std::string> rest;
    for (const auto& m : machines)
      if (m != one) rest.push_back(m);
    Cut(g, {one}, rest);
    return g;
  }
  rng.Shuffle(machines);
  if (shape == "halves" || shape == "majority-minority") {
    // The minority is the smaller half: floor(n/2) for halves, and at most
    // floor((n-1)/2) for majority-minority so the rest is a strict majority.
    size_t small = shape == "halves" ? n / 2 : (n - 1) / 2;
    if (small == 0) small = 1;
    std::vector<std::string> a(machines.begin(), machines.begin() + small);
    std::vector<std::string> b(machines.begin() + small, machines.end());
    Cut(g, a, b);
    return g;
  }
  if (shape == "majorities-ring") {
    // Machines on a ring; each sees itself and its r nearest neighbours on
    // each side, which is a majority, but no two see the same majority.
    size_t majority = n / 2 + 1;
    size_t r = majority / 2;
    for (size_t i = 0; i < n; ++i)
      for (size_t j = 0; j < n; ++j) {
        size_t d = i > j ? i - j : j - i;
        d = std::min(d, n - d);
        if (d > r) g[machines[i]].insert(machines[j]);
      }
    return g;
  }
  if (shape == "bridge") {
    // Two halves that cannot see each other, and one machine that sees both.
    size_t mid = n / 2;
    std::vector<std::string> a(machines.begin(), machines.begin() + mid);
    std::vector<std::string> b(machines.begin() + mid + 1, machines.end());
    Cut(g, a, b);
    return g;
  }
  return InvalidArgument("unknown partition shape '" + shape + "'");
}

const std::vector<std::string>& RandomFaultTypes() {
  static const std::vector<std::string> types = {"machine.kill",  "machine.stop", "machine.pause",
                                                 "net.partition", "net.impair",   "clock.skew"};
  return types;
}

std::vector<PlannedFault> PlanRandomFaults(const Step& step,
                                           const std::vector<std::string>& all_machines,
                                           uint64_t seed) {
  std::vector<PlannedFault> plan;
  const auto& machines = step.machines.empty() ? all_machines : step.machines;
  const auto& set = step.fault_set.empty() ? RandomFaultTypes() : step.fault_set;
  if (machines.empty() || set.empty() || step.every.count() <= 0) return plan;
  Rng rng(seed);
  for (Millis t{0}; t + step.recover_after <= step.duration; t += step.every) {
    Action fault;
    fault.type = set[rng.Below(set.size())];
    fault.mark = step.mark;
    const std::string& victim = machines[rng.Below(machines.size())];
    if (fault.type == "net.partition") {
      const auto& shapes = PartitionShapes();
      fault.params["shape"] = shapes[rng.Below(shapes.size())];
      if (fault.params["shape"] == "isolate") fault.params["machine"] = victim;
      fault.lists["machines"] = machines;
    } else if (fault.type == "net.impair") {
      fault.lists["machines"] = {victim};
      fault.params["delay"] = std::to_string(50 + 50 * rng.Below(4));
      fault.params["loss"] = "0.1";
    } else if (fault.type == "clock.skew") {
      fault.params["machine"] = victim;
      fault.params["offset"] = std::to_string((rng.Below(2) ? 1 : -1) * 60000);
    } else {
      fault.params["machine"] = victim;
    }
    Action recovery;
    recovery.type = FindAction(fault.type) ? FindAction(fault.type)->recovery : "";
    recovery.mark = step.mark;
    if (fault.params.count("machine") && recovery.type != "net.heal")
      recovery.params["machine"] = victim;
    plan.push_back({t, fault});
    if (!recovery.type.empty()) plan.push_back({t + step.recover_after, recovery});
  }
  return plan;
}

}  // namespace berth::scenarios
