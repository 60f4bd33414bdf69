// FakeDriver and FakeReadiness: machines that exist only in memory, for tests
// of what sits above the Driver (the manager, the CLI, scenarios).
#pragma once

#include <map>
#include <mutex>
#include <set>

#include "machine/driver.h"
#include "machine/readiness.h"

namespace berth::testing {

class FakeDriver : public machine::Driver {
 public:
  using MS = machine::MachineState;
  std::string name() const override { return "fake"; }
  Status PreCreateCheck() override { return precheck_; }
  Status Create(const machine::MachineConfig& c) override {
    std::lock_guard l(mu_);
    if (fail_create_.count(c.name)) return Internal("create " + c.name + ": injected failure");
    states_[c.name] = MS::kRunning;
    created_.push_back(c.name);
    return Status::Ok();
  }
  Status Start(const machine::MachineConfig& c) override { return Set(c, MS::kRunning); }
  Status Stop(const machine::MachineConfig& c, std::chrono::seconds) override {
    return Set(c, MS::kStopped);
  }
  Status Kill(const machine::MachineConfig& c) override { return Set(c, MS::kStopped); }
  Status Pause(const machine::MachineConfig& c) override { return Set(c, MS::kPaused); }
  Status Resume(const machine::MachineConfig& c) override { return Set(c, MS::kRunning); }
  Status Remove(const machine::MachineConfig& c) override {
    std::lock_guard l(mu_);
    states_.erase(c.name);
    removed_.insert(c.name);
    return Status::Ok();
  }
  Result<MS> State(const machine::MachineConfig& c) override {
    std::lock_guard l(mu_);
    auto it = states_.find(c.name);
    return it == states_.end() ? MS::kMissing : it->second;
  }

  Status precheck_;
  std::set<std::string> fail_create_;
  std::vector<std::string> created_;
  std::set<std::string> removed_;
  void Forget(const std::string& n) {
    std::lock_guard l(mu_);
    states_.erase(n);
  }

 private:
  Status Set(const machine::MachineConfig& c, MS s) {
    std::lock_guard l(mu_);
    if (!states_.count(c.name)) return NotFound("machine " + c.name + " has no domain");
    states_[c.name] = s;
    return Status::Ok();
  }
  std::mutex mu_;
  std::map<std::string, MS> states_;
};

class FakeReadiness : public machine::Readiness {
 public:
  Status WaitReady(const machine::MachineConfig& c, size_t, std::chrono::seconds,
                   const machine::ProgressFn& progress) override {
    if (progress) progress(c.name, "waiting for SSH");
    std::lock_guard l(mu_);
    ++waits_;
    if (never_ready_.count(c.name))
      return DeadlineExceeded("machine '" + c.name + "' was not ready");
    return Status::Ok();
  }
  std::set<std::string> never_ready_;
  int waits_ = 0;

 private:
  std::mutex mu_;
};

}  // namespace berth::testing
