#include "machine/identity.h"

#include <sys/stat.h>

#include "base/file_util.h"
#include "base/subprocess.h"

namespace berth::machine {

Status GenerateKeys(const Store& store, const MachineConfig& c) {
  std::string ctx = "create keys for machine '" + c.name + "'";
  std::string user_key = store.PathOf(c.name, "id_ed25519");
  std::string host_key = store.PathOf(c.name, "host_ed25519");
  RemoveAll(user_key).ok();
  RemoveAll(user_key + ".pub").ok();
  RemoveAll(host_key).ok();
  auto r = RunChecked(
      {"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "berth@" + c.name, "-f", user_key});
  if (!r.ok()) return r.status().WithContext(ctx);
  r = RunChecked({"dropbearkey", "-t", "ed25519", "-f", host_key});
  if (!r.ok()) return r.status().WithContext(ctx);
  chmod(host_key.c_str(), 0600);
  return WriteKnownHosts(store, c);
}

Status WriteKnownHosts(const Store& store, const MachineConfig& c) {
  std::string host_key = store.PathOf(c.name, "host_ed25519");
  auto pub = RunChecked({"dropbearkey", "-y", "-f", host_key});
  if (!pub.ok()) return pub.status().WithContext("read host key of machine '" + c.name + "'");
  // dropbearkey -y prints a banner, then the OpenSSH-format public key line.
  std::string line;
  size_t at = pub->find("ssh-ed25519 ");
  if (at == std::string::npos)
    return Internal("dropbearkey -y printed no ssh-ed25519 key for " + host_key);
  line = pub->substr(at, pub->find('\n', at) - at);
  // Keep type and key, drop the comment.
  size_t sp = line.find(' ', 12);
  if (sp != std::string::npos) line.resize(sp);
  std::string entry = "[" + c.host + "]:" + std::to_string(c.ssh_port) + " " + line + "\n";
  return WriteFileAtomic(store.PathOf(c.name, "known_hosts"), entry, 0600);
}

std::string MachineEnv(const MachineConfig& c) {
  std::string lab = c.lab.address.empty() ? "" : c.lab.address + "/" + std::to_string(c.lab.prefix);
  return "# Written by berth at create time; read by the guest's init.\n"
         "BERTH_HOSTNAME=" +
         c.name +
         "\n"
         "BERTH_MGMT_MAC=" +
         c.mgmt_mac +
         "\n"
         "BERTH_LAB_MAC=" +
         c.lab.mac +
         "\n"
         "BERTH_LAB_ADDR=" +
         lab + "\n";
}

Status MakeDataDisk(const Store& store, const MachineConfig& c,
                    const std::function<Status(const std::string& dir)>& stage) {
  std::string ctx = "create data disk of machine '" + c.name + "'";
  std::string staging = store.PathOf(c.name, "disk-staging");
  std::string disk = store.PathOf(c.name, "disk.raw");
  RemoveAll(staging).ok();
  BERTH_RETURN_IF_ERROR(MakeDirs(staging + "/identity", 0700).WithContext(ctx));
  BERTH_RETURN_IF_ERROR(MakeDirs(staging + "/services", 0755).WithContext(ctx));
  BERTH_RETURN_IF_ERROR(
      WriteFileAtomic(staging + "/identity/machine.env", MachineEnv(c), 0644).WithContext(ctx));
  BERTH_ASSIGN_OR_RETURN(std::string pub, ReadFile(store.PathOf(c.name, "id_ed25519.pub")));
  BERTH_RETURN_IF_ERROR(
      WriteFileAtomic(staging + "/identity/authorized_keys", pub, 0600).WithContext(ctx));
  BERTH_ASSIGN_OR_RETURN(std::string hk, ReadFile(store.PathOf(c.name, "host_ed25519")));
  BERTH_RETURN_IF_ERROR(
      WriteFileAtomic(staging + "/identity/dropbear_ed25519_host_key", hk, 0600).WithContext(ctx));
  if (stage) {
    if (Status s = stage(staging); !s.ok()) {
      RemoveAll(staging).ok();
      return s.WithContext(ctx);
    }
  }
  RemoveAll(disk).ok();
  auto r = RunChecked({"truncate", "-s", std::to_string(c.disk_mb) + "M", disk});
  if (r.ok())
    r = RunChecked(
        {"mkfs.ext4", "-q", "-F", "-L", "berth-data", "-E", "root_owner=0:0", "-d", staging, disk});
  RemoveAll(staging).ok();
  if (!r.ok()) return r.status().WithContext(ctx);
  chmod(disk.c_str(), 0600);
  return Status::Ok();
}

}  // namespace berth::machine
