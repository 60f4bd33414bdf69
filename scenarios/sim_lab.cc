#include "scenarios/sim_lab.h"

#include <thread>

#include "base/subprocess.h"

namespace berth::scenarios {
namespace {

using Clock = std::chrono::steady_clock;

class SimKv : public KvClient {
 public:
  SimKv(SimLab& lab, std::vector<std::string> members) : lab_(lab), members_(std::move(members)) {}
  Status Put(const std::string& key, const std::string& value) override {
    if (!lab_.QuorumReachable(members_))
      return Unavailable("put " + key + ": no quorum among " + std::to_string(members_.size()) +
                         " members");
    return lab_.StorePut(key, value);
  }
  Result<std::optional<std::string>> Get(const std::string& key) override {
    if (!lab_.QuorumReachable(members_)) return Unavailable("get " + key + ": no quorum");
    return lab_.StoreGet(key);
  }

 private:
  SimLab& lab_;
  std::vector<std::string> members_;
};

std::string MachineOf(const std::string& target) { return target.substr(0, target.rfind(':')); }

}  // namespace

Status SimLab::Record(const std::string& what, const std::string& action_type) {
  log_.push_back(what);
  if (!options_.fail_action.empty() && action_type == options_.fail_action)
    return Internal(what + ": simulated failure");
  return Status::Ok();
}

Result<SimLab::Sim*> SimLab::Find(const std::string& machine) {
  auto it = machines_.find(machine);
  if (it == machines_.end()) return NotFound("machine '" + machine + "' does not exist");
  return &it->second;
}

Status SimLab::CreateNetwork(const NetworkSpec& network) {
  std::lock_guard<std::mutex> lock(mu_);
  network_ = true;
  return Record("net.create " + network.subnet, "net.create");
}

Status SimLab::CreateMachine(const MachineSpec& machine) {
  std::lock_guard<std::mutex> lock(mu_);
  if (machine.name == options_.fail_create)
    return Unavailable("create machine '" + machine.name + "': simulated failure");
  if (machines_.count(machine.name))
    return AlreadyExists("machine '" + machine.name + "' exists already");
  machines_[machine.name].serving_from = Clock::now();
  return Record("machine.create " + machine.name, "machine.create");
}

Status SimLab::RemoveMachine(const std::string& machine) {
  std::lock_guard<std::mutex> lock(mu_);
  BERTH_ASSIGN_OR_RETURN(Sim * m, Find(machine));
  (void)m;
  machines_.erase(machine);
  return Record("machine.remove " + machine, "machine.remove");
}

Status SimLab::SeedImage(const std::string& image) {
  std::lock_guard<std::mutex> lock(mu_);
  return Record("image.seed " + image, "image.seed");
}

Status SimLab::RunContainer(const ContainerSpec& c) {
  std::lock_guard<std::mutex> lock(mu_);
  BERTH_ASSIGN_OR_RETURN(Sim * m, Find(c.machine));
  m->containers[c.name] = true;
  for (const auto& p : c.ports) m->ports[p.substr(0, p.find(':'))] = c.name;
  return Record("container.run " + c.machine + "/" + c.name, "container.run");
}

Status SimLab::Machine(const std::string& machine, MachineOp op) {
  std::lock_guard<std::mutex> lock(mu_);
  BERTH_ASSIGN_OR_RETURN(Sim * m, Find(machine));
  const std::string type = std::string("machine.") + MachineOpName(op);
  BERTH_RETURN_IF_ERROR(Record(type + " " + machine, type));
  switch (op) {
    case MachineOp::kKill:
    case MachineOp::kStop:
      m->state = State::kStopped;
      break;
    case MachineOp::kPause:
      if (m->state != State::kRunning) return FailedPrecondition(machine + " is not running");
      m->state = State::kPaused;
      break;
    case MachineOp::kResume:
      if (m->state != State::kPaused) return FailedPrecondition(machine + " is not paused");
      m->state = State::kRunning;
      break;
    case MachineOp::kStart:
    case MachineOp::kReboot:
      if (op == MachineOp::kStart && m->state == State::kRunning) break;
      m->state = State::kRunning;
      m->serving_from = Clock::now() + options_.boot_delay;
      break;
  }
  return Status::Ok();
}

Status SimLab::Container(const std::string& machine, const std::string& container, ContainerOp op) {
  std::lock_guard<std::mutex> lock(mu_);
  BERTH_ASSIGN_OR_RETURN(Sim * m, Find(machine));
  auto it = m->containers.find(container);
  if (it == m->containers.end())
    return NotFound("container '" + container + "' on '" + machine + "' does not exist");
  const std::string type = std::string("container.") + ContainerOpName(op);
  BERTH_RETURN_IF_ERROR(Record(type + " " + machine + "/" + container, type));
  it->second = op == ContainerOp::kStart;
  return Status::Ok();
}

Status SimLab::Partition(const Grudge& grudge) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string what = "net.partition";
  for (const auto& [who, dropped] : grudge) {
    what += " " + who + "-x";
    for (const auto& d : dropped) what += d + ",";
    grudge_[who].insert(dropped.begin(), dropped.end());
  }
  return Record(what, "net.partition");
}

Status SimLab::Impair(const Impairment& impairment) {
  std::lock_guard<std::mutex> lock(mu_);
  impairments_.push_back(impairment);
  return Record("net.impair delay=" + std::to_string(impairment.delay.count()) +
                    "ms loss=" + std::to_string(impairment.loss),
                "net.impair");
}

Status SimLab::HealNetwork() {
  std::lock_guard<std::mutex> lock(mu_);
  grudge_.clear();
  impairments_.clear();
  return Record("net.heal", "net.heal");
}

