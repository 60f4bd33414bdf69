#include "runtime/container_request.h"

#include <arpa/inet.h>

#include "runtime/api_router.h"
#include "runtime/api_util.h"
#include "runtime/bundle.h"
#include "runtime/host_ops.h"
#include "runtime/volume_store.h"

namespace berth::runtime {
namespace {

const std::set<std::string> kConfigKeys = {
    "Hostname",     "Domainname", "User",        "AttachStdin",      "AttachStdout",
    "AttachStderr", "Tty",        "OpenStdin",   "StdinOnce",        "Env",
    "Cmd",          "Image",      "Volumes",     "WorkingDir",       "Entrypoint",
    "Labels",       "StopSignal", "StopTimeout", "ExposedPorts",     "ArgsEscaped",
    "OnBuild",      "Shell",      "HostConfig",  "NetworkingConfig", "Platform"};

const std::set<std::string> kHostConfigKeys = {
    "Binds",          "Memory",           "NanoCpus",       "CpuShares",    "PidsLimit",
    "ReadonlyRootfs", "AutoRemove",       "RestartPolicy",  "CapAdd",       "CapDrop",
    "VolumesFrom",    "NetworkMode",      "PortBindings",   "Mounts",       "LogConfig",
    "ConsoleSize",    "MemorySwappiness", "MemorySwap",     "CgroupnsMode", "Isolation",
    "ShmSize",        "KernelMemory",     "OomKillDisable", "Cgroup",       "IpcMode",
    "PidMode",        "UTSMode",          "UsernsMode",     "ExtraHosts"};

const std::set<std::string> kEndpointKeys = {"Aliases",           "IPAMConfig",
                                             "NetworkID",         "EndpointID",
                                             "Gateway",           "IPAddress",
                                             "IPPrefixLen",       "IPv6Gateway",
                                             "GlobalIPv6Address", "GlobalIPv6PrefixLen",
                                             "MacAddress",        "DNSNames",
                                             "DriverOpts",        "Links"};

bool BuiltinNetwork(const std::string& n) {
  return n == "bridge" || n == "host" || n == "none" || n == "default";
}

// NetworkMode and NetworkingConfig.EndpointsConfig -> spec.endpoints (the
// user-defined networks, network_mode's first).
Status DecodeEndpoints(const Json& body, ContainerSpec& s) {
  if (!BuiltinNetwork(s.network_mode)) s.endpoints.push_back({s.network_mode, {}, ""});
  Json ep = body.value("NetworkingConfig", Json::object()).value("EndpointsConfig", Json::object());
  if (!ep.is_object()) return InvalidArgument("NetworkingConfig.EndpointsConfig is not an object");
  for (auto& [net, cfg] : ep.items()) {
    if (cfg.is_null()) continue;
    BERTH_RETURN_IF_ERROR(RejectUnsupported(cfg, kEndpointKeys, "EndpointSettings."));
    for (const char* k : {"Links", "MacAddress", "DriverOpts"})
      if (!IsDefault(cfg.value(k, Json())))
        return Unsupported(std::string("EndpointSettings.") + k);
    EndpointSpec e{net, JsonStrings(cfg.value("Aliases", Json())), ""};
    Json ipam = cfg.value("IPAMConfig", Json::object());
    if (ipam.is_object()) {
      e.ipv4 = ipam.value("IPv4Address", "");
      if (!IsDefault(ipam.value("IPv6Address", Json())))
        return Unsupported("IPv6 addresses (--ip6)");
    }
    if (BuiltinNetwork(net)) {
      if (!e.aliases.empty())
        return InvalidArgument(
            "network-scoped alias is supported only for containers in user defined networks");
      if (!e.ipv4.empty())
        return InvalidArgument(
            "user specified IP address is supported only when connecting to networks with user "
            "configured subnets");
      continue;
    }
    if (net == s.network_mode) {
      s.endpoints[0].aliases = e.aliases;
      s.endpoints[0].ipv4 = e.ipv4;
    } else {
      s.endpoints.push_back(e);
    }
  }
  return Status::Ok();
}

}  // namespace

Result<Mount> ParseBind(const std::string& bind) {
  std::vector<std::string> parts;
  size_t pos = 0;
  while (pos <= bind.size()) {
    size_t c = bind.find(':', pos);
    if (c == std::string::npos) c = bind.size();
    parts.push_back(bind.substr(pos, c - pos));
    pos = c + 1;
  }
  if (parts.size() < 2 || parts.size() > 3 || parts[1].empty() || parts[1][0] != '/')
    return InvalidArgument("invalid volume specification: '" + bind + "'");
  Mount m;
  m.destination = parts[1];
  if (parts.size() == 3) {
    if (parts[2] == "ro")
      m.read_only = true;
    else if (parts[2] != "rw" && !parts[2].empty())
      return Unsupported("volume option '" + parts[2] + "' in '" + bind + "'");
  }
  if (parts[0].rfind("/", 0) == 0) {
    m.source = parts[0];
  } else {
    if (!ValidVolumeName(parts[0]))
      return InvalidArgument("invalid volume name '" + parts[0] + "'");
    m.volume = parts[0];
  }
  return m;
}

Result<ContainerSpec> DecodeCreateRequest(const Json& body, const std::string& name) {
  BERTH_RETURN_IF_ERROR(RejectUnsupported(body, kConfigKeys, "Config."));
  Json hc = body.value("HostConfig", Json::object());
  BERTH_RETURN_IF_ERROR(RejectUnsupported(hc, kHostConfigKeys, "HostConfig."));
  ContainerSpec s;
  s.name = name.rfind("/", 0) == 0 ? name.substr(1) : name;
  s.image_ref = body.value("Image", "");
  if (s.image_ref.empty()) return InvalidArgument("config has no Image");
  s.entrypoint = JsonStrings(body.value("Entrypoint", Json()));
  s.cmd = JsonStrings(body.value("Cmd", Json()));
  s.env = JsonStrings(body.value("Env", Json()));
  s.working_dir =
      body.value("WorkingDir", Json("")).is_string() ? body.value("WorkingDir", "") : "";
  s.user = body.value("User", "");
  s.hostname = body.value("Hostname", "");
  s.tty = body.value("Tty", false);
  s.open_stdin = body.value("OpenStdin", false);
  s.stdin_once = body.value("StdinOnce", false);
  Json label_obj = body.value("Labels", Json::object());
  for (auto& [k, v] : label_obj.items()) s.labels[k] = v.get<std::string>();
  if (body.contains("StopSignal") && body["StopSignal"].is_string() &&
      !body["StopSignal"].get<std::string>().empty()) {
    s.stop_signal = body["StopSignal"].get<std::string>();
    BERTH_RETURN_IF_ERROR(SignalNumber(s.stop_signal).status());
  }
  if (body.contains("StopTimeout") && body["StopTimeout"].is_number())
    s.stop_timeout = body["StopTimeout"].get<int>();
  Json volume_obj = body.value("Volumes", Json::object());
  for (auto& [path, unused] : volume_obj.items())
    s.mounts.push_back({"", path, false, ""});  // anonymous volume
  // HostConfig
  for (const char* mode : {"IpcMode", "PidMode", "UTSMode", "UsernsMode", "Cgroup"})
    if (!IsDefault(hc.value(mode, Json())) && hc[mode] != "private" && hc[mode] != "shareable")
      return Unsupported(std::string("HostConfig.") + mode + " " + hc[mode].dump());
  if (hc.contains("CgroupnsMode") && !IsDefault(hc["CgroupnsMode"]) &&
      hc["CgroupnsMode"] != "private" && hc["CgroupnsMode"] != "host")
    return Unsupported("HostConfig.CgroupnsMode " + hc["CgroupnsMode"].dump());
  if (!IsDefault(hc.value("Isolation", Json())) && hc["Isolation"] != "default")
    return Unsupported("HostConfig.Isolation " + hc["Isolation"].dump());
  if (hc.value("OomKillDisable", Json(false)).is_boolean() && hc.value("OomKillDisable", false))
    return Unsupported("HostConfig.OomKillDisable");
  std::string log_type = hc.value("LogConfig", Json::object()).value("Type", "");
  if (!log_type.empty() && log_type != "json-file")
    return Unsupported("log driver \"" + log_type + "\" (only json-file)");
  s.memory = hc.value("Memory", int64_t{0});
  s.nano_cpus = hc.value("NanoCpus", int64_t{0});
  s.cpu_shares = hc.value("CpuShares", int64_t{0});
  s.pids_limit = hc.value("PidsLimit", Json(0)).is_number() ? hc.value("PidsLimit", int64_t{0}) : 0;
  if (s.memory < 0 || s.nano_cpus < 0) return InvalidArgument("negative resource limit");
  if (s.memory > 0 && s.memory < 6 * 1024 * 1024)
    return InvalidArgument("Minimum memory limit allowed is 6MB");
  s.read_only = hc.value("ReadonlyRootfs", false);
  s.auto_remove = hc.value("AutoRemove", false);
  Json rp = hc.value("RestartPolicy", Json::object());
  s.restart_policy = rp.value("Name", "");
  if (s.restart_policy.empty()) s.restart_policy = "no";
  if (s.restart_policy != "no" && s.restart_policy != "always" &&
      s.restart_policy != "on-failure" && s.restart_policy != "unless-stopped")
    return InvalidArgument("invalid restart policy '" + s.restart_policy + "'");
  s.restart_max_retries = rp.value("MaximumRetryCount", 0);
  if (s.auto_remove && s.restart_policy != "no")
    return InvalidArgument("can't create 'AutoRemove' container with restart policy");
  s.cap_add = JsonStrings(hc.value("CapAdd", Json()));
  s.cap_drop = JsonStrings(hc.value("CapDrop", Json()));
  BERTH_RETURN_IF_ERROR(EffectiveCapabilities(s.cap_add, s.cap_drop).status());
  for (const auto& b : JsonStrings(hc.value("Binds", Json()))) {
    BERTH_ASSIGN_OR_RETURN(Mount m, ParseBind(b));
    s.mounts.push_back(m);
  }
  for (const auto& m : hc.value("Mounts", Json::array())) {
    std::string type = m.value("Type", "volume");
    Mount mm{"", m.value("Target", ""), m.value("ReadOnly", false), ""};
    if (type == "volume")
      mm.volume = m.value("Source", "");
    else if (type == "bind")
      mm.source = m.value("Source", "");
    else
      return Unsupported("mount type \"" + type + "\"");
    if (mm.destination.empty() || mm.destination[0] != '/')
      return InvalidArgument("invalid mount target " + mm.destination);
    s.mounts.push_back(mm);
  }
  s.volumes_from = JsonStrings(hc.value("VolumesFrom", Json()));
  for (const auto& h : JsonStrings(hc.value("ExtraHosts", Json()))) {
    size_t colon = h.find(':');
    std::string host = h.substr(0, colon),
                addr = colon == std::string::npos ? "" : h.substr(colon + 1);
    if (addr == "host-gateway")
      return Unsupported("--add-host " + host + ":host-gateway (give the address itself)");
    in6_addr any{};
    if (host.empty() || host.find_first_of(" \t\n") != std::string::npos ||
        (inet_pton(AF_INET, addr.c_str(), &any) != 1 &&
         inet_pton(AF_INET6, addr.c_str(), &any) != 1))
      return InvalidArgument("invalid --add-host '" + h + "': want NAME:IP-ADDRESS");
    s.extra_hosts.push_back(host + ":" + addr);
  }
  s.network_mode = hc.value("NetworkMode", "");
  if (s.network_mode.empty() || s.network_mode == "default") s.network_mode = "bridge";
  if (s.network_mode.rfind("container:", 0) == 0) return Unsupported("--network container:NAME");
  Json port_obj = hc.value("PortBindings", Json::object());
  for (auto& [port, bindings] : port_obj.items()) {
    PortBinding pb;
    pb.container_port = std::stoi(port.substr(0, port.find('/')));
    pb.proto = port.find('/') == std::string::npos ? "tcp" : port.substr(port.find('/') + 1);
    if (pb.proto != "tcp") return Unsupported("published " + pb.proto + " ports (tcp only)");
    for (const auto& b : bindings) {
      PortBinding one = pb;
      one.host_ip = b.value("HostIp", "");
      std::string hp = b.value("HostPort", "");
      if (hp.empty()) return Unsupported("-p without a host port");
      one.host_port = std::stoi(hp);
      s.ports.push_back(one);
    }
  }
  BERTH_RETURN_IF_ERROR(DecodeEndpoints(body, s));
  Json raw = body;
  raw.erase("HostConfig");
  raw.erase("NetworkingConfig");
  s.raw_config = raw;
  s.raw_host_config = hc;
  return s;
}

}  // namespace berth::runtime
