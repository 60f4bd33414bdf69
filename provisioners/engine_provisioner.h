// EngineProvisioner: installs berthd into a machine over SSH and waits for
// its TLS /_ping. Steps: TLS material (CA, client and server certs), the
// engine bundle (uploaded once per version), the runit service
// /var/lib/berth/services/berthd (restarted by the guest's supervisor if it
// crashes; kept on the data disk across reboots).
#pragma once

#include <chrono>
#include <string>

#include "machine/provisioner.h"
#include "machine/store.h"

namespace berth::provisioners {

class EngineProvisioner : public machine::Provisioner {
 public:
  // `cache_dir` holds engine bundles ($BERTH_CACHE or $BERTH_HOME/cache).
  EngineProvisioner(const machine::Store& store, std::string cache_dir,
                    std::chrono::seconds timeout = std::chrono::seconds(180))
      : store_(store), cache_dir_(std::move(cache_dir)), timeout_(timeout) {}

  Status Provision(const machine::MachineConfig& config,
                   const machine::ProgressFn& progress) override;

  Status AfterBoot(const machine::MachineConfig& config,
                   const machine::ProgressFn& progress) override;

  // Makes a new server certificate and restarts the engine with it.
  Status RegenerateCerts(const machine::MachineConfig& config, const machine::ProgressFn& progress);

 private:
  Status Install(const machine::MachineConfig& config, const machine::ProgressFn& progress,
                 bool new_cert);

  const machine::Store& store_;
  std::string cache_dir_;
  std::chrono::seconds timeout_;
};

// The guest's run script for berthd, for engine bundle `version`.
std::string EngineRunScript(const machine::MachineConfig& config, const std::string& version);

// $BERTH_CACHE, else $BERTH_HOME/cache.
std::string CacheDir(const std::string& home);

}  // namespace berth::provisioners
