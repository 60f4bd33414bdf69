#include "runtime/bundle.h"

#include <sys/resource.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace berth::runtime {
namespace {

const std::vector<std::string> kDefaultCaps = {
    "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
    "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
    "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
    "CAP_KILL",    "CAP_AUDIT_WRITE"};

const std::vector<std::string> kAllCaps = {"CAP_CHOWN",
                                           "CAP_DAC_OVERRIDE",
                                           "CAP_DAC_READ_SEARCH",
                                           "CAP_FOWNER",
                                           "CAP_FSETID",
                                           "CAP_KILL",
                                           "CAP_SETGID",
                                           "CAP_SETUID",
                                           "CAP_SETPCAP",
                                           "CAP_LINUX_IMMUTABLE",
                                           "CAP_NET_BIND_SERVICE",
                                           "CAP_NET_BROADCAST",
                                           "CAP_NET_ADMIN",
                                           "CAP_NET_RAW",
                                           "CAP_IPC_LOCK",
                                           "CAP_IPC_OWNER",
                                           "CAP_SYS_MODULE",
                                           "CAP_SYS_RAWIO",
                                           "CAP_SYS_CHROOT",
                                           "CAP_SYS_PTRACE",
                                           "CAP_SYS_PACCT",
                                           "CAP_SYS_ADMIN",
                                           "CAP_SYS_BOOT",
                                           "CAP_SYS_NICE",
                                           "CAP_SYS_RESOURCE",
                                           "CAP_SYS_TIME",
                                           "CAP_SYS_TTY_CONFIG",
                                           "CAP_MKNOD",
                                           "CAP_LEASE",
                                           "CAP_AUDIT_WRITE",
                                           "CAP_AUDIT_CONTROL",
                                           "CAP_SETFCAP",
                                           "CAP_MAC_OVERRIDE",
                                           "CAP_MAC_ADMIN",
                                           "CAP_SYSLOG",
                                           "CAP_WAKE_ALARM",
                                           "CAP_BLOCK_SUSPEND",
                                           "CAP_AUDIT_READ"};

std::string CapName(std::string c) {
  std::transform(c.begin(), c.end(), c.begin(), ::toupper);
  return c.rfind("CAP_", 0) == 0 ? c : "CAP_" + c;
}

Json StdMounts(bool read_only) {
  return Json::array({
      {{"destination", "/proc"},
       {"type", "proc"},
       {"source", "proc"},
       {"options", {"nosuid", "noexec", "nodev"}}},
      {{"destination", "/dev"},
       {"type", "tmpfs"},
       {"source", "tmpfs"},
       {"options", {"nosuid", "strictatime", "mode=755", "size=65536k"}}},
      {{"destination", "/dev/pts"},
       {"type", "devpts"},
       {"source", "devpts"},
       {"options", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}}},
      {{"destination", "/dev/shm"},
       {"type", "tmpfs"},
       {"source", "shm"},
       {"options", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}}},
      {{"destination", "/dev/mqueue"},
       {"type", "mqueue"},
       {"source", "mqueue"},
       {"options", {"nosuid", "noexec", "nodev"}}},
      {{"destination", "/sys"},
       {"type", "sysfs"},
       {"source", "sysfs"},
       {"options", {"nosuid", "noexec", "nodev", "ro"}}},
      {{"destination", "/sys/fs/cgroup"},
       {"type", "cgroup"},
       {"source", "cgroup"},
       {"options", {"nosuid", "noexec", "nodev", "relatime", "ro"}}},
  });
}

}  // namespace

const std::vector<std::string>& DefaultCapabilities() { return kDefaultCaps; }

Result<std::vector<std::string>> EffectiveCapabilities(const std::vector<std::string>& add,
                                                       const std::vector<std::string>& drop) {
  std::vector<std::string> caps = kDefaultCaps;
  auto known = [](const std::string& c) {
    return std::find(kAllCaps.begin(), kAllCaps.end(), c) != kAllCaps.end();
  };
  for (const auto& d : drop) {
    if (CapName(d) == "CAP_ALL") {
      caps.clear();
      continue;
    }
    if (!known(CapName(d))) return InvalidArgument("unknown capability to drop: \"" + d + "\"");
    caps.erase(std::remove(caps.begin(), caps.end(), CapName(d)), caps.end());
  }
  for (const auto& a : add) {
    if (CapName(a) == "CAP_ALL") {
      caps = kAllCaps;
      continue;
    }
    if (!known(CapName(a))) return InvalidArgument("unknown capability to add: \"" + a + "\"");
    if (std::find(caps.begin(), caps.end(), CapName(a)) == caps.end()) caps.push_back(CapName(a));
  }
  return caps;
}

std::vector<std::string> MergeEnv(const std::vector<std::string>& base,
                                  const std::vector<std::string>& over) {
  std::vector<std::string> out = base;
  for (const auto& kv : over) {
    std::string key = kv.substr(0, kv.find('='));
    auto it = std::find_if(out.begin(), out.end(),
                           [&](const std::string& e) { return e.substr(0, e.find('=')) == key; });
    if (it != out.end())
      *it = kv;
    else
      out.push_back(kv);
  }
  return out;
}

