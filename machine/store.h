// Store: the machine folders under $BERTH_HOME/machines (libmachine's Store,
// with atomic writes). One folder per machine:
//   config.json       MachineConfig (versioned, written atomically)
//   id_ed25519[.pub]  the user key berth logs in with (0600)
//   host_ed25519      the guest's dropbear host key (0600); known_hosts pins it
//   known_hosts       "[127.0.0.1]:PORT ssh-ed25519 ..."
//   disk.raw          the data disk, mounted at /var/lib/berth in the guest
//   serial.log        the guest's serial console
// Thread-safe: methods touch only the file system.
#pragma once

#include <string>
#include <vector>

#include "base/fd.h"
#include "base/status.h"
#include "machine/config.h"

namespace berth::machine {

// Holds an exclusive flock on $BERTH_HOME/.lock until destroyed. Released by
// the kernel if the process dies, so an interrupted create never wedges it.
class StoreLock {
 public:
  explicit StoreLock(UniqueFd fd) : fd_(std::move(fd)) {}

 private:
  UniqueFd fd_;
};

class Store {
 public:
  explicit Store(std::string home);

  const std::string& home() const { return home_; }
  std::string MachineDir(const std::string& name) const;
  std::string PathOf(const std::string& name, const std::string& file) const;

  // Creates $BERTH_HOME and machines/ if needed.
  Status Init() const;
  // Creates the machine's folder; AlreadyExists when it is there.
  Status Reserve(const std::string& name) const;
  bool Exists(const std::string& name) const;
  Result<MachineConfig> Load(const std::string& name) const;
  Status Save(const MachineConfig& config) const;
  // Names of every machine folder, sorted. Folders without a readable
  // config.json are listed too (an interrupted create), so `rm -f` finds them.
  Result<std::vector<std::string>> List() const;
  Status Remove(const std::string& name) const;
  Result<StoreLock> Lock() const;

 private:
  std::string home_;
};

}  // namespace berth::machine
