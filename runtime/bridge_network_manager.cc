#include "runtime/bridge_network_manager.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <random>

#include "base/file_util.h"

namespace berth::runtime {
namespace {

constexpr int kNetworkVersion = 1;

}  // namespace

Json NetworkToJson(const NetworkRecord& n) {
  return {{"version", kNetworkVersion},
          {"id", n.id},
          {"name", n.name},
          {"created", n.created},
          {"driver", n.driver},
          {"subnet", n.subnet.ToString()},
          {"gateway", FormatIpv4(n.gateway)},
          {"internal", n.internal},
          {"attachable", n.attachable},
          {"labels", n.labels}};
}

Result<NetworkRecord> NetworkFromJson(const Json& j, const std::string& path) {
  BERTH_RETURN_IF_ERROR(CheckStateVersion(j, kNetworkVersion, path).status());
  try {
    NetworkRecord n;
    n.id = j.at("id").get<std::string>();
    n.name = j.at("name").get<std::string>();
    n.created = j.value("created", "");
    n.driver = j.value("driver", "bridge");
    BERTH_ASSIGN_OR_RETURN(n.subnet, ParseSubnet(j.at("subnet").get<std::string>()));
    BERTH_ASSIGN_OR_RETURN(n.gateway, ParseIpv4(j.at("gateway").get<std::string>()));
    n.internal = j.value("internal", false);
    n.attachable = j.value("attachable", false);
    n.labels = j.value("labels", std::map<std::string, std::string>{});
    return n;
  } catch (const Json::exception& e) {
    return InvalidArgument(path + ": " + e.what());
  }
}

BridgeNetworkManager::BridgeNetworkManager(std::string root, Netlink host)
    : root_(std::move(root)), host_(std::move(host)), dns_(names_) {
  veth_seq_ = std::random_device{}();
}

BridgeNetworkManager::~BridgeNetworkManager() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [id, sb] : sandboxes_)
    for (const auto& e : sb.endpoints) RemoveEndpointLocked(e);
}

Result<std::unique_ptr<BridgeNetworkManager>> BridgeNetworkManager::Open(const std::string& root) {
  BERTH_ASSIGN_OR_RETURN(Netlink host, Netlink::Open());
  std::unique_ptr<BridgeNetworkManager> m(new BridgeNetworkManager(root, std::move(host)));
  BERTH_RETURN_IF_ERROR(MakeDirs(root + "/networks", 0700));
  DIR* d = opendir((root + "/networks").c_str());
  if (!d) return ErrnoStatus("open " + root + "/networks", errno);
  std::vector<std::string> files;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n.size() > 5 && n.substr(n.size() - 5) == ".json") files.push_back(n);
  }
  closedir(d);
  for (const auto& f : files) {
    std::string path = root + "/networks/" + f;
    BERTH_ASSIGN_OR_RETURN(Json j, ReadJsonFile(path));
    BERTH_ASSIGN_OR_RETURN(NetworkRecord rec, NetworkFromJson(j, path));
    Net n{rec, std::make_unique<Ipam>(rec.subnet, rec.gateway), false};
    m->nets_[rec.id] = std::move(n);
  }
  return m;
}

Result<BridgeNetworkManager::Net*> BridgeNetworkManager::FindLocked(const std::string& ref) {
  if (ref.empty()) return NotFound("network name is empty");
  for (auto& [id, n] : nets_)
    if (n.rec.name == ref || id == ref) return &n;
  Net* match = nullptr;
  for (auto& [id, n] : nets_) {
    if (id.rfind(ref, 0) == 0) {
      if (match) return InvalidArgument("network " + ref + " is ambiguous (several ids match)");
      match = &n;
    }
  }
  if (!match) return NotFound("network " + ref + " not found");
  return match;
}

Result<NetworkRecord> BridgeNetworkManager::Find(const std::string& ref) {
  std::lock_guard<std::mutex> lock(mu_);
  BERTH_ASSIGN_OR_RETURN(Net * n, FindLocked(ref));
  return n->rec;
}

