// Network endpoints: /networks/... The built-in "bridge" (a namespace with
// loopback only per container), "host" and "none", plus user-defined bridge
// networks (BridgeNetworkManager).
#include "runtime/api_router.h"
#include "runtime/api_util.h"
#include "runtime/engine.h"

namespace berth::runtime {
namespace {

const std::set<std::string> kCreateKeys = {"Name",       "CheckDuplicate", "Driver", "Internal",
                                           "Attachable", "IPAM",           "Labels", "EnableIPv4",
                                           "Scope",      "Options"};

bool IsBuiltin(const std::string& n) { return n == "bridge" || n == "host" || n == "none"; }

Json Builtin(const std::string& name, const std::string& driver) {
  return {{"Name", name},
          {"Id", name},
          {"Created", "0001-01-01T00:00:00Z"},
          {"Scope", "local"},
          {"Driver", driver},
          {"EnableIPv6", false},
          {"Internal", false},
          {"Attachable", false},
          {"Ingress", false},
          {"IPAM", {{"Driver", "default"}, {"Config", Json::array()}}},
          {"Containers", Json::object()},
          {"Options", Json::object()},
          {"Labels", Json::object()}};
}

Json NetworkJson(Engine& e, const NetworkRecord& n) {
  Json containers = Json::object();
  for (const auto& ep : e.networks().EndpointsOn(n.id))
    containers[ep.container_id] = {
        {"Name", ep.container_name},
        {"EndpointID", ep.endpoint_id},
        {"MacAddress", ""},
        {"IPv4Address", FormatIpv4(ep.ip) + "/" + std::to_string(ep.prefix)},
        {"IPv6Address", ""}};
  return {{"Name", n.name},
          {"Id", n.id},
          {"Created", n.created},
          {"Scope", "local"},
          {"Driver", n.driver},
          {"EnableIPv6", false},
          {"EnableIPv4", true},
          {"Internal", n.internal},
          {"Attachable", n.attachable},
          {"Ingress", false},
          {"ConfigOnly", false},
          {"ConfigFrom", {{"Network", ""}}},
          {"IPAM",
           {{"Driver", "default"},
            {"Options", Json::object()},
            {"Config", {{{"Subnet", n.subnet.ToString()}, {"Gateway", FormatIpv4(n.gateway)}}}}}},
          {"Containers", containers},
          {"Options", Json::object()},
          {"Labels", n.labels}};
}

Json AllNetworks(Engine& e) {
  Json all = {Builtin("bridge", "bridge"), Builtin("host", "host"), Builtin("none", "null")};
  for (const auto& n : e.networks().List()) all.push_back(NetworkJson(e, n));
  return all;
}

Result<ApiResponse> List(Engine& e, const ApiRequest& req) {
  BERTH_ASSIGN_OR_RETURN(auto filters, ParseFilters(req));
  Json out = Json::array();
  for (const auto& n : AllNetworks(e)) {
    std::string name = n["Name"], id = n["Id"];
    bool ok = true;
    for (const auto& [k, values] : filters) {
      bool any = false;
      for (const auto& v : values) {
        if (k == "name")
          any |= name.find(v) != std::string::npos;
        else if (k == "id")
          any |= id.rfind(v, 0) == 0;
        else if (k == "driver")
          any |= n["Driver"] == v;
        else if (k == "type")
          any |= (v == "builtin") == IsBuiltin(name) && (v == "builtin" || v == "custom");
        else if (k == "label") {
          size_t eq = v.find('=');
          std::string key = v.substr(0, eq);
          any |= n["Labels"].contains(key) &&
                 (eq == std::string::npos || n["Labels"][key] == v.substr(eq + 1));
        } else
          return InvalidArgument("invalid filter '" + k + "'");
      }
      ok = ok && any;
    }
    if (ok) out.push_back(n);
  }
  return ApiResponse::Body(200, out);
}

Result<ApiResponse> Inspect(Engine& e, const ApiRequest& req) {
  const std::string& n = req.Param("id");
  if (n == "bridge") return ApiResponse::Body(200, Builtin("bridge", "bridge"));
  if (n == "host") return ApiResponse::Body(200, Builtin("host", "host"));
  if (n == "none") return ApiResponse::Body(200, Builtin("none", "null"));
  BERTH_ASSIGN_OR_RETURN(NetworkRecord rec, e.networks().Find(n));
  return ApiResponse::Body(200, NetworkJson(e, rec));
}

Result<NetworkRequest> DecodeCreate(const Json& body) {
  BERTH_RETURN_IF_ERROR(RejectUnsupported(body, kCreateKeys, "NetworkCreateRequest."));
  NetworkRequest r;
  r.name = body.value("Name", "");
  if (r.name.empty()) return InvalidArgument("network name is empty");
  if (!isalnum(static_cast<unsigned char>(r.name[0])) ||
      r.name.find_first_not_of(
          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != std::string::npos)
    return InvalidArgument("invalid network name \"" + r.name +
                           "\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
  if (IsBuiltin(r.name))
    return Status(Code::kPermissionDenied,
                  r.name + " is a pre-defined network and cannot be created");
  std::string driver = body.value("Driver", "");
  if (!driver.empty() && driver != "bridge")
    return Unsupported("network driver \"" + driver + "\" (only bridge)");
  std::string scope = body.value("Scope", "");
  if (!scope.empty() && scope != "local") return Unsupported("network scope \"" + scope + "\"");
  if (!IsDefault(body.value("Options", Json()))) return Unsupported("network driver options (-o)");
  if (body.contains("EnableIPv4") && body["EnableIPv4"] == false)
    return Unsupported("networks without IPv4");
  r.internal = body.value("Internal", false);
  r.attachable = body.value("Attachable", false);
  Json labels = body.value("Labels", Json::object());  // named: items() must not outlive it
  for (auto& [k, v] : labels.items()) r.labels[k] = v.is_string() ? v.get<std::string>() : v.dump();
  Json ipam = body.value("IPAM", Json::object());
  if (ipam.is_object()) {
    std::string d = ipam.value("Driver", "");
    if (!d.empty() && d != "default") return Unsupported("IPAM driver \"" + d + "\"");
    if (!IsDefault(ipam.value("Options", Json()))) return Unsupported("IPAM options");
    Json configs = ipam.value("Config", Json::array());
    if (configs.is_array() && configs.size() > 1)
      return Unsupported("several subnets on one network");
    if (configs.is_array() && configs.size() == 1) {
      const Json& c = configs[0];
      BERTH_RETURN_IF_ERROR(RejectUnsupported(c, {"Subnet", "Gateway"}, "IPAM.Config."));
      std::string subnet = c.value("Subnet", "");
      if (subnet.find(':') != std::string::npos) return Unsupported("IPv6 subnets");
      if (!subnet.empty()) {
        BERTH_ASSIGN_OR_RETURN(r.subnet, ParseSubnet(subnet));
      }
      r.gateway = c.value("Gateway", "");
      if (!r.gateway.empty() && subnet.empty())
        return InvalidArgument("a gateway needs a subnet (--subnet)");
    }
  }
  return r;
}

Result<ApiResponse> Create(Engine& e, const ApiRequest& req) {
  BERTH_ASSIGN_OR_RETURN(Json body, BodyJson(req));
  BERTH_ASSIGN_OR_RETURN(NetworkRequest r, DecodeCreate(body));
  BERTH_ASSIGN_OR_RETURN(NetworkRecord n, e.networks().Create(r));
  e.events().Publish("network", "create", n.id, {{"name", n.name}, {"type", "bridge"}});
  return ApiResponse::Body(201, {{"Id", n.id}, {"Warning", ""}});
}

Status RefuseBuiltin(const std::string& n, const std::string& what) {
  if (n == "bridge")
    return Unsupported(what + " on the default bridge network (use a user-defined network)");
  return Status(Code::kPermissionDenied,
                what + " is not permitted on the pre-defined network " + n);
}

Result<ApiResponse> Remove(Engine& e, const ApiRequest& req) {
  const std::string& n = req.Param("id");
  if (IsBuiltin(n))
    return Status(Code::kPermissionDenied, n + " is a pre-defined network and cannot be removed");
  BERTH_ASSIGN_OR_RETURN(NetworkRecord rec, e.networks().Find(n));
  BERTH_RETURN_IF_ERROR(e.networks().Remove(rec.id));
  e.events().Publish("network", "destroy", rec.id, {{"name", rec.name}, {"type", "bridge"}});
  return ApiResponse::NoContent();
}

Result<ApiResponse> Prune(Engine& e, const ApiRequest& req) {
  BERTH_ASSIGN_OR_RETURN(auto filters, ParseFilters(req));
  if (!filters.empty()) return Unsupported("network prune filters");
  Json deleted = Json::array();
  for (const auto& n : e.networks().List())
    if (e.networks().Remove(n.id).ok()) {
      deleted.push_back(n.name);
      e.events().Publish("network", "destroy", n.id, {{"name", n.name}, {"type", "bridge"}});
    }
  return ApiResponse::Body(200, {{"NetworksDeleted", deleted}});
}

Result<ApiResponse> Connect(Engine& e, const ApiRequest& req) {
  const std::string& n = req.Param("id");
  if (IsBuiltin(n)) return RefuseBuiltin(n, "network connect");
  BERTH_ASSIGN_OR_RETURN(Json body, BodyJson(req));
  BERTH_RETURN_IF_ERROR(RejectUnsupported(body, {"Container", "EndpointConfig"}, ""));
  std::string container = body.value("Container", "");
  if (container.empty()) return InvalidArgument("no container given");
  EndpointSpec ep{n, {}, ""};
  Json cfg = body.value("EndpointConfig", Json::object());
  if (cfg.is_object()) {
    ep.aliases = JsonStrings(cfg.value("Aliases", Json()));
    Json ipam = cfg.value("IPAMConfig", Json::object());
    if (ipam.is_object()) ep.ipv4 = ipam.value("IPv4Address", "");
    for (const char* k : {"Links", "MacAddress", "DriverOpts"})
      if (!IsDefault(cfg.value(k, Json())))
        return Unsupported(std::string("EndpointSettings.") + k);
  }
  BERTH_RETURN_IF_ERROR(e.containers().ConnectNetwork(container, ep));
  return ApiResponse::Body(200, Json::object());
}

Result<ApiResponse> Disconnect(Engine& e, const ApiRequest& req) {
  const std::string& n = req.Param("id");
  if (IsBuiltin(n)) return RefuseBuiltin(n, "network disconnect");
  BERTH_ASSIGN_OR_RETURN(Json body, BodyJson(req));
  std::string container = body.value("Container", "");
  if (container.empty()) return InvalidArgument("no container given");
  BERTH_RETURN_IF_ERROR(e.containers().DisconnectNetwork(container, n));
  return ApiResponse::Body(200, Json::object());
}

}  // namespace

Json ContainerNetworksJson(Engine& e, const ContainerRecord& c) {
  Json out = Json::object();
  const ContainerSpec& s = c.spec;
  if (IsBuiltin(s.network_mode))
    out[s.network_mode] = {{"NetworkID", s.network_mode}, {"IPAddress", ""}, {"Aliases", nullptr}};
  auto live = e.networks().EndpointsOf(c.id);
  for (const auto& ep : s.endpoints) {
    Json j = {{"IPAMConfig", ep.ipv4.empty() ? Json(nullptr) : Json{{"IPv4Address", ep.ipv4}}},
              {"Links", nullptr},
              {"Aliases", ep.aliases},
              {"MacAddress", ""},
              {"NetworkID", ""},
              {"EndpointID", ""},
              {"Gateway", ""},
              {"IPAddress", ""},
              {"IPPrefixLen", 0},
              {"IPv6Gateway", ""},
              {"GlobalIPv6Address", ""},
              {"GlobalIPv6PrefixLen", 0},
              {"DNSNames", nullptr}};
    if (auto rec = e.networks().Find(ep.network); rec.ok()) j["NetworkID"] = rec->id;
    for (const auto& l : live) {
      if (l.network_name != ep.network) continue;
      j["EndpointID"] = l.endpoint_id;
      j["Gateway"] = FormatIpv4(l.gateway);
      j["IPAddress"] = FormatIpv4(l.ip);
      j["IPPrefixLen"] = l.prefix;
      Json names = {s.name, c.id.substr(0, 12)};
      for (const auto& a : ep.aliases) names.push_back(a);
      j["DNSNames"] = names;
    }
    out[ep.network] = j;
  }
  return out;
}

std::vector<Route> NetworkRoutes() {
  return {
      {"GET", "/networks", List},
      {"GET", "/networks/{id}", Inspect},
      {"POST", "/networks/create", Create},
      {"POST", "/networks/prune", Prune},
      {"DELETE", "/networks/{id}", Remove},
      {"POST", "/networks/{id}/connect", Connect},
      {"POST", "/networks/{id}/disconnect", Disconnect},
  };
}

}  // namespace berth::runtime
