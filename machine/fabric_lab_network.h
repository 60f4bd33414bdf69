// FabricLabNetwork: LabNetwork over berth-fabric (fabric/client.h). Machines'
// lab NICs tunnel into the fabric of their network on the host's loopback.
#pragma once

#include <string>

#include "machine/lab_network.h"

namespace berth::machine {

class FabricLabNetwork : public LabNetwork {
 public:
  explicit FabricLabNetwork(std::string home) : home_(std::move(home)) {}
  Result<int> Ensure(const std::string& network) override;
  Status Attach(const MachineConfig& config) override;
  Status Detach(const MachineConfig& config) override;
  Status Release(const std::string& network) override;

 private:
  std::string home_;
};

}  // namespace berth::machine
