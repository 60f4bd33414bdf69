// LabNetwork: the seam between machines and the fabric (the simulated lab
// network). The machine manager asks it for the fabric's UDP endpoint before
// defining a machine, and attaches/detaches the machine's tunnel.
#pragma once

#include <string>

#include "base/status.h"
#include "machine/config.h"

namespace berth::machine {

class LabNetwork {
 public:
  virtual ~LabNetwork() = default;
  // Makes sure the network's fabric runs; returns its UDP port (0: the
  // machine's lab NIC stays unconnected).
  virtual Result<int> Ensure(const std::string& network) = 0;
  virtual Status Attach(const MachineConfig& config) = 0;
  virtual Status Detach(const MachineConfig& config) = 0;
  // No machine uses `network` any more: stop its fabric process.
  virtual Status Release(const std::string& network) = 0;
};

// No fabric: lab NICs are left out.
class NoLabNetwork : public LabNetwork {
 public:
  Result<int> Ensure(const std::string&) override { return 0; }
  Status Attach(const MachineConfig&) override { return Status::Ok(); }
  Status Detach(const MachineConfig&) override { return Status::Ok(); }
  Status Release(const std::string&) override { return Status::Ok(); }
};

}  // namespace berth::machine