Json BuildOciProcess(const std::vector<std::string>& args, const std::vector<std::string>& env,
                     const std::string& cwd, uint32_t uid, uint32_t gid, bool tty,
                     const std::vector<std::string>& caps) {
  // Docker gives containers 1048576 open files; stay within what berthd may grant.
  struct rlimit rl {};
  getrlimit(RLIMIT_NOFILE, &rl);
  uint64_t nofile = std::min<uint64_t>(1048576, rl.rlim_max);
  return {{"terminal", tty},
          {"user", {{"uid", uid}, {"gid", gid}}},
          {"args", args},
          {"env", env},
          {"cwd", cwd.empty() ? "/" : cwd},
          {"capabilities",
           {{"bounding", caps},
            {"effective", caps},
            {"permitted", caps},
            {"inheritable", Json::array()}}},
          {"rlimits", {{{"type", "RLIMIT_NOFILE"}, {"hard", nofile}, {"soft", nofile}}}},
          {"noNewPrivileges", false}};
}

Result<Json> BuildOciConfig(const ContainerSpec& spec, const BundleInput& in) {
  if (in.args.empty()) return InvalidArgument("no command specified");
  BERTH_ASSIGN_OR_RETURN(auto caps, EffectiveCapabilities(spec.cap_add, spec.cap_drop));
  Json process = BuildOciProcess(in.args, in.env, in.cwd, in.uid, in.gid, spec.tty, caps);
  if (!in.additional_gids.empty()) process["user"]["additionalGids"] = in.additional_gids;
  Json mounts = StdMounts(spec.read_only);
  for (const auto& m : in.extra_mounts) {
    Json opts = {"rbind", "rprivate", m.read_only ? "ro" : "rw"};
    mounts.push_back({{"destination", m.destination},
                      {"type", "bind"},
                      {"source", m.source},
                      {"options", opts}});
  }
  Json namespaces =
      Json::array({{{"type", "pid"}}, {{"type", "ipc"}}, {{"type", "uts"}}, {{"type", "mount"}}});
  if (in.netns_path.empty())
    namespaces.push_back({{"type", "network"}});
  else if (in.netns_path != "host")
    namespaces.push_back({{"type", "network"}, {"path", in.netns_path}});
  Json resources = Json::object();
  if (spec.memory > 0) resources["memory"] = {{"limit", spec.memory}};
  if (spec.nano_cpus > 0) {
    int64_t period = 100000;
    resources["cpu"] = {{"quota", spec.nano_cpus * period / 1000000000}, {"period", period}};
  }
  if (spec.cpu_shares > 0) resources["cpu"]["shares"] = spec.cpu_shares;
  if (spec.pids_limit > 0) resources["pids"] = {{"limit", spec.pids_limit}};
  Json config = {
      {"ociVersion", "1.0.2"},
      {"process", process},
      {"root", {{"path", in.rootfs}, {"readonly", spec.read_only}}},
      {"hostname", in.hostname},
      {"mounts", mounts},
      {"linux",
       {{"namespaces", namespaces},
        {"resources", resources},
        {"maskedPaths",
         {"/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
          "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
          "/sys/firmware"}},
        {"readonlyPaths",
         {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}},
        // The plain Linux personality: the container's processes get address
        // space randomization even when crun runs without it
        // (berthd --no-runtime-aslr).
        {"personality", {{"domain", "LINUX"}}}}},
  };
  if (!in.cgroups_path.empty()) config["linux"]["cgroupsPath"] = in.cgroups_path;
  return config;
}

namespace {

// Finds `name` (or numeric id) in a passwd/group style file; returns fields.
std::vector<std::string> FindEntry(const std::string& path, const std::string& name) {
  std::ifstream f(path);
  std::string line;
  while (std::getline(f, line)) {
    std::vector<std::string> fields;
    std::stringstream ss(line);
    std::string x;
    while (std::getline(ss, x, ':')) fields.push_back(x);
    if (fields.size() >= 3 && (fields[0] == name)) return fields;
  }
  return {};
}

bool IsNumber(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

}  // namespace

Result<std::pair<uint32_t, uint32_t>> ResolveUser(const std::string& user,
                                                  const std::string& rootfs) {
  if (user.empty()) return std::make_pair(0u, 0u);
  std::string u = user.substr(0, user.find(':'));
  std::string g = user.find(':') == std::string::npos ? "" : user.substr(user.find(':') + 1);
  uint32_t uid = 0, gid = 0;
  if (IsNumber(u)) {
    uid = static_cast<uint32_t>(std::stoul(u));
  } else {
    auto e = FindEntry(rootfs + "/etc/passwd", u);
    if (e.size() < 4)
      return InvalidArgument("unable to find user " + u + ": no matching entries in passwd file");
    uid = static_cast<uint32_t>(std::stoul(e[2]));
    gid = static_cast<uint32_t>(std::stoul(e[3]));
  }
  if (!g.empty()) {
    if (IsNumber(g)) {
      gid = static_cast<uint32_t>(std::stoul(g));
    } else {
      auto e = FindEntry(rootfs + "/etc/group", g);
      if (e.size() < 3)
        return InvalidArgument("unable to find group " + g + ": no matching entries in group file");
      gid = static_cast<uint32_t>(std::stoul(e[2]));
    }
  }
  return std::make_pair(uid, gid);
}

}  // namespace berth::runtime
