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
};

}  // namespace berth::machine
