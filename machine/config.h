// MachineConfig: everything berth knows about one machine, stored in
// $BERTH_HOME/machines/<name>/config.json. It is assigned at create time and
// stays the same for the machine's life (stable identity, DESIGN.md): ports,
// MACs and lab address never change on start/stop/restart.
#pragma once

#include <string>
#include <vector>

#include "base/json_util.h"
#include "base/status.h"

namespace berth::machine {

// The newest config.json format this berth writes and reads.
inline constexpr int kConfigVersion = 1;
inline constexpr const char* kDomainPrefix = "berth-";
// Where machines find the lab registry: an address on the management
// network that QEMU forwards to the host (`berth registry`).
inline constexpr const char* kRegistryGuestAddress = "10.0.2.100";
inline constexpr int kRegistryGuestPort = 5000;

struct LabNic {
  std::string network = "default";  // fabric network name
  std::string address;              // e.g. "10.77.0.11"
  int prefix = 24;
  std::string mac;
  std::string host = "127.0.0.1";  // where the machine's tunnel endpoint binds
  int local_port = 0;              // machine side of the UDP tunnel
  int fabric_port = 0;             // fabric side (0: not attached)
};

// A TCP port of the guest's management address forwarded from `host` on the
// host (QEMU hostfwd), e.g. so the host reaches a port a container publishes.
// In a create request, host_port 0 means "allocate one".
struct PortForward {
  int guest_port = 0;
  int host_port = 0;
  bool operator==(const PortForward&) const = default;
};

// Parses "GUEST" or "HOST:GUEST" (as `berth machine create --forward`).
// Guest ports 22 and 2376 are berth's own (SSH, engine) and refused.
Result<PortForward> ParseForward(const std::string& text);

struct MachineConfig {
  int version = kConfigVersion;
  std::string name;
  std::string driver = "libvirt";
  std::string libvirt_uri;
  std::string domain;  // libvirt domain name: kDomainPrefix + name
  std::string uuid;
  int cpus = 1;
  int memory_mb = 256;
  int disk_mb = 2048;
  std::string host = "127.0.0.1";  // host address the forwards listen on
  int ssh_port = 0;
  int engine_port = 0;
  std::vector<PortForward> forwards;  // extra forwards, fixed at create
  // The home's lab registry on host:registry_port, which the guest reaches
  // as kRegistryGuestAddress:kRegistryGuestPort (QEMU guestfwd). 0: none.
  int registry_port = 0;
  std::string mgmt_mac;
  LabNic lab;
  std::string kernel;  // absolute paths from the guest image manifest
  std::string initrd;
  std::string cmdline;
  std::string created_at;  // RFC 3339
  // "creating" until the first boot succeeded, then "ready". A machine left in
  // "creating" was interrupted; `rm -f` removes it.
  std::string phase = "creating";

  // The host port forwarded to `guest_port`, or 0 when there is none.
  int HostPortFor(int guest_port) const;
};

Json ToJson(const MachineConfig& c);
// Strict: a missing required field or a newer version is an error naming `path`.
Result<MachineConfig> FromJson(const Json& j, const std::string& path);

// Names: 1-63 chars of [a-z0-9-], starting with a letter or digit, not ending
// with '-' (a hostname label, so it is also the guest's hostname).
Status ValidateName(const std::string& name);

struct Resources {
  int cpus = 1;
  int memory_mb = 256;
  int disk_mb = 2048;
};
inline constexpr int kMinMemoryMb = 128;
inline constexpr int kMaxMemoryMb = 65536;
inline constexpr int kMaxCpus = 64;
inline constexpr int kMinDiskMb = 64;
inline constexpr int kMaxDiskMb = 1024 * 1024;
Status ValidateResources(const Resources& r);

// Parses sizes like "512", "512M", "512MiB", "2G", "2GiB" into MiB. A bare
// number is MiB.
Result<int> ParseSizeMb(const std::string& text);

}  // namespace berth::machine