Result<std::string> BridgeNetworkManager::ResolveName(const std::string& ref) {
  BERTH_ASSIGN_OR_RETURN(NetworkRecord r, Find(ref));
  return r.name;
}

std::vector<NetworkRecord> BridgeNetworkManager::List() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<NetworkRecord> out;
  for (const auto& [id, n] : nets_) out.push_back(n.rec);
  return out;
}

Status BridgeNetworkManager::EnsureBridgeLocked(Net& n) {
  if (n.bridge_up) return Status::Ok();
  std::string br = n.rec.BridgeName();
  auto fail = [&](const Status& st) {
    return Status(st.code(), "network " + n.rec.name + ": bridge " + br + ": " + st.message());
  };
  Status st = host_.CreateBridge(br);
  if (!st.ok()) return fail(st);
  auto idx = host_.LinkIndex(br);
  if (!idx.ok()) return fail(idx.status());
  st = host_.AddAddress(*idx, n.rec.gateway, n.rec.subnet.prefix);
  if (st.ok()) st = host_.SetUp(*idx);
  if (!st.ok()) return fail(st);
  n.bridge_up = true;
  return Status::Ok();
}

Result<NetworkRecord> BridgeNetworkManager::Create(const NetworkRequest& req) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [id, n] : nets_)
    if (n.rec.name == req.name)
      return AlreadyExists("network with name " + req.name + " already exists");
  std::vector<Subnet> used;
  for (const auto& [id, n] : nets_) used.push_back(n.rec.subnet);
  NetworkRecord rec;
  rec.id = NewId();
  rec.name = req.name;
  rec.created = NowRfc3339();
  rec.internal = req.internal;
  rec.attachable = req.attachable;
  rec.labels = req.labels;
  if (req.subnet.prefix == 0) {
    BERTH_ASSIGN_OR_RETURN(rec.subnet, PickSubnet(used));
  } else {
    rec.subnet = req.subnet;
    for (const auto& [id, n] : nets_)
      if (n.rec.subnet.Overlaps(rec.subnet))
        return InvalidArgument(
            "invalid pool request: Pool overlaps with other one on this address "
            "space (" +
            rec.subnet.ToString() + " and network " + n.rec.name + " " + n.rec.subnet.ToString() +
            ")");
  }
  if (req.gateway.empty()) {
    rec.gateway = rec.subnet.base + 1;
  } else {
    BERTH_ASSIGN_OR_RETURN(rec.gateway, ParseIpv4(req.gateway));
    uint32_t last = rec.subnet.base | ~rec.subnet.Mask();
    if (!rec.subnet.Contains(rec.gateway) || rec.gateway == rec.subnet.base || rec.gateway == last)
      return InvalidArgument("no matching subnet for gateway " + req.gateway);
  }
  Net n{rec, std::make_unique<Ipam>(rec.subnet, rec.gateway), false};
  BERTH_RETURN_IF_ERROR(EnsureBridgeLocked(n));
  Status st = WriteJsonFileAtomic(Path(rec.id), NetworkToJson(rec), 0600);
  if (!st.ok()) {
    if (auto idx = host_.LinkIndex(rec.BridgeName()); idx.ok()) (void)host_.DeleteLink(*idx);
    return st;
  }
  nets_[rec.id] = std::move(n);
  return rec;
}

Status BridgeNetworkManager::Remove(const std::string& ref) {
  std::lock_guard<std::mutex> lock(mu_);
  BERTH_ASSIGN_OR_RETURN(Net * n, FindLocked(ref));
  std::string users;
  for (const auto& [cid, sb] : sandboxes_)
    for (const auto& e : sb.endpoints)
      if (e.network_id == n->rec.id) users += (users.empty() ? "" : ", ") + e.container_name;
  if (!users.empty())
    return FailedPrecondition("error while removing network: network " + n->rec.name + " id " +
                              n->rec.id + " has active endpoints (containers: " + users + ")");
  if (unlink(Path(n->rec.id).c_str()) != 0 && errno != ENOENT)
    return ErrnoStatus("remove " + Path(n->rec.id), errno);
  if (auto idx = host_.LinkIndex(n->rec.BridgeName()); idx.ok()) (void)host_.DeleteLink(*idx);
  nets_.erase(n->rec.id);
  return Status::Ok();
}

