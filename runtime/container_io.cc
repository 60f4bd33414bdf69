// ContainerManager: attach, logs, resize, top and stats.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "base/file_util.h"
#include "base/subprocess.h"
#include "runtime/container_live.h"
#include "runtime/host_ops.h"

namespace berth::runtime {

Status ContainerManager::Attach(const std::string& ref, const AttachOptions& o, Conn& conn) {
  auto [r, w] = MakePipePair();
  fcntl(w.get(), F_SETPIPE_SZ, 1 << 20);
  std::shared_ptr<Live> c;
  bool tty;
  {
    std::lock_guard<std::mutex> lock(mu_);
    BERTH_ASSIGN_OR_RETURN(c, Find(ref));
    tty = c->rec.spec.tty;
    auto sink = std::make_shared<PipeSink>(std::move(w), tty, o.stdout, o.stderr);
    if (o.logs) {
      for (const auto& l : ReadLog(LogPath(c->rec.id)))
        sink->Write(l.stream, l.text.data(), l.text.size(), l.time);
    }
    if (!o.stream) {
      sink->Close();
    } else if (c->pump) {
      c->pump->AddSink(sink);
    } else if (c->rec.state.state != RunState::kRunning) {
      c->attached.push_back(sink);  // docker run attaches before it starts
    } else {
      sink->Close();
    }
    if (o.stdin && c->rec.spec.open_stdin && !tty && !c->stdin_w && !c->stdin_r &&
        c->rec.state.state != RunState::kRunning) {
      auto [sr, sw] = MakePipePair();
      c->stdin_r = std::move(sr);
      c->stdin_w = std::move(sw);
    }
  }
  auto on_input = [&](const char* p, size_t n) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!o.stdin) return;
    if (tty) {
      if (c->pty)
        (void)!write(c->pty.get(), p, n);
      else
        c->pending_input.append(p, n);
    } else if (c->stdin_w) {
      (void)!write(c->stdin_w.get(), p, n);
    }
  };
  auto on_eof = [&] {
    std::lock_guard<std::mutex> lock(mu_);
    if (o.stdin && !tty && c->rec.spec.stdin_once) c->stdin_w.Reset();
  };
  Bridge(conn, r.get(), on_input, on_eof);
  return Status::Ok();
}

Status ContainerManager::Logs(const std::string& ref, const LogsOptions& o, Conn& conn) {
  auto [r, w] = MakePipePair();
  fcntl(w.get(), F_SETPIPE_SZ, 1 << 20);
  std::shared_ptr<PipeSink> sink;
  std::vector<LogLine> lines;
  bool raw = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    BERTH_ASSIGN_OR_RETURN(auto c, Find(ref));
    raw = c->rec.spec.tty;
    sink = std::make_shared<PipeSink>(std::move(w), raw, o.stdout, o.stderr, o.timestamps);
    auto replay = [&] {
      lines = ReadLog(LogPath(c->rec.id));
      if (o.follow && c->pump) c->pump->AddSinkLocked(sink);
    };
    if (c->pump)
      c->pump->Locked(replay);
    else
      replay();
  }
  // Count lines per selected stream for --tail.
  size_t start = 0;
  if (o.tail >= 0) {
    size_t count = 0;
    start = lines.size();
    while (start > 0 && count < static_cast<size_t>(o.tail)) {
      --start;
      const auto& l = lines[start];
      if ((l.stream == 1 && o.stdout) || (l.stream == 2 && o.stderr)) ++count;
    }
  }
  // Replay through the connection directly, then follow via the pipe.
  for (size_t i = start; i < lines.size(); ++i) {
    const auto& l = lines[i];
    if ((l.stream == 1 && !o.stdout) || (l.stream == 2 && !o.stderr)) continue;
    std::string data = o.timestamps ? l.time + " " + l.text : l.text;
    if (!conn.Write(raw ? data : Frame(l.stream, data.data(), data.size())).ok())
      return Status::Ok();
  }
  if (!o.follow) return Status::Ok();
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto c = Find(ref);
    if (!c.ok() || !(*c)->pump) sink->Close();
  }
  sink.reset();  // the pump holds the only write end now
  Bridge(conn, r.get(), nullptr, nullptr);
  return Status::Ok();
}

Status ContainerManager::Resize(const std::string& ref, int rows, int cols) {
  std::lock_guard<std::mutex> lock(mu_);
  BERTH_ASSIGN_OR_RETURN(auto c, Find(ref));
  if (c->pty) ResizePty(c->pty.get(), rows, cols);
  return Status::Ok();
}

