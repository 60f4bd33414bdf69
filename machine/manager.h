// Manager: the machine lifecycle that `berth machine` exposes, on top of a
// Store, a Driver, a LabNetwork and a Readiness probe (all passed in, so tests
// run it over fakes). Methods are safe to call from several threads for
// different machines; CreateMany does exactly that.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "base/json_util.h"
#include "base/status.h"
#include "machine/config.h"
#include "machine/driver.h"
#include "machine/guest_image.h"
#include "machine/lab_network.h"
#include "machine/provisioner.h"
#include "machine/readiness.h"
#include "machine/store.h"

namespace berth::machine {

struct CreateOptions {
  Resources resources;
  std::string network = "default";
  std::string libvirt_uri;
  std::chrono::seconds timeout{300};  // per machine, boot to SSH
  std::vector<PortForward> forwards;  // extra host->guest TCP forwards
};

struct MachineInfo {
  std::string name;
  std::string state;  // StateName(), or "Creating"/"Broken" for incomplete folders
  std::string error;  // why the state is what it is, when not obvious
  bool has_config = false;
  MachineConfig config;
};

Json ToJson(const MachineInfo& info);

class Manager {
 public:
  using ImageFn = std::function<Result<GuestImage>()>;
  // Every reference must outlive the manager. `image` builds or finds the
  // guest image (called once per CreateMany).
  Manager(const Store& store, Driver& driver, LabNetwork& network, Readiness& readiness,
          ImageFn image);

  void set_progress(ProgressFn progress) { progress_ = std::move(progress); }
  // Run on every new machine once it answers SSH; null: none.
  void set_provisioner(Provisioner* provisioner) { provisioner_ = provisioner; }

  // Validates every name and the resources first (nothing is created when one
  // is wrong), then creates the machines in parallel. Returns one Status per
  // name, in order.
  std::vector<Status> CreateMany(const std::vector<std::string>& names,
                                 const CreateOptions& options);

  Status Start(const std::string& name, std::chrono::seconds timeout);
  Status Stop(const std::string& name, std::chrono::seconds grace);
  Status Restart(const std::string& name, std::chrono::seconds grace, std::chrono::seconds timeout);
  Status Kill(const std::string& name);
  Status Pause(const std::string& name);
  Status Resume(const std::string& name);
  // Removes the machine: domain, disk, keys, folder. `force` also removes
  // machines whose config is unreadable (an interrupted create).
  Status Remove(const std::string& name, bool force);

  Result<MachineInfo> Inspect(const std::string& name);
  Result<std::vector<MachineInfo>> List();
  Result<MachineConfig> Load(const std::string& name) const { return store_.Load(name); }

 private:
  Status CreateOne(const std::string& name, const CreateOptions& options, const GuestImage& img);
  // Starts an existing machine and waits until it is ready.
  Status Boot(MachineConfig& config, std::chrono::seconds timeout);

  const Store& store_;
  Driver& driver_;
  LabNetwork& network_;
  Readiness& readiness_;
  ImageFn image_;
  ProgressFn progress_;
  Provisioner* provisioner_ = nullptr;
};

}  // namespace berth::machine
