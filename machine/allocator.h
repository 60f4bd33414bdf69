// Allocation of the per-machine resources that must be unique on the host:
// forwarded TCP ports (SSH, engine), the lab tunnel's UDP port, the lab
// address, and the two MACs. Done once at create, under the store lock, and
// kept for the machine's life.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "machine/config.h"

namespace berth::machine {

// Seam over "is this port free on the host" so allocation is testable.
class PortProbe {
 public:
  virtual ~PortProbe() = default;
  virtual bool TcpFree(const std::string& host, int port) = 0;
  virtual bool UdpFree(const std::string& host, int port) = 0;
};

// Tries to bind the port on `host`.
class BindPortProbe : public PortProbe {
 public:
  bool TcpFree(const std::string& host, int port) override;
  bool UdpFree(const std::string& host, int port) override;
};

struct Allocation {
  int ssh_port = 0;
  int engine_port = 0;
  int lab_local_port = 0;
  std::string lab_address;
  std::string lab_mac;
  std::string mgmt_mac;
  std::vector<PortForward> forwards;  // the requested forwards, host ports filled in
};

// An inclusive range of ports; empty by default.
struct PortRange {
  int min = 0;
  int max = -1;
  bool Contains(int port) const { return port >= min && port <= max; }
};

// The kernel's ephemeral range (net.ipv4.ip_local_port_range, 32768-60999 on
// Debian). Every outgoing connection takes a port from it, and holds it for a
// minute after closing (TIME_WAIT), so a port there that a stopped machine
// needs again can be taken when it starts: QEMU then fails with "Could not
// set up host forwarding rule". Berth picks its own ports outside it.
PortRange KernelEphemeralPorts();

struct AllocatorOptions {
  std::string host = "127.0.0.1";
  int port_min = 24000;  // below the kernel's usual ephemeral range
  int port_max = 31999;
  PortRange avoid;                          // ports never picked (KernelEphemeralPorts() in berth)
  std::string lab_subnet = "10.77.0.0/24";  // a /24; hosts .11 to .254 are handed out
};

// The host port of the lab registry of `home`: read from
// home/registry/port.json, or picked (the first free TCP port from
// kRegistryPortMin, outside the machines' range and not in `avoid`) and saved
// there. The caller holds the store lock. Every machine of a home forwards to
// this port.
inline constexpr int kRegistryPortMin = 32000;
inline constexpr int kRegistryPortMax = 32767;
Result<int> RegistryPort(const std::string& home, PortProbe& probe,
                         const std::string& host = "127.0.0.1", PortRange avoid = {});

// Picks resources unused by `existing` machines and free on the host.
// `forwards` with a host port keep it (an error if another machine or
// process has it); those with host port 0 get one from the range.
Result<Allocation> Allocate(const std::vector<MachineConfig>& existing, PortProbe& probe,
                            const AllocatorOptions& options = {},
                            const std::vector<PortForward>& forwards = {});

// Before a stopped machine starts again: every host port it forwards must
// still be free, or QEMU fails with a bare "Could not set up host forwarding
// rule". The error names the port, what it is for, and what to do.
Status CheckHostPortsFree(const MachineConfig& c, PortProbe& probe,
                          PortRange ephemeral = KernelEphemeralPorts());

}  // namespace berth::machine
