// Provisioner: what runs on a machine once it answers SSH (libmachine's
// Provisioner step). The engine provisioner (provisioners/) installs berthd;
// tests pass none or a fake.
#pragma once

#include "base/status.h"
#include "machine/config.h"
#include "machine/readiness.h"

namespace berth::machine {

class Provisioner {
 public:
  virtual ~Provisioner() = default;
  // Installs or updates what the machine runs, and waits until it answers.
  virtual Status Provision(const MachineConfig& config, const ProgressFn& progress) = 0;
  // After a (re)boot: waits until what Provision installed answers again. Ok
  // at once for a machine that was never provisioned.
  virtual Status AfterBoot(const MachineConfig& config, const ProgressFn& progress) = 0;
  // Before the first boot: puts files into `dir`, which becomes the root of
  // the new machine's data disk (/var/lib/berth), so that Provision finds
  // them there instead of sending them over SSH. Optional.
  virtual Status StageDataDisk(const MachineConfig& config, const std::string& dir,
                               const ProgressFn& progress) {
    (void)config, (void)dir, (void)progress;
    return Status::Ok();
  }
};

}  // namespace berth::machine
