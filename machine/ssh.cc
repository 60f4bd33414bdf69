#include "machine/ssh.h"

#include "base/subprocess.h"

namespace berth::machine {
namespace {

std::vector<std::string> CommonOptions(const Store& store, const MachineConfig& c) {
  return {"-F", "/dev/null",
          "-i", store.PathOf(c.name, "id_ed25519"),
          "-o", "IdentitiesOnly=yes",
          "-o", "UserKnownHostsFile=" + store.PathOf(c.name, "known_hosts"),
          "-o", "StrictHostKeyChecking=yes",
          "-o", "GlobalKnownHostsFile=/dev/null",
          "-o", "LogLevel=ERROR",
          "-o", "ConnectTimeout=10",
          "-o", "ServerAliveInterval=5",
          "-o", "ServerAliveCountMax=3"};
}

}  // namespace

std::vector<std::string> SshArgv(const Store& store, const MachineConfig& c, bool tty,
                                 const std::vector<std::string>& remote) {
  std::vector<std::string> argv = {"ssh"};
  auto common = CommonOptions(store, c);
  argv.insert(argv.end(), common.begin(), common.end());
  argv.insert(argv.end(), {"-p", std::to_string(c.ssh_port)});
  argv.push_back(tty ? "-t" : "-T");
  argv.push_back("root@" + c.host);
  if (!remote.empty()) {
    argv.push_back("--");
    // A single argument is a shell command line; several are quoted words.
    argv.push_back(remote.size() == 1 ? remote[0] : ShellJoin(remote));
  }
  return argv;
}

std::vector<std::string> ScpArgv(const Store& store, const MachineConfig& c, bool recursive,
                                 const std::string& local_path, const std::string& remote_path,
                                 bool remote_is_dst) {
  std::vector<std::string> argv = {"scp", "-O", "-q"};
  if (recursive) argv.push_back("-r");
  auto common = CommonOptions(store, c);
  argv.insert(argv.end(), common.begin(), common.end());
  argv.insert(argv.end(), {"-P", std::to_string(c.ssh_port)});
  std::string remote = "root@" + c.host + ":" + remote_path;
  if (remote_is_dst) {
    argv.push_back(local_path);
    argv.push_back(remote);
  } else {
    argv.push_back(remote);
    argv.push_back(local_path);
  }
  return argv;
}

}  // namespace berth::machine
