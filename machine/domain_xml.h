// The libvirt domain XML of a machine: a pure function of its config, so the
// same machine is always defined the same way (DESIGN.md, "network rule").
#pragma once

#include <string>

#include "machine/config.h"

namespace berth::machine {

struct DomainOptions {
  bool kvm = false;        // <domain type='kvm'> and host CPU; TCG otherwise
  std::string serial_log;  // file the serial console is written to
  std::string data_disk;   // raw data disk (vda)
  std::string home;        // recorded in berth's metadata
  // Run QEMU as this uid:gid (system URI: so it can read files under $HOME).
  // Empty: leave libvirt's default.
  std::string dac_label;
  // The program QEMU runs for each connection to the lab registry.
  std::string socat = "/usr/bin/socat";
};

// Management NIC: QEMU user networking with restrict=on (no outbound traffic),
// host forwards on `host` for SSH (22), the engine (2376) and the machine's
// extra forwards (config.forwards). Lab NIC: a UDP
// tunnel from lab.host:lab.local_port to the fabric at lab.host:lab.fabric_port.
std::string BuildDomainXml(const MachineConfig& config, const DomainOptions& options);

}  // namespace berth::machine
