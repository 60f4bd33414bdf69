// Lab: the operations a scenario needs from the world, behind one interface.
//
// The runner (runner.h) only talks to a Lab. The real one is built from the
// machine layer (machine/), the fabric (fabric/) and the engine (runtime/);
// SimLab (sim_lab.h) is an in-memory model used by tests and by
// `berth scenario run --dry-run`. Adding the real lab means implementing this
// class in one file.
//
// Thread-safety: the runner calls HttpGet, Exec and the KvClient methods from
// probe threads while the timeline thread calls the other methods, so every
// implementation must be safe for concurrent use.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/status.h"
#include "scenarios/scenario.h"

namespace berth::scenarios {

enum class MachineOp { kKill, kStop, kStart, kPause, kResume, kReboot };
enum class ContainerOp { kKill, kStop, kStart };

const char* MachineOpName(MachineOp op);
const char* ContainerOpName(ContainerOp op);

// Who drops whom: grudge[a] holds the machines whose traffic `a` drops
// (Jepsen's shape; a symmetric cut lists each side in the other's set).
using Grudge = std::map<std::string, std::set<std::string>>;

// Link impairment, applied to every link touching one of `machines` (all
// links when empty). Zero fields leave that property unimpaired.
struct Impairment {
  std::vector<std::string> machines;
  Millis delay{0};
  Millis jitter{0};
  double loss = 0;  // fractions 0..1
  double duplicate = 0;
  double reorder = 0;
  double corrupt = 0;
  std::string rate;  // e.g. "1mbit"; empty = unlimited
};

struct ExecResult {
  int exit_code = -1;
  std::string output;
};

struct HttpResult {
  int status = 0;  // HTTP status; 0 when no response arrived
  double latency_ms = 0;
  std::string error;  // transport error, empty when a response arrived
  bool ok() const { return status >= 200 && status < 400; }
};

// A client of a key-value store (etcd in the real lab). Put returns ok only
// when the store acknowledged the write; an error with code kDeadlineExceeded
// or kUnavailable means the outcome is unknown (Jepsen's "info").
class KvClient {
 public:
  virtual ~KvClient() = default;
  virtual Status Put(const std::string& key, const std::string& value) = 0;
  // Returns nullopt when the key does not exist.
  virtual Result<std::optional<std::string>> Get(const std::string& key) = 0;
};

class Lab {
 public:
  virtual ~Lab() = default;

  // A short name for reports ("sim", "libvirt").
  virtual std::string Kind() const = 0;

  // Whether this lab can run `scenario` at all; checked before anything is
  // created, so an unsupported scenario leaves nothing behind.
  virtual Status CanRun(const Scenario& scenario) { return Status::Ok(); }

  // Building. Each call either completes or leaves nothing half-made behind
  // that Teardown would not remove.
  virtual Status CreateNetwork(const NetworkSpec& network) = 0;
  virtual Status CreateMachine(const MachineSpec& machine) = 0;
  virtual Status RemoveMachine(const std::string& machine) = 0;
  virtual Status SeedImage(const std::string& image) = 0;
  virtual Status RunContainer(const ContainerSpec& container) = 0;

  // Faults and recoveries.
  virtual Status Machine(const std::string& machine, MachineOp op) = 0;
  virtual Status Container(const std::string& machine, const std::string& container,
                           ContainerOp op) = 0;
  virtual Status Partition(const Grudge& grudge) = 0;
  virtual Status Impair(const Impairment& impairment) = 0;
  // Removes every partition and impairment.
  virtual Status HealNetwork() = 0;
  // Fills the machine's data disk, leaving `leave_mb` free (0: full).
  virtual Status FillDisk(const std::string& machine, int64_t leave_mb) = 0;
  virtual Status FreeDisk(const std::string& machine) = 0;
  virtual Status SkewClock(const std::string& machine, Millis offset) = 0;
  virtual Status ResetClock(const std::string& machine) = 0;

  // Observing. `machine` empty means the host. Exec fails only when the
  // command could not be run at all; a non-zero exit is a result.
  virtual Result<ExecResult> Exec(const std::string& machine,
                                  const std::vector<std::string>& command, Millis timeout) = 0;
  // GET <path> on target "machine:port". With `from` empty the request goes
  // from the host through the machine's forwarded port (management network,
  // not affected by the fabric); with `from` naming a machine it goes from
  // inside that machine over the lab network (so partitions and impairments
  // apply). Never fails: transport errors are in HttpResult::error.
  virtual HttpResult HttpGet(const std::string& from, const std::string& target,
                             const std::string& path, Millis timeout) = 0;
  virtual Result<std::unique_ptr<KvClient>> ConnectKv(const std::string& store,
                                                      const std::vector<std::string>& targets) = 0;

  // Removes everything this lab created, unless `keep`. Returns what was kept
  // (or removed) as human-readable lines for the report.
  virtual Result<std::vector<std::string>> Teardown(bool keep) = 0;
};

}  // namespace berth::scenarios