std::vector<EndpointState> BridgeNetworkManager::EndpointsOn(const std::string& network_id) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<EndpointState> out;
  for (const auto& [cid, sb] : sandboxes_)
    for (const auto& e : sb.endpoints)
      if (e.network_id == network_id) out.push_back(e);
  return out;
}

std::vector<EndpointState> BridgeNetworkManager::EndpointsOf(const std::string& container_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sandboxes_.find(container_id);
  return it == sandboxes_.end() ? std::vector<EndpointState>{} : it->second.endpoints;
}

Status BridgeNetworkManager::ConnectLocked(Sandbox& sb, const std::string& container_id,
                                           const std::string& container_name,
                                           const EndpointSpec& ep) {
  BERTH_ASSIGN_OR_RETURN(Net * n, FindLocked(ep.network));
  for (const auto& e : sb.endpoints)
    if (e.network_id == n->rec.id)
      return AlreadyExists("endpoint with name " + container_name + " already exists in network " +
                           n->rec.name);
  BERTH_RETURN_IF_ERROR(EnsureBridgeLocked(*n));
  EndpointState e;
  e.network_id = n->rec.id;
  e.network_name = n->rec.name;
  e.container_id = container_id;
  e.container_name = container_name;
  e.endpoint_id = NewId();
  e.gateway = n->rec.gateway;
  e.prefix = n->rec.subnet.prefix;
  e.aliases = ep.aliases;
  if (ep.ipv4.empty()) {
    BERTH_ASSIGN_OR_RETURN(e.ip, n->ipam->Allocate());
  } else {
    BERTH_ASSIGN_OR_RETURN(e.ip, ParseIpv4(ep.ipv4));
    BERTH_RETURN_IF_ERROR(n->ipam->Reserve(e.ip));
  }
  char veth[16];
  snprintf(veth, sizeof(veth), "vb%08x", veth_seq_++);
  e.host_veth = veth;
  e.ifname = "eth" + std::to_string(sb.next_if);
  auto setup = [&]() -> Status {
    BERTH_RETURN_IF_ERROR(host_.CreateVeth(e.host_veth, e.ifname, sb.netns.get()));
    BERTH_ASSIGN_OR_RETURN(int host_idx, host_.LinkIndex(e.host_veth));
    BERTH_ASSIGN_OR_RETURN(int br_idx, host_.LinkIndex(n->rec.BridgeName()));
    BERTH_RETURN_IF_ERROR(host_.SetMasterUp(host_idx, br_idx));
    BERTH_ASSIGN_OR_RETURN(int idx, sb.nl->LinkIndex(e.ifname));
    BERTH_RETURN_IF_ERROR(sb.nl->AddAddress(idx, e.ip, e.prefix));
    BERTH_RETURN_IF_ERROR(sb.nl->SetUp(idx));
    if (!sb.has_default_route && !n->rec.internal) {
      BERTH_RETURN_IF_ERROR(sb.nl->AddDefaultRoute(idx, e.gateway));
      sb.has_default_route = true;
    }
    return Status::Ok();
  };
  Status st = setup();
  if (!st.ok()) {
    RemoveEndpointLocked(e);
    return Status(st.code(),
                  "connect " + container_name + " to network " + n->rec.name + ": " + st.message());
  }
  sb.next_if++;
  std::vector<std::string> names = {container_name, container_id.substr(0, 12)};
  names.insert(names.end(), ep.aliases.begin(), ep.aliases.end());
  names_.Add(e.network_id, container_id, names, e.ip);
  sb.endpoints.push_back(e);
  return Status::Ok();
}

void BridgeNetworkManager::RemoveEndpointLocked(const EndpointState& e) {
  names_.Remove(e.network_id, e.container_id);
  auto it = nets_.find(e.network_id);
  if (it != nets_.end() && e.ip != 0) it->second.ipam->Release(e.ip);
  if (auto idx = host_.LinkIndex(e.host_veth); idx.ok()) (void)host_.DeleteLink(*idx);
}

