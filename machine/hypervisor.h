// Hypervisor: the seam over libvirt. Everything berth does to a domain goes
// through this interface, so the driver above it is testable with a fake
// (tests/fakes/fake_hypervisor.h) and faults can be injected.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"

namespace berth::machine {

enum class DomainState {
  kRunning,
  kPaused,
  kShuttingDown,
  kShutOff,
  kCrashed,
  kOther,
};

class Hypervisor {
 public:
  virtual ~Hypervisor() = default;

  // Fails with a message that says how to start libvirtd when it is down.
  virtual Status Connect() = 0;
  virtual std::string uri() const = 0;
  // True when guests run with hardware acceleration (KVM).
  virtual bool HasKvm() const = 0;

  // Defines (or redefines) a persistent domain from XML.
  virtual Status Define(const std::string& xml) = 0;
  virtual Status Start(const std::string& domain) = 0;
  // Asks the guest to power off (ACPI power button); returns at once.
  virtual Status Shutdown(const std::string& domain) = 0;
  // Pulls the plug. Ok when the domain is already off.
  virtual Status Destroy(const std::string& domain) = 0;
  // Removes the definition; NotFound when no such domain is defined.
  virtual Status Undefine(const std::string& domain) = 0;
  virtual Status Suspend(const std::string& domain) = 0;
  virtual Status Resume(const std::string& domain) = 0;
  // NotFound when no such domain is defined.
  virtual Result<DomainState> State(const std::string& domain) = 0;
};

}  // namespace berth::machine
