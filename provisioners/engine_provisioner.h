// EngineProvisioner: installs berthd into a machine and waits for its TLS
// /_ping. At create everything is put on the new data disk before the first
// boot; later (provision, upgrade, regenerate-certs) it goes over SSH. Steps:
// TLS material (CA, client and server certs), the engine bundle (once per
// version), the runit service
// /var/lib/berth/services/berthd (restarted by the guest's supervisor if it
// crashes; kept on the data disk across reboots).
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>

#include "machine/provisioner.h"
#include "machine/store.h"
#include "provisioners/certs.h"
#include "provisioners/engine_bundle.h"

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

  // Before the first boot: the server certificate, the engine bundle, TLS
  // material and the berthd service, onto the new data disk.
  Status StageDataDisk(const machine::MachineConfig& config, const std::string& dir,
                       const machine::ProgressFn& progress) override;

  // Makes a new server certificate and restarts the engine with it.
  Status RegenerateCerts(const machine::MachineConfig& config, const machine::ProgressFn& progress);

 private:
  Status Install(const machine::MachineConfig& config, const machine::ProgressFn& progress,
                 bool new_cert);
  // The engine bundle, built or found once per process: hashing berthd and
  // crun again for every step of every machine costs half a second each.
  Result<EngineBundle> Bundle();
  // Writes tls/ (CA, server certificate and key, 0600) and
  // services/berthd/run under `root`, as /var/lib/berth holds them.
  Status WriteEngineFiles(const machine::MachineConfig& config, const ClientCerts& certs,
                          const std::string& version, const std::string& root) const;

  const machine::Store& store_;
  std::string cache_dir_;
  std::chrono::seconds timeout_;
  std::mutex bundle_mu_;
  std::optional<EngineBundle> bundle_;
};

// The guest's run script for berthd, for engine bundle `version`.
std::string EngineRunScript(const machine::MachineConfig& config, const std::string& version);

// $BERTH_CACHE, else $BERTH_HOME/cache.
std::string CacheDir(const std::string& home);

}  // namespace berth::provisioners
