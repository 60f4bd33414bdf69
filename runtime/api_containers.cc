// Container endpoints: /containers/...
#include <ctime>

#include "runtime/api_router.h"
#include "runtime/api_util.h"
#include "runtime/container_request.h"
#include "runtime/engine.h"

namespace berth::runtime {
namespace {

std::string StatusText(const ContainerRecord& c) {
  int64_t now = time(nullptr);
  switch (c.state.state) {
    case RunState::kRunning:
      return "Up " + HumanDuration(now - ParseTime(c.state.started_at));
    case RunState::kExited:
      return "Exited (" + std::to_string(c.state.exit_code) + ") " +
             HumanDuration(now - ParseTime(c.state.finished_at)) + " ago";
    case RunState::kRemoving:
      return "Removal In Progress";
    case RunState::kCreated:
      return "Created";
  }
  return "";
}

Json MountsJson(const ContainerSpec& s) {
  Json out = Json::array();
  for (const auto& m : s.mounts) {
    Json j = {{"Type", m.volume.empty() ? "bind" : "volume"},
              {"Source", m.source},
              {"Destination", m.destination},
              {"Mode", m.read_only ? "ro" : ""},
              {"RW", !m.read_only},
              {"Propagation", m.volume.empty() ? "rprivate" : ""}};
    if (!m.volume.empty()) {
      j["Name"] = m.volume;
      j["Driver"] = "local";
    }
    out.push_back(j);
  }
  return out;
}

Json PortsJson(const ContainerSpec& s) {
  Json ports = Json::object();
  for (const auto& p : s.ports)
    ports[std::to_string(p.container_port) + "/" + p.proto].push_back(
        {{"HostIp", p.host_ip.empty() ? "0.0.0.0" : p.host_ip},
         {"HostPort", std::to_string(p.host_port)}});
  return ports;
}

Json InspectJson(Engine& e, const ContainerRecord& c) {
  const ContainerSpec& s = c.spec;
  std::string dir = e.options().root + "/containers/" + c.id;
  Json config = s.raw_config;
  config["Hostname"] = s.hostname;
  config["Image"] = s.image_ref;
  config["Tty"] = s.tty;
  config["OpenStdin"] = s.open_stdin;
  config["Labels"] = s.labels;
  config["Env"] = s.env;
  config["Cmd"] = s.cmd;
  Json hc = s.raw_host_config;
  hc["NetworkMode"] = s.network_mode;
  hc["Memory"] = s.memory;
  hc["NanoCpus"] = s.nano_cpus;
  hc["RestartPolicy"] = {{"Name", s.restart_policy}, {"MaximumRetryCount", s.restart_max_retries}};
  hc["AutoRemove"] = s.auto_remove;
  hc["ReadonlyRootfs"] = s.read_only;
  hc["LogConfig"] = {{"Type", "json-file"}, {"Config", Json::object()}};
  const auto& st = c.state;
  bool running = st.state == RunState::kRunning;
  return {
      {"Id", c.id},
      {"Created", c.created},
      {"Path", s.entrypoint.empty() ? (s.cmd.empty() ? "" : s.cmd[0]) : s.entrypoint[0]},
      {"Args", s.cmd},
      {"State",
       {{"Status", RunStateName(st.state)},
        {"Running", running},
        {"Paused", false},
        {"Restarting", false},
        {"OOMKilled", st.oom_killed},
        {"Dead", false},
        {"Pid", st.pid},
        {"ExitCode", st.exit_code},
        {"Error", st.error},
        {"StartedAt", st.started_at},
        {"FinishedAt", st.finished_at}}},
      {"Image", s.image_id},
      {"ResolvConfPath", dir + "/resolv.conf"},
      {"HostnamePath", dir + "/hostname"},
      {"HostsPath", dir + "/hosts"},
      {"LogPath", e.containers().LogPath(c.id)},
      {"Name", "/" + s.name},
      {"RestartCount", st.restart_count},
      {"Driver", "overlay"},
      {"Platform", "linux"},
      {"MountLabel", ""},
      {"ProcessLabel", ""},
      {"AppArmorProfile", ""},
      {"ExecIDs", nullptr},
      {"HostConfig", hc},
      {"GraphDriver",
       {{"Name", "overlay"},
        {"Data",
         {{"UpperDir", dir + "/upper"},
          {"WorkDir", dir + "/work"},
          {"MergedDir", dir + "/rootfs"}}}}},
      {"Mounts", MountsJson(s)},
      {"Config", config},
      {"NetworkSettings",
       {{"Ports", PortsJson(s)},
        {"Networks", ContainerNetworksJson(e, c)},
        {"IPAddress", ""},
        {"Gateway", ""},
        {"SandboxKey", ""}}},
  };
}

bool Wanted(const ContainerRecord& c, const std::map<std::string, std::vector<std::string>>& f) {
  auto check = [&](const std::string& key, auto pred) {
    auto it = f.find(key);
    if (it == f.end()) return true;
    for (const auto& v : it->second)
      if (pred(v)) return true;
    return false;
  };
  return check("status", [&](const std::string& v) { return v == RunStateName(c.state.state); }) &&
         check("name",
               [&](const std::string& v) {
                 return c.spec.name.find(v.rfind("/", 0) == 0 ? v.substr(1) : v) !=
                        std::string::npos;
               }) &&
         check("id", [&](const std::string& v) { return c.id.rfind(v, 0) == 0; }) &&
         check("ancestor",
               [&](const std::string& v) {
                 return v == c.spec.image_ref || c.spec.image_id.find(v) != std::string::npos;
               }) &&
         check("exited",
               [&](const std::string& v) {
                 return c.state.state == RunState::kExited &&
                        std::to_string(c.state.exit_code) == v;
               }) &&
         check("label", [&](const std::string& v) {
           size_t eq = v.find('=');
           auto it = c.spec.labels.find(v.substr(0, eq));
           return it != c.spec.labels.end() &&
                  (eq == std::string::npos || it->second == v.substr(eq + 1));
         });
}

Result<ApiResponse> List(Engine& e, const ApiRequest& req) {
  BERTH_ASSIGN_OR_RETURN(auto filters, ParseFilters(req));
  for (const auto& [k, v] : filters)
    if (k != "status" && k != "name" && k != "id" && k != "ancestor" && k != "label" &&
        k != "exited")
      return InvalidArgument("invalid filter '" + k + "'");
  bool all = req.QueryBool("all") || filters.count("status") || filters.count("exited");
  int limit = req.Query("limit").empty() ? -1 : std::stoi(req.Query("limit"));
  Json out = Json::array();
  for (const auto& c : e.containers().List()) {
    if (!all && c.state.state != RunState::kRunning) continue;
    if (!Wanted(c, filters)) continue;
    if (limit >= 0 && static_cast<int>(out.size()) >= limit) break;
    std::vector<std::string> args = c.spec.entrypoint;
    args.insert(args.end(), c.spec.cmd.begin(), c.spec.cmd.end());
    std::string command;
    for (const auto& a : args) command += (command.empty() ? "" : " ") + a;
    Json ports = Json::array();
    for (const auto& p : c.spec.ports)
      ports.push_back({{"IP", p.host_ip.empty() ? "0.0.0.0" : p.host_ip},
                       {"PrivatePort", p.container_port},
                       {"PublicPort", p.host_port},
                       {"Type", p.proto}});
    out.push_back({{"Id", c.id},
                   {"Names", {"/" + c.spec.name}},
                   {"Image", c.spec.image_ref},
                   {"ImageID", c.spec.image_id},
                   {"Command", command},
                   {"Created", ParseTime(c.created)},
                   {"Ports", ports},
                   {"Labels", c.spec.labels},
                   {"State", RunStateName(c.state.state)},
                   {"Status", StatusText(c)},
                   {"HostConfig", {{"NetworkMode", c.spec.network_mode}}},
                   {"NetworkSettings", {{"Networks", Json::object()}}},
                   {"Mounts", MountsJson(c.spec)}});
  }
  return ApiResponse::Body(200, out);
}

Result<ApiResponse> Create(Engine& e, const ApiRequest& req) {
  BERTH_ASSIGN_OR_RETURN(Json body, BodyJson(req));
  if (!req.Query("platform").empty() && req.Query("platform") != "linux/amd64" &&
      req.Query("platform") != "linux")
    return Unsupported("platform " + req.Query("platform"));
  BERTH_ASSIGN_OR_RETURN(ContainerSpec spec, DecodeCreateRequest(body, req.Query("name")));
  BERTH_ASSIGN_OR_RETURN(std::string id, e.containers().Create(std::move(spec)));
  return ApiResponse::Body(201, {{"Id", id}, {"Warnings", Json::array()}});
}

Result<ApiResponse> Inspect(Engine& e, const ApiRequest& req) {
  BERTH_ASSIGN_OR_RETURN(ContainerRecord c, e.containers().Get(req.Param("id")));
  return ApiResponse::Body(200, InspectJson(e, c));
}

std::optional<int> Timeout(const ApiRequest& req) {
  std::string t = req.Query("t");
  if (t.empty()) t = req.Query("timeout");
  if (t.empty()) return std::nullopt;
  return std::stoi(t);
}

Result<ApiResponse> Start(Engine& e, const ApiRequest& req) {
  if (!req.Query("checkpoint").empty()) return Unsupported("checkpoints");
  BERTH_RETURN_IF_ERROR(e.containers().Start(req.Param("id")));
  return ApiResponse::NoContent();
}

Result<ApiResponse> Stop(Engine& e, const ApiRequest& req) {
  BERTH_RETURN_IF_ERROR(e.containers().Stop(req.Param("id"), Timeout(req)));
  return ApiResponse::NoContent();
}

Result<ApiResponse> Restart(Engine& e, const ApiRequest& req) {
  BERTH_RETURN_IF_ERROR(e.containers().Restart(req.Param("id"), Timeout(req)));
  return ApiResponse::NoContent();
}

Result<ApiResponse> Kill(Engine& e, const ApiRequest& req) {
  BERTH_RETURN_IF_ERROR(e.containers().Kill(req.Param("id"), req.Query("signal")));
  return ApiResponse::NoContent();
}

Result<ApiResponse> Remove(Engine& e, const ApiRequest& req) {
  if (req.QueryBool("link")) return Unsupported("links");
  BERTH_RETURN_IF_ERROR(
      e.containers().Remove(req.Param("id"), req.QueryBool("force"), req.QueryBool("v")));
  return ApiResponse::NoContent();
}

Result<ApiResponse> Rename(Engine& e, const ApiRequest& req) {
  BERTH_RETURN_IF_ERROR(e.containers().Rename(req.Param("id"), req.Query("name")));
  return ApiResponse::NoContent();
}

// The response head goes out at once; the body when the condition is met
// (the docker client waits for the head before it starts the container).
Result<ApiResponse> Wait(Engine& e, const ApiRequest& req) {
  BERTH_ASSIGN_OR_RETURN(std::string id, e.containers().ResolveId(req.Param("id")));
  std::string cond = req.Query("condition");
  if (!cond.empty() && cond != "not-running" && cond != "next-exit" && cond != "removed")
    return InvalidArgument("invalid condition: \"" + cond + "\"");
  ContainerManager* m = &e.containers();
  return StreamJsonLines([m, id, cond](Conn& conn) {
    auto code = m->Wait(id, cond);
    Json body = code.ok()
                    ? Json{{"StatusCode", *code}, {"Error", nullptr}}
                    : Json{{"StatusCode", 255}, {"Error", {{"Message", code.status().message()}}}};
    (void)conn.Write(body.dump() + "\n");
  });
}

Result<ApiResponse> Attach(Engine& e, const ApiRequest& req) {
  BERTH_ASSIGN_OR_RETURN(ContainerRecord c, e.containers().Get(req.Param("id")));
  if (!req.Query("detachKeys").empty()) return Unsupported("detach keys");
  AttachOptions o;
  o.stdin = req.QueryBool("stdin");
  o.stdout = req.QueryBool("stdout");
  o.stderr = req.QueryBool("stderr");
  o.logs = req.QueryBool("logs");
  o.stream = req.QueryBool("stream");
  ContainerManager* m = &e.containers();
  std::string id = c.id;
  ApiResponse r;
  r.upgrade = true;
  r.content_type = c.spec.tty ? "application/vnd.docker.raw-stream"
                              : "application/vnd.docker.multiplexed-stream";
  r.stream = [m, id, o](Conn& conn) { (void)m->Attach(id, o, conn); };
  return r;
}

Result<ApiResponse> Logs(Engine& e, const ApiRequest& req) {
  BERTH_ASSIGN_OR_RETURN(ContainerRecord c, e.containers().Get(req.Param("id")));
  if (!req.Query("since").empty() && req.Query("since") != "0") return Unsupported("logs --since");
  if (!req.Query("until").empty() && req.Query("until") != "0") return Unsupported("logs --until");
  LogsOptions o;
  o.stdout = req.QueryBool("stdout");
  o.stderr = req.QueryBool("stderr");
  if (!o.stdout && !o.stderr)
    return InvalidArgument("Bad parameters: you must choose at least one stream");
  o.follow = req.QueryBool("follow");
  o.timestamps = req.QueryBool("timestamps");
  std::string tail = req.Query("tail", "all");
  o.tail = tail == "all" || tail.empty() ? -1 : std::stoi(tail);
  ContainerManager* m = &e.containers();
  std::string id = c.id;
  ApiResponse r;
  r.content_type = c.spec.tty ? "application/vnd.docker.raw-stream"
                              : "application/vnd.docker.multiplexed-stream";
  r.stream = [m, id, o](Conn& conn) { (void)m->Logs(id, o, conn); };
  return r;
}

Result<ApiResponse> Resize(Engine& e, const ApiRequest& req) {
  BERTH_RETURN_IF_ERROR(e.containers().Resize(req.Param("id"), std::stoi(req.Query("h", "24")),
                                              std::stoi(req.Query("w", "80"))));
  return ApiResponse::Body(200, nullptr);
}

Result<ApiResponse> Top(Engine& e, const ApiRequest& req) {
  if (!req.Query("ps_args").empty() && req.Query("ps_args") != "-ef")
    return Unsupported("top ps options");
  BERTH_ASSIGN_OR_RETURN(Json j, e.containers().Top(req.Param("id")));
  return ApiResponse::Body(200, j);
}

Result<ApiResponse> Stats(Engine& e, const ApiRequest& req) {
  bool stream = req.QueryBool("stream", true) && !req.QueryBool("one-shot");
  if (stream) {
    std::string id = req.Param("id");
    BERTH_RETURN_IF_ERROR(e.containers().Get(id).status());
    ContainerManager* m = &e.containers();
    return StreamJsonLines([m, id](Conn& conn) {
      for (;;) {
        auto s = m->Stats(id);
        if (!s.ok() || !conn.Write(s->dump() + "\n").ok()) return;
        auto c = m->Get(id);
        if (!c.ok() || c->state.state != RunState::kRunning) return;
      }
    });
  }
  BERTH_ASSIGN_OR_RETURN(Json j, e.containers().Stats(req.Param("id")));
  return ApiResponse::Body(200, j);
}

Result<ApiResponse> NotImplemented(const std::string& what) { return Unsupported(what); }

}  // namespace

std::vector<Route> ContainerRoutes() {
  return {
      {"GET", "/containers/json", List},
      {"POST", "/containers/create", Create},
      {"GET", "/containers/{id}/json", Inspect},
      {"POST", "/containers/{id}/start", Start},
      {"POST", "/containers/{id}/stop", Stop},
      {"POST", "/containers/{id}/restart", Restart},
      {"POST", "/containers/{id}/kill", Kill},
      {"POST", "/containers/{id}/wait", Wait},
      {"POST", "/containers/{id}/attach", Attach},
      {"GET", "/containers/{id}/logs", Logs},
      {"POST", "/containers/{id}/resize", Resize},
      {"POST", "/containers/{id}/rename", Rename},
      {"GET", "/containers/{id}/top", Top},
      {"GET", "/containers/{id}/stats", Stats},
      {"DELETE", "/containers/{id}", Remove},
      {"POST", "/containers/{id}/pause",
       [](Engine&, const ApiRequest&) { return NotImplemented("pause"); }},
      {"POST", "/containers/{id}/unpause",
       [](Engine&, const ApiRequest&) { return NotImplemented("unpause"); }},
      {"POST", "/containers/{id}/update",
       [](Engine&, const ApiRequest&) { return NotImplemented("container update"); }},
      {"GET", "/containers/{id}/export",
       [](Engine&, const ApiRequest&) { return NotImplemented("export"); }},
      {"GET", "/containers/{id}/archive",
       [](Engine&, const ApiRequest&) { return NotImplemented("docker cp"); }},
      {"PUT", "/containers/{id}/archive",
       [](Engine&, const ApiRequest&) { return NotImplemented("docker cp"); }},
      {"HEAD", "/containers/{id}/archive",
       [](Engine&, const ApiRequest&) { return NotImplemented("docker cp"); }},
      {"POST", "/containers/prune",
       [](Engine&, const ApiRequest&) { return NotImplemented("container prune"); }},
  };
}

}  // namespace berth::runtime
