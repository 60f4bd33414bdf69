#include "fabric/state.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

#include "base/file_util.h"

namespace berth::fabric {
namespace {

// Field 22 of /proc/PID/stat (start time in clock ticks since boot); 0 when
// the process does not exist or
// has exited.
uint64_t ProcessStartTime(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return 0;
  size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return 0;
  std::istringstream fields(stat.substr(paren + 2));
  std::string field;
  if (stat.size() > paren + 2 && stat[paren + 2] == 'Z') return 0;  // a zombie is gone
  for (int i = 3; i <= 22 && fields >> field; ++i)
    if (i == 22) return std::stoull(field);
  return 0;
}

}  // namespace

bool FabricState::RemoveMachine(const std::string& machine) {
  if (!machines.erase(machine)) return false;
  for (auto it = impairments.begin(); it != impairments.end();)
    it = it->first.first == machine || it->first.second == machine ? impairments.erase(it) : ++it;
  grudge.erase(machine);
  for (auto it = grudge.begin(); it != grudge.end();) {
    it->second.erase(machine);
    it = it->second.empty() ? grudge.erase(it) : ++it;
  }
  return true;
}

Json FabricState::ToJson() const {
  Json ms = Json::object();
  for (const auto& [n, m] : machines)
    ms[n] = {{"host", m.host}, {"port", m.port}, {"mac", m.mac}, {"address", m.address}};
  Json imps = Json::array();
  for (const auto& [key, spec] : impairments)
    imps.push_back({{"from", key.first}, {"to", key.second}, {"impairment", spec}});
  return Json{{"version", kStateVersion},
              {"name", name},
              {"subnet", subnet},
              {"host", host},
              {"port", port},
              {"seed", seed},
              {"machines", ms},
              {"impairments", imps},
              {"grudge", GrudgeToJson(grudge)}};
}

Result<FabricState> FabricState::FromJson(const Json& j, const std::string& path) {
  if (!j.is_object()) return InvalidArgument(path + ": expected a JSON object");
  BERTH_RETURN_IF_ERROR(CheckStateVersion(j, kStateVersion, path).status());
  FabricState s;
  BERTH_RETURN_IF_ERROR(GetOptionalField(j, "name", &s.name, path));
  BERTH_RETURN_IF_ERROR(GetOptionalField(j, "subnet", &s.subnet, path));
  BERTH_RETURN_IF_ERROR(GetOptionalField(j, "host", &s.host, path));
  BERTH_RETURN_IF_ERROR(GetOptionalField(j, "port", &s.port, path));
  BERTH_RETURN_IF_ERROR(GetOptionalField(j, "seed", &s.seed, path));
  if (j.contains("machines")) {
    if (!j["machines"].is_object()) return InvalidArgument(path + ": 'machines' must be a map");
    for (const auto& [n, m] : j["machines"].items()) {
      MachineLink link;
      link.name = n;
      BERTH_RETURN_IF_ERROR(GetOptionalField(m, "host", &link.host, path));
      BERTH_RETURN_IF_ERROR(GetOptionalField(m, "port", &link.port, path));
      BERTH_RETURN_IF_ERROR(GetOptionalField(m, "mac", &link.mac, path));
      BERTH_RETURN_IF_ERROR(GetOptionalField(m, "address", &link.address, path));
      s.machines[n] = link;
    }
  }
  if (j.contains("impairments")) {
    for (const auto& rule : j["impairments"]) {
      std::string from, to;
      BERTH_RETURN_IF_ERROR(GetOptionalField(rule, "from", &from, path));
      BERTH_RETURN_IF_ERROR(GetOptionalField(rule, "to", &to, path));
      s.impairments[{from, to}] = rule.value("impairment", Json::object());
    }
  }
  if (j.contains("grudge")) {
    auto g = GrudgeFromJson(j["grudge"], nullptr);
    if (!g.ok()) return g.status().WithContext(path);
    s.grudge = *g;
  }
  return s;
}

NetworkPaths PathsFor(const std::string& home, const std::string& network) {
  NetworkPaths p;
  p.dir = home + "/networks/" + network;
  p.state = p.dir + "/state.json";
  p.pid = p.dir + "/fabric.pid";
  p.socket = p.dir + "/control.sock";
  p.log = p.dir + "/fabric.log";
  p.lock = p.dir + "/lock";
  return p;
}

Status ValidateNetworkName(const std::string& network) {
  bool ok = !network.empty() && network.size() <= 32 && network[0] != '-';
  for (char c : network) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-');
  if (!ok)
    return InvalidArgument("network name '" + network +
                           "': use 1 to 32 lowercase letters, digits or '-'");
  return Status::Ok();
}

Result<FabricState> LoadState(const std::string& path) {
  if (!PathExists(path)) return NotFound("network state " + path + " does not exist");
  BERTH_ASSIGN_OR_RETURN(Json j, ReadJsonFile(path));
  return FabricState::FromJson(j, path);
}

Status SaveState(const std::string& path, const FabricState& state) {
  return WriteJsonFileAtomic(path, state.ToJson());
}

Status WritePidFile(const std::string& path) {
  int pid = getpid();
  return WriteJsonFileAtomic(path, Json{{"pid", pid}, {"start_time", ProcessStartTime(pid)}});
}

std::optional<int> LivePid(const std::string& path) {
  auto j = ReadJsonFile(path);
  if (!j.ok() || !j->is_object()) return std::nullopt;
  int pid = j->value("pid", 0);
  uint64_t start = j->value("start_time", uint64_t{0});
  if (pid <= 0 || start == 0 || ProcessStartTime(pid) != start) return std::nullopt;
  return pid;
}

Result<FileLock> FileLock::Acquire(const std::string& path) {
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus("open " + path, errno);
  while (flock(fd, LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    int e = errno;
    close(fd);
    return ErrnoStatus("lock " + path, e);
  }
  return FileLock(fd);
}

FileLock::~FileLock() {
  if (fd_ >= 0) close(fd_);
}

}  // namespace berth::fabric