Status SimLab::FillDisk(const std::string& machine, int64_t leave_mb) {
  std::lock_guard<std::mutex> lock(mu_);
  BERTH_RETURN_IF_ERROR(Find(machine).status());
  return Record("disk.fill " + machine, "disk.fill");
}

Status SimLab::FreeDisk(const std::string& machine) {
  std::lock_guard<std::mutex> lock(mu_);
  BERTH_RETURN_IF_ERROR(Find(machine).status());
  return Record("disk.free " + machine, "disk.free");
}

Status SimLab::SkewClock(const std::string& machine, Millis offset) {
  std::lock_guard<std::mutex> lock(mu_);
  BERTH_RETURN_IF_ERROR(Find(machine).status());
  return Record("clock.skew " + machine + " " + std::to_string(offset.count()) + "ms",
                "clock.skew");
}

Status SimLab::ResetClock(const std::string& machine) {
  std::lock_guard<std::mutex> lock(mu_);
  BERTH_RETURN_IF_ERROR(Find(machine).status());
  return Record("clock.reset " + machine, "clock.reset");
}

Result<ExecResult> SimLab::Exec(const std::string& machine, const std::vector<std::string>& command,
                                Millis timeout) {
  if (machine.empty()) {
    RunOptions o;
    o.timeout = timeout;
    o.merge_stderr = true;
    BERTH_ASSIGN_OR_RETURN(RunResult r, Run(command, o));
    return ExecResult{r.exit_code, r.out};
  }
  std::lock_guard<std::mutex> lock(mu_);
  BERTH_ASSIGN_OR_RETURN(Sim * m, Find(machine));
  bool up = m->state == State::kRunning && Clock::now() >= m->serving_from;
  return ExecResult{up ? 0 : 255, up ? "" : "ssh: connect to " + machine + ": refused"};
}

bool SimLab::Reachable(const std::string& a, const std::string& b) const {
  auto drops = [&](const std::string& x, const std::string& y) {
    auto it = grudge_.find(x);
    return it != grudge_.end() && it->second.count(y);
  };
  return !drops(a, b) && !drops(b, a);
}

HttpResult SimLab::HttpGet(const std::string& from, const std::string& target,
                           const std::string& path, Millis timeout) {
  HttpResult r;
  double delay_ms = options_.base_latency_ms;
  bool times_out = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const std::string name = MachineOf(target);
    const std::string port = target.substr(target.rfind(':') + 1);
    auto it = machines_.find(name);
    if (it == machines_.end() || it->second.state == State::kStopped) {
      r.error = "Couldn't connect to server";
      return r;
    }
    const Sim& m = it->second;
    times_out = m.state == State::kPaused;
    if (!from.empty()) {
      times_out = times_out || !Reachable(from, name) || !machines_.count(from);
      for (const auto& imp : impairments_) {
        bool hits = imp.machines.empty();
        for (const auto& x : imp.machines) hits = hits || x == from || x == name;
        if (!hits) continue;
        // A request and its answer cross the link: delay twice, lose either.
        delay_ms += 2 * imp.delay.count();
        if (imp.jitter.count() > 0) delay_ms += rng_.Below(imp.jitter.count() * 2 + 1);
        double p = imp.loss;
        if (p > 0 && (rng_.Next() % 1000000) < (1 - (1 - p) * (1 - p)) * 1000000) times_out = true;
      }
    }
    if (!times_out) {
      auto c = m.ports.find(port);
      bool serving =
          c != m.ports.end() && m.containers.at(c->second) && Clock::now() >= m.serving_from;
      if (!serving) {
        r.error = "Connection refused";
        return r;
      }
    }
  }
  if (times_out || delay_ms > timeout.count()) {
    std::this_thread::sleep_for(timeout);
    r.latency_ms = timeout.count();
    r.error = "Timeout was reached";
    return r;
  }
  auto t0 = Clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(delay_ms));
  r.latency_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  r.status = 200;
  return r;
}

bool SimLab::QuorumReachable(const std::vector<std::string>& members) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> up;
  for (const auto& t : members) {
    auto it = machines_.find(MachineOf(t));
    if (it != machines_.end() && it->second.state == State::kRunning) up.push_back(it->first);
  }
  // The largest group of running members that all reach each other.
  size_t best = 0;
  for (const auto& a : up) {
    size_t n = 0;
    for (const auto& b : up) n += Reachable(a, b);
    best = std::max(best, n);
  }
  return best * 2 > members.size();
}

Status SimLab::StorePut(const std::string& key, const std::string& value) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!options_.lose_acked_writes) store_[key] = value;
  return Status::Ok();
}

Result<std::optional<std::string>> SimLab::StoreGet(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = store_.find(key);
  if (it == store_.end()) return std::optional<std::string>();
  return std::optional<std::string>(it->second);
}

Result<std::unique_ptr<KvClient>> SimLab::ConnectKv(const std::string& store,
                                                    const std::vector<std::string>& targets) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& t : targets) BERTH_RETURN_IF_ERROR(Find(MachineOf(t)).status());
  return std::unique_ptr<KvClient>(new SimKv(*this, targets));
}

Result<std::vector<std::string>> SimLab::Teardown(bool keep) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& [name, m] : machines_)
    out.push_back(std::string(keep ? "kept" : "removed") + " machine " + name + " (simulated)");
  if (network_) out.push_back(std::string(keep ? "kept" : "removed") + " lab network (simulated)");
  if (!keep) {
    machines_.clear();
    network_ = false;
    log_.push_back("teardown");
  }
  return out;
}

std::vector<std::string> SimLab::Log() const {
  std::lock_guard<std::mutex> lock(mu_);
  return log_;
}

std::vector<std::string> SimLab::Machines() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& [name, m] : machines_) out.push_back(name);
  return out;
}

}  // namespace berth::scenarios
