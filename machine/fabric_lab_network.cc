#include "machine/fabric_lab_network.h"

#include "fabric/client.h"

namespace berth::machine {

Result<int> FabricLabNetwork::Ensure(const std::string& network) {
  auto info = fabric::EnsureNetwork(home_, network);
  if (!info.ok()) return info.status().WithContext("start lab network '" + network + "'");
  return info->port;
}

Status FabricLabNetwork::Attach(const MachineConfig& c) {
  fabric::Endpoint ep;
  ep.machine = c.name;
  ep.host = c.lab.host;
  ep.port = c.lab.local_port;
  ep.mac = c.lab.mac;
  ep.address = c.lab.address;
  return fabric::Attach(home_, c.lab.network, ep)
      .WithContext("attach machine '" + c.name + "' to lab network '" + c.lab.network + "'");
}

Status FabricLabNetwork::Detach(const MachineConfig& c) {
  return fabric::Detach(home_, c.lab.network, c.name)
      .WithContext("detach machine '" + c.name + "' from lab network '" + c.lab.network + "'");
}

Status FabricLabNetwork::Release(const std::string& network) {
  return fabric::StopNetwork(home_, network).WithContext("stop lab network '" + network + "'");
}

}  // namespace berth::machine
