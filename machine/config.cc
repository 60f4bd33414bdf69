#include "machine/config.h"

#include <cctype>

namespace berth::machine {

namespace {

Json ForwardsJson(const std::vector<PortForward>& forwards) {
  Json out = Json::array();
  for (const auto& f : forwards)
    out.push_back({{"guest_port", f.guest_port}, {"host_port", f.host_port}});
  return out;
}

}  // namespace

Json ToJson(const MachineConfig& c) {
  return Json{
      {"version", c.version},
      {"name", c.name},
      {"driver", c.driver},
      {"libvirt_uri", c.libvirt_uri},
      {"domain", c.domain},
      {"uuid", c.uuid},
      {"cpus", c.cpus},
      {"memory_mb", c.memory_mb},
      {"disk_mb", c.disk_mb},
      {"host", c.host},
      {"ssh_port", c.ssh_port},
      {"engine_port", c.engine_port},
      {"forwards", ForwardsJson(c.forwards)},
      {"registry_port", c.registry_port},
      {"mgmt_mac", c.mgmt_mac},
      {"lab",
       {{"network", c.lab.network},
        {"address", c.lab.address},
        {"prefix", c.lab.prefix},
        {"mac", c.lab.mac},
        {"host", c.lab.host},
        {"local_port", c.lab.local_port},
        {"fabric_port", c.lab.fabric_port}}},
      {"kernel", c.kernel},
      {"initrd", c.initrd},
      {"cmdline", c.cmdline},
      {"created_at", c.created_at},
      {"phase", c.phase},
  };
}

Result<MachineConfig> FromJson(const Json& j, const std::string& path) {
  if (!j.is_object()) return InvalidArgument(path + ": not a JSON object");
  BERTH_ASSIGN_OR_RETURN(int version, CheckStateVersion(j, kConfigVersion, path));
  MachineConfig c;
  c.version = version;
  BERTH_RETURN_IF_ERROR(GetField(j, "name", &c.name, path));
  BERTH_RETURN_IF_ERROR(GetField(j, "driver", &c.driver, path));
  BERTH_RETURN_IF_ERROR(GetField(j, "libvirt_uri", &c.libvirt_uri, path));
  BERTH_RETURN_IF_ERROR(GetField(j, "domain", &c.domain, path));
  BERTH_RETURN_IF_ERROR(GetField(j, "uuid", &c.uuid, path));
  BERTH_RETURN_IF_ERROR(GetField(j, "cpus", &c.cpus, path));
  BERTH_RETURN_IF_ERROR(GetField(j, "memory_mb", &c.memory_mb, path));
  BERTH_RETURN_IF_ERROR(GetField(j, "disk_mb", &c.disk_mb, path));
  BERTH_RETURN_IF_ERROR(GetField(j, "host", &c.host, path));
  BERTH_RETURN_IF_ERROR(GetField(j, "ssh_port", &c.ssh_port, path));
  BERTH_RETURN_IF_ERROR(GetField(j, "engine_port", &c.engine_port, path));
  BERTH_RETURN_IF_ERROR(GetField(j, "mgmt_mac", &c.mgmt_mac, path));
  BERTH_RETURN_IF_ERROR(GetField(j, "kernel", &c.kernel, path));
  BERTH_RETURN_IF_ERROR(GetField(j, "initrd", &c.initrd, path));
  BERTH_RETURN_IF_ERROR(GetField(j, "cmdline", &c.cmdline, path));
  BERTH_RETURN_IF_ERROR(GetField(j, "created_at", &c.created_at, path));
  BERTH_RETURN_IF_ERROR(GetField(j, "phase", &c.phase, path));
  // Optional: configs written before forwards and the registry existed.
  BERTH_RETURN_IF_ERROR(GetOptionalField(j, "registry_port", &c.registry_port, path));
  if (j.contains("forwards")) {
    if (!j["forwards"].is_array())
      return InvalidArgument(path + ": field 'forwards' is not a list");
    for (const Json& f : j["forwards"]) {
      PortForward pf;
      BERTH_RETURN_IF_ERROR(GetField(f, "guest_port", &pf.guest_port, path + " forwards"));
      BERTH_RETURN_IF_ERROR(GetField(f, "host_port", &pf.host_port, path + " forwards"));
      c.forwards.push_back(pf);
    }
  }
  if (!j.contains("lab") || !j["lab"].is_object())
    return InvalidArgument(path + ": missing object 'lab'");
  const Json& lab = j["lab"];
  std::string lp = path + " lab";
  BERTH_RETURN_IF_ERROR(GetField(lab, "network", &c.lab.network, lp));
  BERTH_RETURN_IF_ERROR(GetField(lab, "address", &c.lab.address, lp));
  BERTH_RETURN_IF_ERROR(GetField(lab, "prefix", &c.lab.prefix, lp));
  BERTH_RETURN_IF_ERROR(GetField(lab, "mac", &c.lab.mac, lp));
  BERTH_RETURN_IF_ERROR(GetField(lab, "host", &c.lab.host, lp));
  BERTH_RETURN_IF_ERROR(GetField(lab, "local_port", &c.lab.local_port, lp));
  BERTH_RETURN_IF_ERROR(GetField(lab, "fabric_port", &c.lab.fabric_port, lp));
  if (ValidateName(c.name).ok() == false)
    return InvalidArgument(path + ": invalid machine name '" + c.name + "'");
  return c;
}

int MachineConfig::HostPortFor(int guest_port) const {
  for (const auto& f : forwards)
    if (f.guest_port == guest_port) return f.host_port;
  return 0;
}

Result<PortForward> ParseForward(const std::string& text) {
  auto bad = [&](const std::string& why) {
    return InvalidArgument("invalid port forward '" + text + "': " + why +
                           " (use GUEST or HOST:GUEST with ports 1-65535, e.g. 8080 or 18080:80)");
  };
  auto port = [](const std::string& s) -> int {
    if (s.empty() || s.size() > 5 || s.find_first_not_of("0123456789") != std::string::npos)
      return -1;
    int p = std::stoi(s);
    return p >= 1 && p <= 65535 ? p : -1;
  };
  PortForward f;
  size_t colon = text.find(':');
  if (colon == std::string::npos) {
    f.guest_port = port(text);
  } else {
    f.host_port = port(text.substr(0, colon));
    f.guest_port = port(text.substr(colon + 1));
    if (f.host_port < 0) return bad("the host port is not a number from 1 to 65535");
  }
  if (f.guest_port < 0) return bad("the guest port is not a number from 1 to 65535");
  if (f.guest_port == 22 || f.guest_port == 2376)
    return bad("guest ports 22 and 2376 are berth's own SSH and engine ports");
  return f;
}

Status ValidateName(const std::string& name) {
  auto bad = [&](const std::string& why) {
    return InvalidArgument("invalid machine name '" + name + "': " + why +
                           " (use 1-63 lowercase letters, digits and '-', e.g. node1)");
  };
  if (name.empty()) return bad("it is empty");
  if (name.size() > 63) return bad("it is longer than 63 characters");
  for (char ch : name) {
    if (!(std::islower(static_cast<unsigned char>(ch)) ||
          std::isdigit(static_cast<unsigned char>(ch)) || ch == '-'))
      return bad(std::string("'") + ch + "' is not allowed");
  }
  if (name.front() == '-' || name.back() == '-') return bad("it starts or ends with '-'");
  return Status::Ok();
}

Status ValidateResources(const Resources& r) {
  if (r.cpus < 1 || r.cpus > kMaxCpus)
    return InvalidArgument("--cpus " + std::to_string(r.cpus) + " is out of range: use 1 to " +
                           std::to_string(kMaxCpus));
  if (r.memory_mb < kMinMemoryMb || r.memory_mb > kMaxMemoryMb)
    return InvalidArgument("--memory " + std::to_string(r.memory_mb) + "MiB is out of range: use " +
                           std::to_string(kMinMemoryMb) + "MiB to " +
                           std::to_string(kMaxMemoryMb / 1024) + "GiB");
  if (r.disk_mb < kMinDiskMb || r.disk_mb > kMaxDiskMb)
    return InvalidArgument("--disk " + std::to_string(r.disk_mb) + "MiB is out of range: use " +
                           std::to_string(kMinDiskMb) + "MiB to 1TiB");
  return Status::Ok();
}

Result<int> ParseSizeMb(const std::string& text) {
  size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  auto bad = [&] {
    return InvalidArgument(
        "invalid size '" + text +
        "': use a number of MiB, or a number with M/MiB or G/GiB (e.g. 512M, 2G)");
  };
  if (i == 0 || i > 9) return bad();
  long long n = std::stoll(text.substr(0, i));
  std::string unit = text.substr(i);
  for (auto& ch : unit) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  if (unit.empty() || unit == "M" || unit == "MB" || unit == "MIB") return static_cast<int>(n);
  if (unit == "G" || unit == "GB" || unit == "GIB") {
    if (n > 1024 * 1024) return bad();
    return static_cast<int>(n * 1024);
  }
  return bad();
}

}  // namespace berth::machine
