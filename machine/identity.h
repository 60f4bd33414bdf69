// A machine's identity on the host side: its SSH user key, its pinned host
// key, and the data disk that carries both into the guest (the layout the
// guest's init reads is in docs/guest-image.md).
#pragma once

#include <functional>
#include <string>

#include "base/status.h"
#include "machine/config.h"
#include "machine/store.h"

namespace berth::machine {

// Generates id_ed25519 (ssh-keygen) and host_ed25519 (dropbearkey) in the
// machine folder, and known_hosts pinning the host key at the SSH endpoint.
Status GenerateKeys(const Store& store, const MachineConfig& config);

// Writes known_hosts for the machine's current SSH endpoint.
Status WriteKnownHosts(const Store& store, const MachineConfig& config);

// The guest's identity file (sh-sourceable).
std::string MachineEnv(const MachineConfig& config);

// Creates disk.raw (sparse, config.disk_mb) formatted ext4 with label
// berth-data, pre-filled with identity/ (machine.env, authorized_keys, the
// dropbear host key), a services/ folder, and whatever `stage` puts into the
// staging folder it is given (the provisioner's files: the guest has them
// at first boot, with nothing to upload).
Status MakeDataDisk(const Store& store, const MachineConfig& config,
                    const std::function<Status(const std::string& dir)>& stage = {});

}  // namespace berth::machine
