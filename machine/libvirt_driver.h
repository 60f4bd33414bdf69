// LibvirtDriver: machines as persistent libvirt domains named berth-<name>.
#pragma once

#include "machine/driver.h"
#include "machine/hypervisor.h"
#include "machine/store.h"

namespace berth::machine {

class LibvirtDriver : public Driver {
 public:
  // `hypervisor` and `store` must outlive the driver.
  LibvirtDriver(Hypervisor& hypervisor, const Store& store);

  std::string name() const override { return "libvirt"; }
  Status PreCreateCheck() override;
  Status Create(const MachineConfig& config) override;
  Status Start(const MachineConfig& config) override;
  Status Stop(const MachineConfig& config, std::chrono::seconds grace) override;
  Status Kill(const MachineConfig& config) override;
  Status Pause(const MachineConfig& config) override;
  Status Resume(const MachineConfig& config) override;
  Status Remove(const MachineConfig& config) override;
  Result<MachineState> State(const MachineConfig& config) override;

  // The XML this driver defines for `config`.
  std::string DomainXml(const MachineConfig& config) const;

 private:
  Hypervisor& hv_;
  const Store& store_;
};

// Maps libvirt's view to berth's.
MachineState MapDomainState(DomainState state);

}  // namespace berth::machine
