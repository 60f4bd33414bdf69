#include "scenarios/nemesis.h"

#include <algorithm>

namespace berth::scenarios {
namespace {

std::string Param(const Action& a, const std::string& key, const std::string& def = "") {
  auto it = a.params.find(key);
  return it == a.params.end() ? def : it->second;
}

Json ActionJson(const Action& a) {
  Json j = Json::object();
  for (const auto& [k, v] : a.params) j[k] = v;
  for (const auto& [k, v] : a.lists) j[k] = v;
  if (!a.grudge.empty()) j["grudge"] = a.grudge;
  return j;
}

const std::map<std::string, MachineOp>& MachineOps() {
  static const std::map<std::string, MachineOp> ops = {
      {"machine.kill", MachineOp::kKill},     {"machine.stop", MachineOp::kStop},
      {"machine.start", MachineOp::kStart},   {"machine.pause", MachineOp::kPause},
      {"machine.resume", MachineOp::kResume}, {"machine.reboot", MachineOp::kReboot}};
  return ops;
}

const std::map<std::string, ContainerOp>& ContainerOps() {
  static const std::map<std::string, ContainerOp> ops = {{"container.kill", ContainerOp::kKill},
                                                         {"container.stop", ContainerOp::kStop},
                                                         {"container.start", ContainerOp::kStart}};
  return ops;
}

}  // namespace

Nemesis::Nemesis(Lab& lab, History& history, std::vector<std::string> machines, uint64_t seed)
    : lab_(lab), history_(history), machines_(std::move(machines)), rng_(seed) {}

Status Nemesis::Apply(const Action& action, const std::string& step) {
  Json value = ActionJson(action);
  value["step"] = step;
  history_.Add("nemesis", "fault", EventType::kInvoke, action.type, value);
  double t0 = history_.Now();
  Status st = Do(action);
  double ms = (history_.Now() - t0) * 1000;
  if (!st.ok()) value["error"] = st.message();
  history_.Add("nemesis", "fault", st.ok() ? EventType::kOk : EventType::kFail, action.type, value,
               ms);
  if (st.ok()) Track(action);
  return st.WithContext("step '" + step + "': " + action.type);
}

Status Nemesis::Do(const Action& a) {
  const std::string machine = Param(a, "machine");
  if (auto it = MachineOps().find(a.type); it != MachineOps().end())
    return lab_.Machine(machine, it->second);
  if (auto it = ContainerOps().find(a.type); it != ContainerOps().end()) {
    std::vector<std::string> where = machine.empty() ? machines_ : std::vector{machine};
    // Without a machine, the action applies to the container on every machine.
    for (const auto& m : where) {
      Status st = lab_.Container(m, Param(a, "container"), it->second);
      if (!st.ok() && !(machine.empty() && st.code() == Code::kNotFound)) return st;
    }
    return Status::Ok();
  }
  if (a.type == "machine.add") {
    MachineSpec spec;
    spec.name = machine;
    spec.cpus = std::stoi(Param(a, "cpus", "1"));
    spec.memory_mb = std::stoll(Param(a, "memory", "256"));
    spec.disk_mb = std::stoll(Param(a, "disk", "1024"));
    return lab_.CreateMachine(spec);
  }
  if (a.type == "machine.remove") return lab_.RemoveMachine(machine);
  if (a.type == "net.partition") {
    Grudge g;
    if (!a.grudge.empty()) {
      for (const auto& [who, dropped] : a.grudge) g[who].insert(dropped.begin(), dropped.end());
    } else {
      auto it = a.lists.find("machines");
      std::vector<std::string> set = it == a.lists.end() ? machines_ : it->second;
      BERTH_ASSIGN_OR_RETURN(g, PlanPartition(Param(a, "shape"), set, machine, rng_));
    }
    return lab_.Partition(g);
  }
  if (a.type == "net.heal") return lab_.HealNetwork();
  if (a.type == "net.impair") {
    Impairment imp;
    if (auto it = a.lists.find("machines"); it != a.lists.end()) imp.machines = it->second;
    imp.delay = Millis(std::stoll(Param(a, "delay", "0")));
    imp.jitter = Millis(std::stoll(Param(a, "jitter", "0")));
    imp.loss = std::stod(Param(a, "loss", "0"));
    imp.duplicate = std::stod(Param(a, "duplicate", "0"));
    imp.reorder = std::stod(Param(a, "reorder", "0"));
    imp.corrupt = std::stod(Param(a, "corrupt", "0"));
    imp.rate = Param(a, "rate");
    return lab_.Impair(imp);
  }
  if (a.type == "disk.fill") return lab_.FillDisk(machine, std::stoll(Param(a, "leave", "0")));
  if (a.type == "disk.free") return lab_.FreeDisk(machine);
  if (a.type == "clock.skew")
    return lab_.SkewClock(machine, Millis(std::stoll(Param(a, "offset"))));
  if (a.type == "clock.reset") return lab_.ResetClock(machine);
  if (a.type == "exec") {
    Millis timeout(std::stoll(Param(a, "timeout", "60000")));
    BERTH_ASSIGN_OR_RETURN(ExecResult r, lab_.Exec(machine, a.lists.at("command"), timeout));
    std::string expect = Param(a, "expect_exit");
    if (!expect.empty() && std::stoi(expect) != r.exit_code)
      return FailedPrecondition("command exited " + std::to_string(r.exit_code) + ", expected " +
                                expect + ": " + r.output.substr(0, 500));
    return Status::Ok();
  }
  if (a.type == "mark") return Status::Ok();
  return InvalidArgument("unknown action '" + a.type + "'");
}

void Nemesis::Open(const std::string& key, const std::string& label) {
  for (const auto& p : periods_)
    if (p.key == key && p.end < 0) return;  // already in force
  periods_.push_back({key, label, history_.Now(), -1});
}

void Nemesis::Close(const std::string& key) {
  double now = history_.Now();
  for (auto& p : periods_)
    if (p.end < 0 && (p.key == key || (key == "net" && p.key.rfind("net", 0) == 0))) p.end = now;
}

void Nemesis::Track(const Action& a) {
  const std::string m = Param(a, "machine");
  const std::string label = a.type + (m.empty() ? "" : " " + m);
  if (a.type == "machine.kill" || a.type == "machine.stop") {
    down_.insert(m);
    Open("machine:" + m, label);
  } else if (a.type == "machine.start") {
    down_.erase(m);
    Close("machine:" + m);
  } else if (a.type == "machine.pause") {
    paused_.insert(m);
    Open("machine:" + m, label);
  } else if (a.type == "machine.resume") {
    paused_.erase(m);
    Close("machine:" + m);
  } else if (a.type == "machine.add") {
    machines_.push_back(m);
  } else if (a.type == "machine.remove") {
    machines_.erase(std::remove(machines_.begin(), machines_.end(), m), machines_.end());
    down_.erase(m);
    paused_.erase(m);
    filled_.erase(m);
    skewed_.erase(m);
    Close("machine:" + m);
  } else if (a.type == "net.partition" || a.type == "net.impair") {
    network_dirty_ = true;
    std::string shape = Param(a, "shape", a.grudge.empty() ? "" : "grudge");
    Open(a.type == "net.partition" ? "net.partition" : "net.impair",
         a.type + (shape.empty() ? "" : " " + shape));
  } else if (a.type == "net.heal") {
    network_dirty_ = false;
    Close("net");
  } else if (a.type == "disk.fill") {
    filled_.insert(m);
    Open("disk:" + m, label);
  } else if (a.type == "disk.free") {
    filled_.erase(m);
    Close("disk:" + m);
  } else if (a.type == "clock.skew") {
    skewed_.insert(m);
    Open("clock:" + m, label);
  } else if (a.type == "clock.reset") {
    skewed_.erase(m);
    Close("clock:" + m);
  }
}

Status Nemesis::HealAll() {
  Status first;
  auto run = [&](const std::string& type, const std::string& machine) {
    Action a;
    a.type = type;
    if (!machine.empty()) a.params["machine"] = machine;
    Status st = Apply(a, "final heal");
    if (first.ok() && !st.ok()) first = st;
  };
  if (network_dirty_) run("net.heal", "");
  for (const auto& m : std::set<std::string>(paused_)) run("machine.resume", m);
  for (const auto& m : std::set<std::string>(down_)) run("machine.start", m);
  for (const auto& m : std::set<std::string>(filled_)) run("disk.free", m);
  for (const auto& m : std::set<std::string>(skewed_)) run("clock.reset", m);
  return first;
}

std::vector<FaultPeriod> Nemesis::Periods(double now) const {
  std::vector<FaultPeriod> out = periods_;
  for (auto& p : out)
    if (p.end < 0) p.end = now;
  return out;
}

}  // namespace berth::scenarios
