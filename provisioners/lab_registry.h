// The lab registry: Debian's docker-registry serving 127.0.0.1:PORT (one port
// per $BERTH_HOME, machine::RegistryPort) with its storage under
// $BERTH_HOME/registry/data. Machines reach it as
// machine::kRegistryGuestAddress:kRegistryGuestPort through their management
// NIC's guestfwd, and berthd uses it as the default registry, so `docker pull
// busybox` inside a machine pulls from here.
//
// State: $BERTH_HOME/registry/{port.json, config.yml, registry.pid (JSON),
// registry.log, data/}. Not thread-safe; one CLI process drives it.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "base/status.h"

namespace berth::provisioners {

struct RegistryStatus {
  bool running = false;
  int pid = 0;
  int port = 0;
  std::string address;                    // "127.0.0.1:PORT"
  std::string storage;                    // folder holding the blobs
  std::vector<std::string> repositories;  // from /v2/_catalog, when running
};

class LabRegistry {
 public:
  explicit LabRegistry(std::string home) : home_(std::move(home)) {}

  Result<RegistryStatus> Inspect() const;
  // Starts docker-registry and waits until /v2/ answers. Ok when it already
  // runs. The error names the log when it does not come up.
  Status Start(std::chrono::seconds timeout = std::chrono::seconds(30));
  // SIGTERM, then SIGKILL after `grace`. Ok when it was not running.
  Status Stop(std::chrono::seconds grace = std::chrono::seconds(10));
  // Pushes an OCI image layout archive (what images/busybox-image writes, also
  // a `docker save` archive) to the registry as `ref` ("name:tag").
  Status Push(const std::string& archive, const std::string& ref) const;

 private:
  std::string Dir() const { return home_ + "/registry"; }
  Result<int> Port() const;
  int RunningPid() const;  // 0 when not running

  std::string home_;
};

}  // namespace berth::provisioners
