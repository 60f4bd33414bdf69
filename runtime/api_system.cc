// System endpoints: /_ping, /version, /info, /events.
#include <poll.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "base/file_util.h"
#include "runtime/api_router.h"
#include "runtime/api_util.h"
#include "runtime/engine.h"

namespace berth::runtime {
namespace {

std::string Kernel() {
  struct utsname u;
  uname(&u);
  return u.release;
}

Result<ApiResponse> Ping(Engine&, const ApiRequest&) {
  ApiResponse r = ApiResponse::Text(200, "OK");
  r.headers["Cache-Control"] = "no-cache, no-store, must-revalidate";
  r.headers["Pragma"] = "no-cache";
  r.headers["Swarm"] = "inactive";
  return r;
}

Result<ApiResponse> Version(Engine&, const ApiRequest&) {
  Json details = {{"ApiVersion", kApiVersion},
                  {"MinAPIVersion", kMinApiVersion},
                  {"Os", "linux"},
                  {"Arch", "amd64"},
                  {"KernelVersion", Kernel()}};
  return ApiResponse::Body(
      200,
      {{"Platform", {{"Name", "berthd"}}},
       {"Components", {{{"Name", "Engine"}, {"Version", BERTH_VERSION}, {"Details", details}}}},
       {"Version", BERTH_VERSION},
       {"ApiVersion", kApiVersion},
       {"MinAPIVersion", kMinApiVersion},
       {"GitCommit", "berth"},
       {"GoVersion", "n/a (C++20)"},
       {"Os", "linux"},
       {"Arch", "amd64"},
       {"KernelVersion", Kernel()},
       {"BuildTime", __DATE__}});
}

Result<ApiResponse> Info(Engine& e, const ApiRequest&) {
  auto containers = e.containers().List();
  int running = 0, stopped = 0;
  for (const auto& c : containers) {
    if (c.state.state == RunState::kRunning)
      ++running;
    else
      ++stopped;
  }
  int64_t mem = sysconf(_SC_PHYS_PAGES) * sysconf(_SC_PAGESIZE);
  bool v2 = PathExists("/sys/fs/cgroup/cgroup.controllers");
  return ApiResponse::Body(
      200,
      {{"ID", e.id()},
       {"Containers", containers.size()},
       {"ContainersRunning", running},
       {"ContainersPaused", 0},
       {"ContainersStopped", stopped},
       {"Images", e.images().List().size()},
       {"Driver", "overlay"},
       {"DriverStatus", Json::array()},
       {"Plugins",
        {{"Volume", {"local"}}, {"Network", {"bridge", "host", "null"}}, {"Log", {"json-file"}}}},
       {"MemoryLimit", true},
       {"SwapLimit", false},
       {"CpuCfsPeriod", true},
       {"CpuCfsQuota", true},
       {"CPUShares", true},
       {"PidsLimit", true},
       {"IPv4Forwarding", true},
       {"Debug", false},
       {"NFd", 0},
       {"NGoroutines", 0},
       {"SystemTime", NowRfc3339()},
       {"LoggingDriver", "json-file"},
       {"CgroupDriver", "cgroupfs"},
       {"CgroupVersion", v2 ? "2" : "1"},
       {"KernelVersion", Kernel()},
       {"OperatingSystem", "berth"},
       {"OSVersion", BERTH_VERSION},
       {"OSType", "linux"},
       {"Architecture", "x86_64"},
       {"NCPU", sysconf(_SC_NPROCESSORS_ONLN)},
       {"MemTotal", mem},
       {"IndexServerAddress", ""},
       {"RegistryConfig",
        {{"IndexConfigs", Json::object()}, {"InsecureRegistryCIDRs", {"127.0.0.0/8"}}}},
       {"DockerRootDir", e.options().root},
       {"Name", e.options().name},
       {"Labels", Json::array()},
       {"ExperimentalBuild", false},
       {"ServerVersion", BERTH_VERSION},
       {"Runtimes", {{"crun", {{"path", e.options().crun}}}}},
       {"DefaultRuntime", "crun"},
       {"Swarm", {{"LocalNodeState", "inactive"}, {"ControlAvailable", false}}},
       {"LiveRestoreEnabled", false},
       {"Isolation", ""},
       {"InitBinary", ""},
       {"SecurityOptions", Json::array()},
       {"Warnings", Json::array()}});
}

bool Matches(const Event& ev, const std::map<std::string, std::vector<std::string>>& f) {
  auto any = [&](const std::string& key, const std::vector<std::string>& candidates) {
    auto it = f.find(key);
    if (it == f.end()) return true;
    for (const auto& want : it->second)
      for (const auto& c : candidates)
        if (!c.empty() &&
            (c == want || (key != "type" && c.rfind(want, 0) == 0 && want.size() >= 4)))
          return true;
    return false;
  };
  auto attr = [&](const char* k) { return ev.attributes.count(k) ? ev.attributes.at(k) : ""; };
  std::string action = ev.action.substr(0, ev.action.find(':'));
  if (!any("type", {ev.type}) || !any("event", {action})) return false;
  if (f.count("container") && (ev.type != "container" || !any("container", {ev.id, attr("name")})))
    return false;
  if (f.count("image") && !any("image", {attr("image"), ev.type == "image" ? ev.id : ""}))
    return false;
  if (f.count("volume") && (ev.type != "volume" || !any("volume", {ev.id}))) return false;
  if (f.count("network") && (ev.type != "network" || !any("network", {ev.id, attr("name")})))
    return false;
  return true;
}

Result<ApiResponse> Events(Engine& e, const ApiRequest& req) {
  BERTH_ASSIGN_OR_RETURN(auto filters, ParseFilters(req));
  int64_t since = req.Query("since").empty() ? -1 : std::stoll(req.Query("since"));
  int64_t until = req.Query("until").empty() ? -1 : std::stoll(req.Query("until"));
  EventBus* bus = &e.events();
  return StreamJsonLines([bus, filters, since, until](Conn& conn) {
    uint64_t after = since >= 0 ? 0 : bus->Last();
    for (;;) {
      auto batch = bus->Since(after, 500);
      for (const auto& ev : batch) {
        after = ev.seq;
        int64_t t = ev.time_nano / 1000000000;
        if (since >= 0 && t < since) continue;
        if (until >= 0 && t > until) return;
        if (!Matches(ev, filters)) continue;
        if (!conn.Write(ev.ToJson().dump() + "\n").ok()) return;
      }
      if (until >= 0 && time(nullptr) > until) return;
      pollfd p{conn.fd(), POLLIN, 0};
      if (poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR))) return;
      if (p.revents & POLLIN) {
        char buf[256];
        auto r = conn.Read(buf, sizeof(buf));
        if (!r.ok() || *r == 0) return;  // client went away
      }
    }
  });
}

}  // namespace

std::vector<Route> SystemRoutes() {
  return {
      {"GET", "/_ping", Ping},
      {"GET", "/version", Version},
      {"GET", "/info", Info},
      {"GET", "/events", Events},
  };
}

}  // namespace berth::runtime
