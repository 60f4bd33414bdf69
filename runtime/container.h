// A container's configuration (from `docker create`) and its lifecycle state,
// with their on-disk form (ROOT/containers/ID/container.json, versioned).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/json_util.h"
#include "base/status.h"

namespace berth::runtime {

// Docker's zero time: started_at/finished_at of a container never started.
inline constexpr const char* kNeverStarted = "0001-01-01T00:00:00Z";

struct Mount {
  std::string source;       // host path (volume data folder or bind source)
  std::string destination;  // path in the container
  bool read_only = false;
  std::string volume;  // volume name, empty for a bind mount
};

struct PortBinding {
  int container_port = 0;
  std::string proto = "tcp";
  std::string host_ip;
  int host_port = 0;
};

// A container's membership in one user-defined network (docker run
// --network N --network-alias A --ip X, docker network connect).
struct EndpointSpec {
  std::string network;  // the network's name
  std::vector<std::string> aliases;
  std::string ipv4;  // requested address; empty: allocated
};

struct ContainerSpec {
  std::string name;  // without the leading '/'
  std::string image_ref;
  std::string image_id;
  std::vector<std::string> entrypoint, cmd, env;
  std::string working_dir, user, hostname;
  bool tty = false, open_stdin = false, stdin_once = false;
  std::map<std::string, std::string> labels;
  std::string stop_signal = "SIGTERM";
  int stop_timeout = 10;
  // HostConfig
  int64_t memory = 0, nano_cpus = 0, pids_limit = 0, cpu_shares = 0;
  bool read_only = false, auto_remove = false;
  std::string restart_policy = "no";  // no | always | on-failure | unless-stopped
  int restart_max_retries = 0;
  std::vector<std::string> cap_add, cap_drop;
  std::vector<Mount> mounts;
  std::vector<std::string> volumes_from;
  std::vector<std::string> extra_hosts;  // "NAME:ADDRESS" (--add-host), added to /etc/hosts
  std::string network_mode = "bridge";   // bridge | host | none | a user-defined network's name
  std::vector<EndpointSpec> endpoints;   // user-defined networks, network_mode's first
  std::vector<PortBinding> ports;
  Json raw_config, raw_host_config;  // as the client sent them, for inspect
};

enum class RunState { kCreated, kRunning, kExited, kRemoving };
const char* RunStateName(RunState s);

struct ContainerState {
  RunState state = RunState::kCreated;
  int pid = 0;
  int exit_code = 0;
  std::string started_at = kNeverStarted, finished_at = kNeverStarted;
  std::string error;
  int restart_count = 0;
  bool stopped_by_user = false;  // for "unless-stopped" and "always" after docker stop
  bool oom_killed = false;
};

struct ContainerRecord {
  std::string id;
  std::string created;
  ContainerSpec spec;
  ContainerState state;
};

Json ToJson(const ContainerRecord& c);
Result<ContainerRecord> ContainerFromJson(const Json& j, const std::string& path);

// Current time as RFC 3339 with nanoseconds, UTC.
std::string NowRfc3339();
// 64 random hex digits.
std::string NewId();

}  // namespace berth::runtime