Result<Json> ContainerManager::Top(const std::string& ref) {
  BERTH_ASSIGN_OR_RETURN(ContainerRecord rec, Get(ref));
  if (rec.state.state != RunState::kRunning)
    return FailedPrecondition("container " + rec.id + " is not running");
  BERTH_ASSIGN_OR_RETURN(std::string out,
                         RunChecked({opts_.crun, "--root", opts_.exec_root + "/crun", "ps",
                                     "--format", "json", rec.id}));
  BERTH_ASSIGN_OR_RETURN(Json pids, ParseJson(out, "crun ps"));
  Json procs = Json::array();
  long hz = sysconf(_SC_CLK_TCK);
  for (const auto& p : pids) {
    int pid = p.get<int>();
    std::string base = "/proc/" + std::to_string(pid);
    auto stat = ReadFile(base + "/stat");
    if (!stat.ok()) continue;
    std::string s = *stat;
    size_t rp = s.rfind(')');
    std::istringstream rest(s.substr(rp + 2));
    std::vector<std::string> f;
    std::string x;
    while (rest >> x) f.push_back(x);
    std::string ppid = f.size() > 1 ? f[1] : "0";
    long ticks = f.size() > 12 ? std::stol(f[11]) + std::stol(f[12]) : 0;
    long secs = ticks / hz;
    char tbuf[32];
    snprintf(tbuf, sizeof(tbuf), "%02ld:%02ld:%02ld", secs / 3600, (secs / 60) % 60, secs % 60);
    std::string uid = "0";
    std::ifstream status(base + "/status");
    std::string line;
    while (std::getline(status, line))
      if (line.rfind("Uid:", 0) == 0) std::istringstream(line.substr(4)) >> uid;
    auto cmdline = ReadFile(base + "/cmdline");
    std::string cmd = cmdline.ok() ? *cmdline : "";
    for (auto& ch : cmd)
      if (ch == '\0') ch = ' ';
    while (!cmd.empty() && cmd.back() == ' ') cmd.pop_back();
    procs.push_back({uid, std::to_string(pid), ppid, "0", "-", "?", tbuf, cmd});
  }
  return Json{{"Titles", {"UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"}},
              {"Processes", procs}};
}

namespace {

int64_t ReadInt(const std::string& path, int64_t def = 0) {
  auto s = ReadFile(path);
  if (!s.ok() || s->empty() || s->rfind("max", 0) == 0) return def;
  return std::stoll(*s);
}

int64_t SystemCpuNanos() {
  std::ifstream f("/proc/stat");
  std::string cpu;
  f >> cpu;
  int64_t total = 0, v;
  for (int i = 0; i < 8 && (f >> v); ++i) total += v;
  return total * (1000000000 / sysconf(_SC_CLK_TCK));
}

}  // namespace

// Reads usage from the container's cgroup: cgroup v2 when /sys/fs/cgroup is
// unified, else the v1 memory, cpuacct and pids hierarchies.
Result<Json> ContainerManager::ContainerCgroupStats(const std::string& id) {
  std::string rel = opts_.cgroup_parent + "/" + id;
  Json s;
  int64_t mem = 0, limit = 0, cpu = 0, pids = 0;
  if (PathExists("/sys/fs/cgroup/cgroup.controllers")) {
    std::string d = "/sys/fs/cgroup" + rel;
    mem = ReadInt(d + "/memory.current");
    limit = ReadInt(d + "/memory.max", 0);
    pids = ReadInt(d + "/pids.current");
    std::ifstream f(d + "/cpu.stat");
    std::string k;
    int64_t v;
    while (f >> k >> v)
      if (k == "usage_usec") cpu = v * 1000;
  } else {
    mem = ReadInt("/sys/fs/cgroup/memory" + rel + "/memory.usage_in_bytes");
    limit = ReadInt("/sys/fs/cgroup/memory" + rel + "/memory.limit_in_bytes");
    cpu = ReadInt("/sys/fs/cgroup/cpuacct" + rel + "/cpuacct.usage");
    pids = ReadInt("/sys/fs/cgroup/pids" + rel + "/pids.current");
  }
  if (limit <= 0 || limit > (int64_t{1} << 62)) {
    auto meminfo = ReadFile("/proc/meminfo");
    limit = meminfo.ok() ? std::stoll(meminfo->substr(meminfo->find(':') + 1)) * 1024 : 0;
  }
  int cpus = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  s["cpu_stats"] = {
      {"cpu_usage", {{"total_usage", cpu}, {"usage_in_kernelmode", 0}, {"usage_in_usermode", cpu}}},
      {"system_cpu_usage", SystemCpuNanos()},
      {"online_cpus", cpus},
      {"throttling_data", {{"periods", 0}, {"throttled_periods", 0}, {"throttled_time", 0}}}};
  s["memory_stats"] = {{"usage", mem}, {"limit", limit}, {"stats", Json::object()}};
  s["pids_stats"] = {{"current", pids}};
  return s;
}

Result<Json> ContainerManager::Stats(const std::string& ref) {
  BERTH_ASSIGN_OR_RETURN(ContainerRecord rec, Get(ref));
  Json out = {{"id", rec.id},
              {"name", "/" + rec.spec.name},
              {"read", NowRfc3339()},
              {"networks", Json::object()},
              {"blkio_stats", Json::object()}};
  if (rec.state.state != RunState::kRunning) {
    out["preread"] = "0001-01-01T00:00:00Z";
    out["cpu_stats"] = {
        {"cpu_usage", {{"total_usage", 0}}}, {"system_cpu_usage", 0}, {"online_cpus", 0}};
    out["precpu_stats"] = out["cpu_stats"];
    out["memory_stats"] = Json::object();
    out["pids_stats"] = Json::object();
    return out;
  }
  std::string pre_time = NowRfc3339();
  BERTH_ASSIGN_OR_RETURN(Json first, ContainerCgroupStats(rec.id));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  BERTH_ASSIGN_OR_RETURN(Json second, ContainerCgroupStats(rec.id));
  out["read"] = NowRfc3339();
  out["preread"] = pre_time;
  out["cpu_stats"] = second["cpu_stats"];
  out["precpu_stats"] = first["cpu_stats"];
  out["memory_stats"] = second["memory_stats"];
  out["pids_stats"] = second["pids_stats"];
  return out;
}

}  // namespace berth::runtime
