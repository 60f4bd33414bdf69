// The real lab backend: machines (machine/), fabric (fabric/) and the engine
// (runtime/) behind the Lab interface.
#pragma once

#include <memory>
#include <string>

#include "base/status.h"
#include "scenarios/lab.h"

namespace berth::scenarios {

struct RealLabConfig {
  std::string home;         // $BERTH_HOME
  std::string libvirt_uri;  // empty: the machine layer's default
  std::string prefix;       // machine name prefix, so a run never touches other machines
};

// Builds the real lab (real_lab_libvirt.cc). In a build without the machine
// layer, the fabric or the engine client (real_lab.cc) it fails with
// kFailedPrecondition and a message saying so.
Result<std::unique_ptr<Lab>> MakeRealLab(const RealLabConfig& config);

}  // namespace berth::scenarios
