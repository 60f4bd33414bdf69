// BridgeNetworkManager: user-defined bridge networks (docker network create)
// and the containers' endpoints on them. Each network is a Linux bridge
// "br-<id12>" in berthd's own network namespace with the gateway address;
// each endpoint a veth pair, one end on the bridge, the other in the
// container's namespace as eth0, eth1... with an address from the network's
// Ipam and, on the first, the default route. Names are published in a
// NameRegistry served by the embedded DNS (127.0.0.11 in each container).
//
// Nothing is routed or NATed beyond the bridge: containers on a network
// reach each other and the gateway (berthd's namespace); published ports go
// through PortProxy as on the default bridge.
//
// Network definitions persist under ROOT/networks/ID.json (versioned);
// endpoints live only while their container runs. Thread-safe: one mutex
// guards everything, netlink calls included (they take microseconds).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "runtime/dns_server.h"
#include "runtime/ipam.h"
#include "runtime/name_registry.h"
#include "runtime/netlink.h"
#include "runtime/network_manager.h"

namespace berth::runtime {

struct NetworkRecord {
  std::string id, name, created;
  std::string driver = "bridge";
  Subnet subnet;
  uint32_t gateway = 0;
  bool internal = false, attachable = false;
  std::map<std::string, std::string> labels;
  std::string BridgeName() const { return "br-" + id.substr(0, 12); }
};

// What `docker network create` asks for; subnet.prefix == 0: pick one.
struct NetworkRequest {
  std::string name;
  Subnet subnet;
  std::string gateway;  // empty: the subnet's first address
  bool internal = false, attachable = false;
  std::map<std::string, std::string> labels;
};

class BridgeNetworkManager : public NetworkManager {
 public:
  // Loads the stored networks of `root`. Their bridges are made on first use.
  static Result<std::unique_ptr<BridgeNetworkManager>> Open(const std::string& root);
  ~BridgeNetworkManager() override;

  // Creates the network and its bridge. AlreadyExists for a taken name,
  // InvalidArgument for a subnet that overlaps another network's.
  Result<NetworkRecord> Create(const NetworkRequest& req);
  // By name, full id or unique id prefix.
  Result<NetworkRecord> Find(const std::string& ref);
  std::vector<NetworkRecord> List();
  // Removes a network; FailedPrecondition while a container is attached.
  Status Remove(const std::string& ref);
  // The live endpoints on network `id`, by container id.
  std::vector<EndpointState> EndpointsOn(const std::string& network_id);

  Result<NetworkAttachment> Attach(const std::string& container_id,
                                   const ContainerSpec& spec) override;
  void Detach(const std::string& container_id) override;
  Status Connect(const std::string& container_id, const std::string& container_name, int pid,
                 const EndpointSpec& endpoint) override;
  Status Disconnect(const std::string& container_id, const std::string& network) override;
  Result<std::string> ResolveName(const std::string& ref) override;
  std::vector<EndpointState> EndpointsOf(const std::string& container_id) override;

 private:
  struct Net {
    NetworkRecord rec;
    std::unique_ptr<Ipam> ipam;
    bool bridge_up = false;
  };
  struct Sandbox {
    UniqueFd netns;
    std::unique_ptr<Netlink> nl;  // socket inside the container's namespace
    std::vector<EndpointState> endpoints;
    bool has_default_route = false;
    int next_if = 0;
  };
  explicit BridgeNetworkManager(std::string root, Netlink host);
  Result<Net*> FindLocked(const std::string& ref);
  Status EnsureBridgeLocked(Net& n);
  Status ConnectLocked(Sandbox& sb, const std::string& container_id,
                       const std::string& container_name, const EndpointSpec& ep);
  void RemoveEndpointLocked(const EndpointState& e);
  std::string Path(const std::string& id) const { return root_ + "/networks/" + id + ".json"; }

  std::string root_;
  std::mutex mu_;
  Netlink host_;                              // in berthd's namespace, where the bridges are
  std::map<std::string, Net> nets_;           // by id
  std::map<std::string, Sandbox> sandboxes_;  // by container id
  uint32_t veth_seq_;
  NameRegistry names_;
  DnsServer dns_;  // after names_: it reads them until destroyed
};

// A network's JSON state file <-> record.
Json NetworkToJson(const NetworkRecord& n);
Result<NetworkRecord> NetworkFromJson(const Json& j, const std::string& path);

}  // namespace berth::runtime
