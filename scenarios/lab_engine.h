// LabEngine: the container side of the real lab. It talks to each machine's
// berthd through provisioners::EngineClient (mutual TLS on the machine's
// forwarded engine port): seeds images, runs the scenario's containers, and
// applies container faults. Machines are passed in by their config; the
// scenario's short machine names key what was run where.
//
// Thread-safety: every method may be called from several threads.
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "machine/config.h"
#include "machine/store.h"
#include "provisioners/engine_client.h"
#include "scenarios/lab.h"

namespace berth::scenarios {

// "HOST:CONTAINER" or "PORT" (both the same) -> {host port, container port}.
Result<std::pair<int, int>> ParsePublishedPort(const std::string& text);

// "MACHINE:PORT" -> {machine, port}.
Result<std::pair<std::string, int>> SplitTarget(const std::string& target);

// What the real lab must prepare for a scenario, decided before anything is
// created.
struct LabPlan {
  // scenario machine -> guest ports to forward from the host: every port a
  // container publishes there, and every port a probe or condition targets.
  std::map<std::string, std::set<int>> forwards;
  bool needs_engine = false;  // images or containers: machines get berthd
};

// Fails with kFailedPrecondition ("... Nothing was created") when the real
// lab cannot run `s`: an image it cannot build, a bad port or target, a kv
// store other than etcd.
Result<LabPlan> PlanLab(const Scenario& s);

// Where containers find the lab's machines by name: a hosts file kept on
// each machine's data disk and bound over the container's /etc/hosts.
inline constexpr const char* kLabHostsPath = "/var/lib/berth/lab-hosts";

class LabEngine {
 public:
  // `cache_dir` holds the image archives ($BERTH_CACHE or $BERTH_HOME/cache).
  LabEngine(const machine::Store& store, std::string cache_dir)
      : store_(store), cache_dir_(std::move(cache_dir)) {}

  // Builds `image`'s archive once (provisioners/lab_images.h) and loads it into every
  // machine, in parallel.
  Status Seed(const std::string& image, const std::vector<machine::MachineConfig>& machines);

  // Creates and starts `c` on machine `m` (the scenario's machine c.machine):
  // hostname = the scenario's machine name, /etc/hosts = kLabHostsPath.
  Status Run(const ContainerSpec& c, const machine::MachineConfig& m);

  Status Op(const std::string& machine, const machine::MachineConfig& m,
            const std::string& container, ContainerOp op);

  // After machine `machine` booted again: berthd does not restart containers
  // when it starts, so this starts the ones the scenario wants running (all
  // it ran, minus those a container.stop/kill step left stopped).
  Status AfterBoot(const std::string& machine, const machine::MachineConfig& m);

 private:
  Result<provisioners::EngineClient> Client(const machine::MachineConfig& m);

  const machine::Store& store_;
  std::string cache_dir_;
  std::mutex mu_;
  // scenario machine -> container name -> should be running
  std::map<std::string, std::map<std::string, bool>> wanted_;
};

}  // namespace berth::scenarios
