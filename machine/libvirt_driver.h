// LibvirtDriver: machines as persistent libvirt domains named berth-<name>.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "machine/driver.h"
#include "machine/hypervisor.h"
#include "machine/store.h"

namespace berth::machine {

class LibvirtDriver : public Driver {
 public:
  using HypervisorFactory = std::function<std::unique_ptr<Hypervisor>(const std::string& uri)>;
  // `hypervisor` and `store` must outlive the driver. A machine is driven
  // through the libvirt URI it was created with (config.libvirt_uri): when
  // that is not `hypervisor`'s, `factory` opens a connection to it (once per
  // URI); without a factory every machine goes to `hypervisor`.
  LibvirtDriver(Hypervisor& hypervisor, const Store& store, HypervisorFactory factory = nullptr);

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
  // The hypervisor of the URI `config` was created with.
  Hypervisor& Hv(const MachineConfig& config) const;

  Hypervisor& hv_;
  const Store& store_;
  HypervisorFactory factory_;
  mutable std::mutex mu_;  // guards others_
  mutable std::map<std::string, std::unique_ptr<Hypervisor>> others_;
};

// Maps libvirt's view to berth's.
MachineState MapDomainState(DomainState state);

}  // namespace berth::machine
