#include "machine/allocator.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdio>
#include <set>

#include "base/fd.h"
#include "base/file_util.h"
#include "base/json_util.h"

namespace berth::machine {
namespace {

bool CanBind(const std::string& host, int port, int type) {
  UniqueFd fd(socket(AF_INET, type | SOCK_CLOEXEC, 0));
  if (!fd) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) return false;
  // As QEMU binds its forwards: the closing connections a killed machine
  // leaves on its ports (FIN_WAIT, TIME_WAIT) do not block a new listener.
  int one = 1;
  if (type == SOCK_STREAM) setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  return bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
}

}  // namespace

bool BindPortProbe::TcpFree(const std::string& host, int port) {
  return CanBind(host, port, SOCK_STREAM);
}
bool BindPortProbe::UdpFree(const std::string& host, int port) {
  return CanBind(host, port, SOCK_DGRAM);
}

PortRange KernelEphemeralPorts() {
  PortRange r;
  auto text = ReadFile("/proc/sys/net/ipv4/ip_local_port_range");
  if (!text.ok() || std::sscanf(text->c_str(), "%d %d", &r.min, &r.max) != 2) return PortRange{};
  return r;
}

Result<int> RegistryPort(const std::string& home, PortProbe& probe, const std::string& host,
                         PortRange avoid) {
  const std::string path = home + "/registry/port.json";
  if (PathExists(path)) {
    BERTH_ASSIGN_OR_RETURN(Json j, ReadJsonFile(path));
    int port = j.is_object() && j.contains("port") && j["port"].is_number_integer()
                   ? j["port"].get<int>()
                   : 0;
    if (port < 1 || port > 65535)
      return InvalidArgument(path + ": no valid 'port' (remove the file to pick a new one)");
    return port;
  }
  for (int port = kRegistryPortMin; port <= kRegistryPortMax; ++port) {
    if (avoid.Contains(port) || !probe.TcpFree(host, port)) continue;
    BERTH_RETURN_IF_ERROR(MakeDirs(home + "/registry"));
    BERTH_RETURN_IF_ERROR(WriteJsonFileAtomic(path, Json{{"version", 1}, {"port", port}}));
    return port;
  }
  return FailedPrecondition("no free port for the lab registry on " + host + " between " +
                            std::to_string(kRegistryPortMin) + " and " +
                            std::to_string(kRegistryPortMax));
}

Result<Allocation> Allocate(const std::vector<MachineConfig>& existing, PortProbe& probe,
                            const AllocatorOptions& options,
                            const std::vector<PortForward>& forwards) {
  std::set<int> used_ports;
  std::set<int> used_octets;
  for (const auto& m : existing) {
    used_ports.insert({m.ssh_port, m.engine_port, m.lab.local_port});
    for (const auto& f : m.forwards) used_ports.insert(f.host_port);
    unsigned a, b, c, d;
    if (std::sscanf(m.lab.address.c_str(), "%u.%u.%u.%u", &a, &b, &c, &d) == 4)
      used_octets.insert(static_cast<int>(d));
  }
  unsigned a, b, c, d, prefix;
  if (std::sscanf(options.lab_subnet.c_str(), "%u.%u.%u.%u/%u", &a, &b, &c, &d, &prefix) != 5 ||
      prefix != 24 || a > 255 || b > 255 || c > 255)
    return InvalidArgument("lab subnet '" + options.lab_subnet + "' must be an IPv4 /24");

  Allocation out;
  for (int octet = 11; octet <= 254; ++octet) {
    if (used_octets.count(octet)) continue;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%u.%u.%u.%d", a, b, c, octet);
    out.lab_address = buf;
    std::snprintf(buf, sizeof buf, "52:54:00:77:%02x:%02x", c & 0xff, octet);
    out.lab_mac = buf;
    std::snprintf(buf, sizeof buf, "52:54:00:b3:%02x:%02x", c & 0xff, octet);
    out.mgmt_mac = buf;
    break;
  }
  if (out.lab_address.empty())
    return FailedPrecondition("lab network " + options.lab_subnet +
                              " has no free address left (244 machines): remove some machines");

  std::set<int> guest_ports;
  for (const auto& f : forwards) {
    if (!guest_ports.insert(f.guest_port).second)
      return InvalidArgument("guest port " + std::to_string(f.guest_port) +
                             " is forwarded twice: forward each guest port once");
    if (f.host_port == 0) continue;
    if (used_ports.count(f.host_port) || !probe.TcpFree(options.host, f.host_port))
      return FailedPrecondition("host port " + options.host + ":" + std::to_string(f.host_port) +
                                " is already in use: pick another or let berth choose "
                                "(--forward " +
                                std::to_string(f.guest_port) + ")");
    used_ports.insert(f.host_port);
  }
  out.forwards = forwards;
  std::vector<int*> slots = {&out.ssh_port, &out.engine_port, &out.lab_local_port};
  for (auto& f : out.forwards)
    if (f.host_port == 0) slots.push_back(&f.host_port);
  size_t next = 0;
  for (int port = options.port_min; port <= options.port_max && next < slots.size(); ++port) {
    if (used_ports.count(port) || options.avoid.Contains(port)) continue;
    bool free = next == 2 ? probe.UdpFree(options.host, port) : probe.TcpFree(options.host, port);
    if (!free) continue;
    *slots[next++] = port;
  }
  if (next < slots.size())
    return FailedPrecondition(
        "no free ports left on " + options.host + " between " + std::to_string(options.port_min) +
        " and " + std::to_string(options.port_max) +
        (options.avoid.max >= options.avoid.min
             ? " outside the kernel's ephemeral range " + std::to_string(options.avoid.min) + "-" +
                   std::to_string(options.avoid.max) +
                   " (net.ipv4.ip_local_port_range): remove machines you no longer need"
             : std::string(": remove machines you no longer need")));
  return out;
}

Status CheckHostPortsFree(const MachineConfig& c, PortProbe& probe, PortRange ephemeral) {
  const std::string host = "127.0.0.1";
  std::vector<std::pair<int, std::string>> tcp = {{c.ssh_port, "SSH"},
                                                  {c.engine_port, "engine API"}};
  for (const auto& f : c.forwards)
    tcp.push_back({f.host_port, "forward of guest port " + std::to_string(f.guest_port)});
  auto busy = [&](int port, const std::string& what) {
    std::string why =
        ephemeral.Contains(port)
            ? " (it lies in the kernel's ephemeral range " + std::to_string(ephemeral.min) + "-" +
                  std::to_string(ephemeral.max) +
                  ", so an outgoing connection may hold it for up to a minute: try "
                  "again shortly, or remove and create the machine to get ports "
                  "outside that range)"
            : ": stop the program that holds it (`ss -ltnup | grep :" + std::to_string(port) +
                  "`), or remove and create the machine";
    return FailedPrecondition("host port " + host + ":" + std::to_string(port) + " (" + what +
                              " of machine '" + c.name + "') is in use" + why);
  };
  for (const auto& [port, what] : tcp)
    if (port > 0 && !probe.TcpFree(host, port)) return busy(port, what);
  if (c.lab.local_port > 0 && !probe.UdpFree(host, c.lab.local_port))
    return busy(c.lab.local_port, "lab tunnel (UDP)");
  return Status::Ok();
}

}  // namespace berth::machine
