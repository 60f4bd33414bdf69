// Driver: how berth runs a machine (libmachine's Driver shape, minus its
// flags and global registry). The libvirt driver is the real one; tests use
// tests/fakes/fake_driver.h. A driver owns no per-machine state: everything it
// needs is in the MachineConfig and the store folder.
#pragma once

#include <chrono>
#include <string>

#include "base/status.h"
#include "machine/config.h"

namespace berth::machine {

enum class MachineState {
  kRunning,
  kPaused,
  kStopping,
  kStopped,
  kError,    // crashed, or in a state berth does not expect
  kMissing,  // berth has the machine, the hypervisor does not (removed behind berth's back)
};

// "Running", "Paused", ... as shown by `berth machine ls`.
const char* StateName(MachineState state);

class Driver {
 public:
  virtual ~Driver() = default;

  virtual std::string name() const = 0;
  // Checks that machines can be created at all (hypervisor reachable, ...),
  // before anything is written.
  virtual Status PreCreateCheck() = 0;
  // Defines the machine (its disk and keys already exist) and boots it.
  virtual Status Create(const MachineConfig& config) = 0;
  virtual Status Start(const MachineConfig& config) = 0;
  // Graceful power-off; forced once `grace` has passed.
  virtual Status Stop(const MachineConfig& config, std::chrono::seconds grace) = 0;
  // Immediate power-off.
  virtual Status Kill(const MachineConfig& config) = 0;
  virtual Status Pause(const MachineConfig& config) = 0;
  virtual Status Resume(const MachineConfig& config) = 0;
  // Removes everything the driver created for the machine. Ok when there is
  // nothing left to remove (so an interrupted create can always be removed).
  virtual Status Remove(const MachineConfig& config) = 0;
  virtual Result<MachineState> State(const MachineConfig& config) = 0;
};

// Where the host reaches the machine, from its config.
std::string SshEndpoint(const MachineConfig& config);  // "127.0.0.1:41000"
std::string EngineUrl(const MachineConfig& config);    // "tcp://127.0.0.1:41001"

}  // namespace berth::machine
