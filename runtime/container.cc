#include "runtime/container.h"

#include <time.h>

#include <cstdio>
#include <random>

namespace berth::runtime {
namespace {

constexpr int kContainerVersion = 1;

RunState StateFromName(const std::string& s) {
  if (s == "running") return RunState::kRunning;
  if (s == "exited") return RunState::kExited;
  if (s == "removing") return RunState::kRemoving;
  return RunState::kCreated;
}

}  // namespace

const char* RunStateName(RunState s) {
  switch (s) {
    case RunState::kCreated:
      return "created";
    case RunState::kRunning:
      return "running";
    case RunState::kExited:
      return "exited";
    case RunState::kRemoving:
      return "removing";
  }
  return "unknown";
}

std::string NowRfc3339() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char buf[64];
  snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900,
           tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec);
  return buf;
}

std::string NewId() {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  char buf[17];
  std::string id;
  for (int i = 0; i < 4; ++i) {
    snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(rng()));
    id += buf;
  }
  return id;
}

Json ToJson(const ContainerRecord& c) {
  const ContainerSpec& s = c.spec;
  Json mounts = Json::array();
  for (const auto& m : s.mounts)
    mounts.push_back({{"source", m.source},
                      {"destination", m.destination},
                      {"read_only", m.read_only},
                      {"volume", m.volume}});
  Json ports = Json::array();
  for (const auto& p : s.ports)
    ports.push_back({{"container_port", p.container_port},
                     {"proto", p.proto},
                     {"host_ip", p.host_ip},
                     {"host_port", p.host_port}});
  Json endpoints = Json::array();
  for (const auto& e : s.endpoints)
    endpoints.push_back({{"network", e.network}, {"aliases", e.aliases}, {"ipv4", e.ipv4}});
  return {
      {"version", kContainerVersion},
      {"id", c.id},
      {"created", c.created},
      {"spec",
       {{"name", s.name},
        {"image_ref", s.image_ref},
        {"image_id", s.image_id},
        {"entrypoint", s.entrypoint},
        {"cmd", s.cmd},
        {"env", s.env},
        {"working_dir", s.working_dir},
        {"user", s.user},
        {"hostname", s.hostname},
        {"tty", s.tty},
        {"open_stdin", s.open_stdin},
        {"stdin_once", s.stdin_once},
        {"labels", s.labels},
        {"stop_signal", s.stop_signal},
        {"stop_timeout", s.stop_timeout},
        {"memory", s.memory},
        {"nano_cpus", s.nano_cpus},
        {"pids_limit", s.pids_limit},
        {"cpu_shares", s.cpu_shares},
        {"read_only", s.read_only},
        {"auto_remove", s.auto_remove},
        {"restart_policy", s.restart_policy},
        {"restart_max_retries", s.restart_max_retries},
        {"cap_add", s.cap_add},
        {"cap_drop", s.cap_drop},
        {"mounts", mounts},
        {"volumes_from", s.volumes_from},
        {"extra_hosts", s.extra_hosts},
        {"network_mode", s.network_mode},
        {"endpoints", endpoints},
        {"ports", ports},
        {"raw_config", s.raw_config},
        {"raw_host_config", s.raw_host_config}}},
      {"state",
       {{"state", RunStateName(c.state.state)},
        {"pid", c.state.pid},
        {"exit_code", c.state.exit_code},
        {"started_at", c.state.started_at},
        {"finished_at", c.state.finished_at},
        {"error", c.state.error},
        {"restart_count", c.state.restart_count},
        {"stopped_by_user", c.state.stopped_by_user},
        {"oom_killed", c.state.oom_killed}}},
  };
}

Result<ContainerRecord> ContainerFromJson(const Json& j, const std::string& path) {
  BERTH_RETURN_IF_ERROR(CheckStateVersion(j, kContainerVersion, path).status());
  try {
    ContainerRecord c;
    c.id = j.at("id").get<std::string>();
    c.created = j.value("created", "");
    const Json& s = j.at("spec");
    ContainerSpec& o = c.spec;
    o.name = s.value("name", "");
    o.image_ref = s.value("image_ref", "");
    o.image_id = s.value("image_id", "");
    o.entrypoint = s.value("entrypoint", std::vector<std::string>{});
    o.cmd = s.value("cmd", std::vector<std::string>{});
    o.env = s.value("env", std::vector<std::string>{});
    o.working_dir = s.value("working_dir", "");
    o.user = s.value("user", "");
    o.hostname = s.value("hostname", "");
    o.tty = s.value("tty", false);
    o.open_stdin = s.value("open_stdin", false);
    o.stdin_once = s.value("stdin_once", false);
    o.labels = s.value("labels", std::map<std::string, std::string>{});
    o.stop_signal = s.value("stop_signal", "SIGTERM");
    o.stop_timeout = s.value("stop_timeout", 10);
    o.memory = s.value("memory", int64_t{0});
    o.nano_cpus = s.value("nano_cpus", int64_t{0});
    o.pids_limit = s.value("pids_limit", int64_t{0});
    o.cpu_shares = s.value("cpu_shares", int64_t{0});
    o.read_only = s.value("read_only", false);
    o.auto_remove = s.value("auto_remove", false);
    o.restart_policy = s.value("restart_policy", "no");
    o.restart_max_retries = s.value("restart_max_retries", 0);
    o.cap_add = s.value("cap_add", std::vector<std::string>{});
    o.cap_drop = s.value("cap_drop", std::vector<std::string>{});
    for (const auto& m : s.value("mounts", Json::array()))
      o.mounts.push_back({m.value("source", ""), m.value("destination", ""),
                          m.value("read_only", false), m.value("volume", "")});
    o.volumes_from = s.value("volumes_from", std::vector<std::string>{});
    o.extra_hosts = s.value("extra_hosts", std::vector<std::string>{});
    o.network_mode = s.value("network_mode", "bridge");
    for (const auto& e : s.value("endpoints", Json::array()))
      o.endpoints.push_back({e.value("network", ""), e.value("aliases", std::vector<std::string>{}),
                             e.value("ipv4", "")});
    for (const auto& p : s.value("ports", Json::array()))
      o.ports.push_back({p.value("container_port", 0), p.value("proto", "tcp"),
                         p.value("host_ip", ""), p.value("host_port", 0)});
    o.raw_config = s.value("raw_config", Json::object());
    o.raw_host_config = s.value("raw_host_config", Json::object());
    const Json& st = j.at("state");
    c.state.state = StateFromName(st.value("state", "created"));
    c.state.pid = st.value("pid", 0);
    c.state.exit_code = st.value("exit_code", 0);
    c.state.started_at = st.value("started_at", c.state.started_at);
    c.state.finished_at = st.value("finished_at", c.state.finished_at);
    c.state.error = st.value("error", "");
    c.state.restart_count = st.value("restart_count", 0);
    c.state.stopped_by_user = st.value("stopped_by_user", false);
    c.state.oom_killed = st.value("oom_killed", false);
    return c;
  } catch (const Json::exception& e) {
    return InvalidArgument(path + ": " + e.what());
  }
}

}  // namespace berth::runtime