Result<NetworkAttachment> BridgeNetworkManager::Attach(const std::string& container_id,
                                                       const ContainerSpec& spec) {
  NetworkAttachment att;
  if (spec.endpoints.empty()) return att;
  Detach(container_id);  // leftovers of an earlier run
  BERTH_ASSIGN_OR_RETURN(UniqueFd ns, NewNetns());
  BERTH_ASSIGN_OR_RETURN(Netlink nl, Netlink::OpenIn(ns.get()));
  BERTH_RETURN_IF_ERROR(nl.SetUp(1));  // loopback is always index 1 in a new namespace
  std::lock_guard<std::mutex> lock(mu_);
  Sandbox& sb = sandboxes_[container_id];
  sb.netns = std::move(ns);
  sb.nl = std::make_unique<Netlink>(std::move(nl));
  auto fail = [&](const Status& st) {
    for (const auto& e : sb.endpoints) RemoveEndpointLocked(e);
    sandboxes_.erase(container_id);
    return st;
  };
  for (const auto& ep : spec.endpoints) {
    Status st = ConnectLocked(sb, container_id, spec.name, ep);
    if (!st.ok()) return fail(st);
    att.addresses.push_back(FormatIpv4(sb.endpoints.back().ip));
  }
  Status st = dns_.Serve(container_id, sb.netns.get());
  if (!st.ok()) return fail(st);
  att.netns_path = "/proc/" + std::to_string(getpid()) + "/fd/" + std::to_string(sb.netns.get());
  return att;
}

void BridgeNetworkManager::Detach(const std::string& container_id) {
  dns_.Stop(container_id);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sandboxes_.find(container_id);
  if (it == sandboxes_.end()) return;
  for (const auto& e : it->second.endpoints) RemoveEndpointLocked(e);
  sandboxes_.erase(it);
}

Status BridgeNetworkManager::Connect(const std::string& container_id,
                                     const std::string& container_name, int pid,
                                     const EndpointSpec& endpoint) {
  std::unique_lock<std::mutex> lock(mu_);
  bool fresh = false;
  if (!sandboxes_.count(container_id)) {
    // A container started on the default bridge: crun made its namespace.
    lock.unlock();
    std::string path = "/proc/" + std::to_string(pid) + "/ns/net";
    UniqueFd ns(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns) return ErrnoStatus("open " + path, errno);
    BERTH_ASSIGN_OR_RETURN(Netlink nl, Netlink::OpenIn(ns.get()));
    lock.lock();
    Sandbox& sb = sandboxes_[container_id];
    sb.netns = std::move(ns);
    sb.nl = std::make_unique<Netlink>(std::move(nl));
    fresh = true;
  }
  Sandbox& sb = sandboxes_[container_id];
  Status st = ConnectLocked(sb, container_id, container_name, endpoint);
  if (!st.ok()) {
    if (fresh) sandboxes_.erase(container_id);
    return st;
  }
  if (fresh) {
    int netns = sb.netns.get();
    lock.unlock();
    return dns_.Serve(container_id, netns);
  }
  return Status::Ok();
}

Status BridgeNetworkManager::Disconnect(const std::string& container_id,
                                        const std::string& network) {
  std::lock_guard<std::mutex> lock(mu_);
  BERTH_ASSIGN_OR_RETURN(Net * n, FindLocked(network));
  auto it = sandboxes_.find(container_id);
  if (it != sandboxes_.end()) {
    auto& eps = it->second.endpoints;
    for (size_t i = 0; i < eps.size(); ++i) {
      if (eps[i].network_id != n->rec.id) continue;
      RemoveEndpointLocked(eps[i]);
      eps.erase(eps.begin() + static_cast<long>(i));
      return Status::Ok();
    }
  }
  return NotFound("container " + container_id.substr(0, 12) + " is not connected to network " +
                  n->rec.name);
}

}  // namespace berth::runtime
