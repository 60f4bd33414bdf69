// The fabric's persistent state, one folder per network:
//   $BERTH_HOME/networks/<network>/state.json    versioned, written atomically
//   $BERTH_HOME/networks/<network>/fabric.pid    {"pid":N,"start_time":T}
//   $BERTH_HOME/networks/<network>/control.sock  JSON control socket
//   $BERTH_HOME/networks/<network>/fabric.log    the process's stderr
//   $BERTH_HOME/networks/<network>/lock          flock'ed while starting it
// While berth-fabric runs it is the only writer of state.json; when it does
// not run, clients edit the file under the lock.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "base/json_util.h"
#include "base/status.h"
#include "fabric/partition.h"

namespace berth::fabric {

inline constexpr int kStateVersion = 1;
inline constexpr char kDefaultSubnet[] = "10.77.0.0/24";
inline constexpr char kAnyMachine[] = "*";

struct MachineLink {
  std::string name;
  std::string host;  // where the machine's UDP tunnel listens
  int port = 0;
  std::string mac;      // "52:54:00:..", may be empty (then learned)
  std::string address;  // lab address, informational
};

struct FabricState {
  std::string name;
  std::string subnet = kDefaultSubnet;
  std::string host = "127.0.0.1";  // the fabric's UDP address
  int port = 0;                    // the fabric's UDP port
  uint64_t seed = 1;
  std::map<std::string, MachineLink> machines;
  // (from, to) -> impairment JSON (see impairment.h); either side may be "*".
  std::map<std::pair<std::string, std::string>, Json> impairments;
  Grudge grudge;

  // Forgets a machine and every impairment rule and grudge naming it.
  // Returns false when it was not attached.
  bool RemoveMachine(const std::string& machine);

  Json ToJson() const;
  static Result<FabricState> FromJson(const Json& j, const std::string& path);
};

struct NetworkPaths {
  std::string dir, state, pid, socket, log, lock;
};
NetworkPaths PathsFor(const std::string& home, const std::string& network);

// Network names: 1-32 of [a-z0-9-], starting with a letter or digit.
Status ValidateNetworkName(const std::string& network);

Result<FabricState> LoadState(const std::string& path);
Status SaveState(const std::string& path, const FabricState& state);

// Pid files carry the process start time (from /proc/PID/stat) so that a
// reused pid is not mistaken for the fabric.
Status WritePidFile(const std::string& path);
// The pid recorded in `path` when that very process still runs.
std::optional<int> LivePid(const std::string& path);

// An exclusive flock on a file, released on destruction.
class FileLock {
 public:
  static Result<FileLock> Acquire(const std::string& path);
  FileLock(FileLock&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  FileLock(const FileLock&) = delete;
  ~FileLock();

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace berth::fabric
