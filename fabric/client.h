// The fabric's client API: what the machine layer and the CLI call. Every
// function works on $home/networks/<network>/ (see state.h) and talks to the
// network's berth-fabric process through its control socket.
#pragma once

#include <string>

#include "base/json_util.h"
#include "base/status.h"

namespace berth::fabric {

struct NetworkInfo {
  std::string name;
  std::string subnet;  // "10.77.0.0/24"
  std::string host;    // "127.0.0.1": where the fabric's UDP port listens
  int port = 0;        // the fabric's UDP port: the machines' tunnel peer
};

struct Endpoint {
  std::string machine;
  std::string host;     // where the machine's own UDP tunnel end listens
  int port = 0;         // the machine's local UDP port L
  std::string mac;      // the lab NIC's MAC (optional: learned otherwise)
  std::string address;  // lab address, e.g. "10.77.0.11" (informational)
};

// Starts berth-fabric for `network` if it is not running (allocating and
// persisting its UDP port on first use), waits until its control socket
// answers (up to 5 s), returns its info. The binary is $BERTH_FABRIC_BINARY,
// else berth-fabric next to the calling executable, in ../fabric/ from it, or
// in PATH. Safe to call concurrently (serialised by a lock file).
Result<NetworkInfo> EnsureNetwork(const std::string& home, const std::string& network);

// Attaches (or updates) a machine's tunnel end. Idempotent and persisted;
// starts the fabric when needed.
Status Attach(const std::string& home, const std::string& network, const Endpoint& ep);

// Detaches a machine and drops the impairments and grudges naming it. Ok when
// it was not attached; edits the state file when the fabric is not running.
Status Detach(const std::string& home, const std::string& network, const std::string& machine);

// Stops the network's process (SIGTERM, then SIGKILL after 3 s). Ok when it
// does not run. The state stays; EnsureNetwork brings it back.
Status StopNetwork(const std::string& home, const std::string& network);

// Low level: one control request to a running fabric. The reply's "ok" is
// checked: an error reply becomes a Status carrying the fabric's message.
Result<Json> Call(const std::string& home, const std::string& network, const Json& request);
Result<Json> CallSocket(const std::string& socket_path, const Json& request);

// True when the network's process runs (pid file checked against the
// process start time).
bool IsRunning(const std::string& home, const std::string& network);

// The network names that have a state folder under $home/networks.
std::vector<std::string> ListNetworks(const std::string& home);

// Path of the berth-fabric binary to start (see EnsureNetwork); empty when none.
std::string FindFabricBinary();

}  // namespace berth::fabric
