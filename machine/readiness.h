// Readiness: waiting until a booted machine answers. Every wait has a
// deadline, reports what it waits for, and on failure says why and where the
// serial log is (ANCHORS.md, complaint 2).
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "base/status.h"
#include "machine/config.h"
#include "machine/driver.h"
#include "machine/store.h"

namespace berth::machine {

// Called with a short description of the current wait ("waiting for SSH on ...").
using ProgressFn = std::function<void(const std::string& machine, const std::string& what)>;

class Readiness {
 public:
  virtual ~Readiness() = default;
  // Waits until `config`'s machine is ready; `serial_offset` is the serial
  // log's size when this boot started, so earlier boots' output is ignored.
  virtual Status WaitReady(const MachineConfig& config, size_t serial_offset,
                           std::chrono::seconds timeout, const ProgressFn& progress) = 0;
};

// Ready = the guest's init printed "berth-guest: ready" on the serial console
// and SSH with the pinned host key runs `true`. Fails early when the machine
// powers off during boot.
class GuestReadiness : public Readiness {
 public:
  GuestReadiness(const Store& store, Driver& driver) : store_(store), driver_(driver) {}
  Status WaitReady(const MachineConfig& config, size_t serial_offset, std::chrono::seconds timeout,
                   const ProgressFn& progress) override;

 private:
  const Store& store_;
  Driver& driver_;
};

inline constexpr const char* kReadyMarker = "berth-guest: ready";

// Size of a file, 0 when absent.
size_t FileSize(const std::string& path);
// The last `n` lines of a file, for error messages.
std::string TailLines(const std::string& path, int n);

}  // namespace berth::machine
