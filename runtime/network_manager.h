// NetworkManager: container networking beyond the default bridge. The
// container manager asks it for a network namespace at start (Attach),
// releases it at exit (Detach), and connects or disconnects running
// containers (docker network connect/disconnect). The implementation is
// BridgeNetworkManager (bridge_network_manager.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/json_util.h"
#include "base/status.h"
#include "runtime/container.h"

namespace berth::runtime {

struct NetworkAttachment {
  std::string netns_path;              // the container joins this namespace; empty: a new one
  std::vector<std::string> addresses;  // its IPv4 addresses
};

// A live endpoint: one running container on one user-defined network.
struct EndpointState {
  std::string network_id, network_name;
  std::string container_id, container_name;
  std::string endpoint_id;
  std::string ifname;     // in the container: eth0, eth1...
  std::string host_veth;  // its peer on the bridge
  uint32_t ip = 0, gateway = 0;
  int prefix = 0;
  std::vector<std::string> aliases;
};

class NetworkManager {
 public:
  virtual ~NetworkManager() = default;
  // Creates the container's namespace and connects it to the user-defined
  // networks in spec.endpoints. With none, returns an empty netns_path (crun
  // then makes a namespace with loopback only: the default bridge).
  virtual Result<NetworkAttachment> Attach(const std::string& container_id,
                                           const ContainerSpec& spec) = 0;
  // Tears down what Attach and Connect set up; safe to call twice.
  virtual void Detach(const std::string& container_id) = 0;
  // Connects the running container (init `pid`) to one more network.
  virtual Status Connect(const std::string& container_id, const std::string& container_name,
                         int pid, const EndpointSpec& endpoint) = 0;
  // Disconnects a running container from `network` (name or id).
  virtual Status Disconnect(const std::string& container_id, const std::string& network) = 0;
  // The canonical name of network `ref` (name, id or id prefix), for specs.
  virtual Result<std::string> ResolveName(const std::string& ref) = 0;
  // The live endpoints of a container.
  virtual std::vector<EndpointState> EndpointsOf(const std::string& container_id) = 0;
};

}  // namespace berth::runtime
