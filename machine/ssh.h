// Command lines for reaching a machine with the host's OpenSSH client, with
// the machine's own key and its pinned host key (no trust-on-first-use).
#pragma once

#include <string>
#include <vector>

#include "machine/config.h"
#include "machine/store.h"

namespace berth::machine {

// ssh argv for `remote` (empty: a login shell). `tty` forces a terminal.
std::vector<std::string> SshArgv(const Store& store, const MachineConfig& config, bool tty,
                                 const std::vector<std::string>& remote);

// scp argv (legacy protocol, -O: the guest runs scp, not sftp). Exactly one of
// `src`/`dst` is remote; `remote_is_dst` says which. `remote_path` is on the machine.
std::vector<std::string> ScpArgv(const Store& store, const MachineConfig& config, bool recursive,
                                 const std::string& local_path, const std::string& remote_path,
                                 bool remote_is_dst);

}  // namespace berth::machine
