// SimLab: an in-memory model of a lab, for tests and `scenario run --dry-run`.
//
// Machines are states (running, stopped, paused); a started machine serves
// again after `boot_delay`. Containers restart with their machine (the engine
// restores them). HTTP to "machine:port" answers 200 when the machine runs and
// a running container publishes that port; a stopped machine refuses at
// once, a paused one times out. Requests `from` a machine see partitions
// (time out) and impairments (delay, jitter, loss). The kv store accepts a
// write while a majority of its target machines run and can reach each
// other. Host commands (Exec with no machine) really run on the host;
// commands in a machine only report whether it runs (exit 0, or 255).
// Everything is guarded by one mutex; sleeps happen outside it.
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "scenarios/actions.h"
#include "scenarios/lab.h"

namespace berth::scenarios {

class SimLab : public Lab {
 public:
  struct Options {
    Millis boot_delay{300};
    double base_latency_ms = 1;
    uint64_t seed = 1;
    // Fault injection for tests of the runner itself.
    std::string fail_action;         // this Machine/Container/... op fails ("machine.kill")
    std::string fail_create;         // CreateMachine of this name fails
    bool lose_acked_writes = false;  // the store forgets every acknowledged write
  };
  SimLab() : SimLab(Options{}) {}
  explicit SimLab(Options options) : options_(std::move(options)), rng_(options_.seed) {}

  std::string Kind() const override { return "sim"; }
  Status CreateNetwork(const NetworkSpec& network) override;
  Status CreateMachine(const MachineSpec& machine) override;
  Status RemoveMachine(const std::string& machine) override;
  Status SeedImage(const std::string& image) override;
  Status RunContainer(const ContainerSpec& container) override;
  Status Machine(const std::string& machine, MachineOp op) override;
  Status Container(const std::string& machine, const std::string& container,
                   ContainerOp op) override;
  Status Partition(const Grudge& grudge) override;
  Status Impair(const Impairment& impairment) override;
  Status HealNetwork() override;
  Status FillDisk(const std::string& machine, int64_t leave_mb) override;
  Status FreeDisk(const std::string& machine) override;
  Status SkewClock(const std::string& machine, Millis offset) override;
  Status ResetClock(const std::string& machine) override;
  Result<ExecResult> Exec(const std::string& machine, const std::vector<std::string>& command,
                          Millis timeout) override;
  HttpResult HttpGet(const std::string& from, const std::string& target, const std::string& path,
                     Millis timeout) override;
  Result<std::unique_ptr<KvClient>> ConnectKv(const std::string& store,
                                              const std::vector<std::string>& targets) override;
  Result<std::vector<std::string>> Teardown(bool keep) override;

  // For tests: every operation performed, e.g. "machine.kill web2".
  std::vector<std::string> Log() const;
  // For tests: names of machines that exist now.
  std::vector<std::string> Machines() const;

  // Used by the store client.
  bool QuorumReachable(const std::vector<std::string>& members);
  Status StorePut(const std::string& key, const std::string& value);
  Result<std::optional<std::string>> StoreGet(const std::string& key);

 private:
  enum class State { kRunning, kStopped, kPaused };
  struct Sim {
    State state = State::kRunning;
    std::chrono::steady_clock::time_point serving_from;
    std::map<std::string, bool> containers;    // name -> running
    std::map<std::string, std::string> ports;  // published port -> container
  };
  Options options_;
  mutable std::mutex mu_;
  Rng rng_;
  bool network_ = false;
  std::map<std::string, Sim> machines_;
  Grudge grudge_;
  std::vector<Impairment> impairments_;
  std::map<std::string, std::string> store_;
  std::vector<std::string> log_;

  Status Record(const std::string& what, const std::string& action_type);
  Result<Sim*> Find(const std::string& machine);
  bool Reachable(const std::string& a, const std::string& b) const;
};

}  // namespace berth::scenarios
