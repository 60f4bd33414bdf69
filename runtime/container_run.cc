// ContainerManager: starting containers through crun, stopping, killing, and
// what happens when a container's process exits (restart policy, --rm).
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "base/file_util.h"
#include "base/subprocess.h"
#include "runtime/bundle.h"
#include "runtime/container_live.h"
#include "runtime/host_ops.h"
#include "runtime/network_manager.h"

namespace berth::runtime {
namespace {

constexpr const char* kDefaultPath =
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

std::vector<std::string> Strings(const Json& j) {
  std::vector<std::string> out;
  if (j.is_array())
    for (const auto& s : j) out.push_back(s.get<std::string>());
  return out;
}

// Reads what a failed crun left in `fd` (non-blocking, bounded).
std::string Drain(int fd) {
  fcntl(fd, F_SETFL, O_NONBLOCK);
  std::string out;
  char buf[4096];
  ssize_t r;
  while (out.size() < 16384 && (r = read(fd, buf, sizeof(buf))) > 0) out.append(buf, r);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

// Rewrites crun's "not found" into the text the docker client maps to exit 127.
std::string StartError(const std::string& crun_msg, const std::string& arg0) {
  if (crun_msg.find("executable file") != std::string::npos &&
      crun_msg.find("not found") != std::string::npos)
    return "failed to create task: exec: \"" + arg0 + "\": executable file not found in $PATH";
  if (crun_msg.find("No such file or directory") != std::string::npos)
    return "failed to create task: exec: \"" + arg0 + "\": stat " + arg0 +
           ": no such file or directory";
  if (crun_msg.find("Permission denied") != std::string::npos)
    return "failed to create task: exec: \"" + arg0 + "\": permission denied";
  return "failed to create task: crun: " + crun_msg;
}

// Removes the cgroup `rel` ("/berth/ID") from the cgroup2 tree or from every
// v1 hierarchy under /sys/fs/cgroup. False when one stays busy (processes
// not yet gone after ~100 ms) or cannot be removed.
bool RemoveCgroup(const std::string& rel) {
  std::vector<std::string> dirs = {"/sys/fs/cgroup" + rel};
  if (DIR* d = opendir("/sys/fs/cgroup")) {
    while (dirent* e = readdir(d))
      if (e->d_name[0] != '.') dirs.push_back(std::string("/sys/fs/cgroup/") + e->d_name + rel);
    closedir(d);
  }
  for (const auto& dir : dirs) {
    for (int tries = 0;; ++tries) {
      if (rmdir(dir.c_str()) == 0 || errno == ENOENT || errno == ENOTDIR) break;
      if (errno != EBUSY || tries >= 50) return false;
      usleep(2000);
    }
  }
  return true;
}

}  // namespace

Status ContainerManager::Start(const std::string& ref) {
  std::unique_lock<std::mutex> lock(mu_);
  BERTH_ASSIGN_OR_RETURN(auto c, Find(ref));
  if (c->rec.state.state == RunState::kRunning || c->starting) return Status::Ok();
  c->rec.state.stopped_by_user = false;
  return StartLocked(c, lock);
}

Status ContainerManager::StartLocked(std::shared_ptr<Live> c, std::unique_lock<std::mutex>& lock) {
  if (shutting_down_) return FailedPrecondition("berthd is shutting down");
  c->starting = true;
  ContainerSpec spec = c->rec.spec;
  std::string id = c->rec.id;
  bool want_stdin = spec.open_stdin && !spec.tty;
  if (want_stdin && !c->stdin_r) {  // attach may have made it already
    auto [r, w] = MakePipePair();
    c->stdin_r = std::move(r);
    c->stdin_w = std::move(w);
  }
  UniqueFd stdin_r = std::move(c->stdin_r);
  lock.unlock();

  std::string dir = Dir(id);
  std::string rootfs = dir + "/rootfs";
  std::string netns;
  std::string arg0;
  auto prepare = [&]() -> Status {
    BERTH_ASSIGN_OR_RETURN(ImageRecord image, images_.Resolve(spec.image_id));
    (void)Unmount(rootfs);
    if (PathExists(opts_.exec_root + "/crun/" + id))  // a delete still under way
      (void)Run({opts_.crun, "--root", opts_.exec_root + "/crun", "delete", "-f", id});
    BERTH_RETURN_IF_ERROR(MountOverlay(images_.LayerDirs(image), dir + "/upper", dir + "/work",
                                       rootfs,
                                       /*volatile_upper=*/spec.auto_remove));
    const Json ic = image.config.value("config", Json::object());
    std::vector<std::string> ep =
        spec.entrypoint.empty() ? Strings(ic.value("Entrypoint", Json())) : spec.entrypoint;
    std::vector<std::string> cmd = spec.cmd;
    if (cmd.empty() && spec.entrypoint.empty()) cmd = Strings(ic.value("Cmd", Json()));
    BundleInput in;
    in.args = ep;
    in.args.insert(in.args.end(), cmd.begin(), cmd.end());
    if (in.args.empty()) return InvalidArgument("no command specified");
    arg0 = in.args[0];
    std::vector<std::string> env = {kDefaultPath, "HOSTNAME=" + spec.hostname};
    env = MergeEnv(env, Strings(ic.value("Env", Json())));
    if (spec.tty) env = MergeEnv(env, {"TERM=xterm"});
    in.env = MergeEnv(env, spec.env);
    in.cwd = !spec.working_dir.empty() ? spec.working_dir : ic.value("WorkingDir", std::string());
    if (in.cwd.empty()) in.cwd = "/";
    BERTH_ASSIGN_OR_RETURN(
        auto ids,
        ResolveUser(spec.user.empty() ? ic.value("User", std::string()) : spec.user, rootfs));
    in.uid = ids.first;
    in.gid = ids.second;
    in.rootfs = rootfs;
    in.hostname = spec.hostname;
    in.cgroups_path = opts_.cgroup_parent + "/" + id;
    std::string hosts = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n";
    std::string resolv = "nameserver 127.0.0.11\noptions ndots:0\n";
    if (spec.network_mode == "host") {
      in.netns_path = "host";
      auto h = ReadFile("/etc/resolv.conf");
      resolv = h.ok() ? *h : "";
    } else if (networks_ != nullptr && spec.network_mode != "none") {
      BERTH_ASSIGN_OR_RETURN(NetworkAttachment att, networks_->Attach(id, spec));
      in.netns_path = att.netns_path;
      netns = att.netns_path;
      for (const auto& ip : att.addresses) hosts += ip + "\t" + spec.hostname + "\n";
    }
    for (const auto& h : spec.extra_hosts) {  // NAME:ADDRESS, checked at create
      size_t colon = h.find(':');
      hosts += h.substr(colon + 1) + "\t" + h.substr(0, colon) + "\n";
    }
    BERTH_RETURN_IF_ERROR(WriteEphemeralFile(dir + "/hosts", hosts));
    BERTH_RETURN_IF_ERROR(WriteEphemeralFile(dir + "/hostname", spec.hostname + "\n"));
    BERTH_RETURN_IF_ERROR(WriteEphemeralFile(dir + "/resolv.conf", resolv));
    in.extra_mounts = {{dir + "/hosts", "/etc/hosts", false, ""},
                       {dir + "/hostname", "/etc/hostname", false, ""},
                       {dir + "/resolv.conf", "/etc/resolv.conf", false, ""}};
    for (const auto& m : spec.mounts) in.extra_mounts.push_back(m);
    BERTH_ASSIGN_OR_RETURN(Json config, BuildOciConfig(spec, in));
    return WriteEphemeralFile(dir + "/config.json", config.dump(), 0600);
  };

  UniqueFd out_r, err_r, pty, console;
  int pid = 0;
  Status st = prepare();
  if (st.ok()) {
    std::string sock = opts_.exec_root + "/" + id.substr(0, 12) + ".sock";
    std::vector<std::string> argv = {opts_.crun,   "--root", opts_.exec_root + "/crun",
                                     "run",        "-d",     "--pid-file",
                                     dir + "/pid", "-b",     dir};
    auto [o_r, o_w] = MakePipePair();
    auto [e_r, e_w] = MakePipePair();
    if (spec.tty) {
      auto l = ListenConsoleSocket(sock);
      st = l.status();
      if (l.ok()) console = std::move(*l);
      argv.insert(argv.end(), {"--console-socket", sock});
    }
    argv.push_back(id);
    if (st.ok()) {
      auto child = SpawnWithFds(argv, spec.tty ? -1 : stdin_r.get(), o_w.get(), e_w.get());
      o_w.Reset();
      e_w.Reset();
      st = child.status();
      if (st.ok()) {
        auto code = WaitExit(*child);
        st = code.status();
        if (st.ok() && *code != 0) {
          std::string msg = Drain(e_r.get());
          if (msg.empty()) msg = Drain(o_r.get());
          st = Status(Code::kInvalidArgument, StartError(msg, arg0));
        }
      }
    }
    if (st.ok() && spec.tty) {
      auto m = ReceivePtyMaster(console.get(), 5000);
      st = m.status();
      if (m.ok()) pty = std::move(*m);
      unlink(sock.c_str());
    }
    if (st.ok()) {
      auto p = ReadFile(dir + "/pid");
      if (!p.ok() || atoi(p->c_str()) <= 0)
        st = Internal("crun wrote no pid file for " + id);
      else
        pid = atoi(p->c_str());
    }
    out_r = std::move(o_r);
    err_r = std::move(e_r);
  }
  stdin_r.Reset();

  std::unique_ptr<PortProxy> proxy;
  if (st.ok() && !spec.ports.empty() && spec.network_mode != "host") {
    auto px = PortProxy::Start(pid, spec.ports);
    st = px.status();
    if (px.ok())
      proxy = std::move(*px);
    else
      ::kill(pid, SIGKILL), (void)WaitAdopted(pid);
  }
  lock.lock();
  c->starting = false;
  if (!st.ok()) {
    (void)Run({opts_.crun, "--root", opts_.exec_root + "/crun", "delete", "-f", id});
    (void)Unmount(rootfs);
    if (networks_ && !netns.empty()) networks_->Detach(id);
    c->rec.state.error = st.message();
    c->rec.state.exit_code =
        arg0.empty() ? 128 : (st.message().find("not found") != std::string::npos ? 127 : 126);
    c->stdin_w.Reset();
    for (auto& sink : c->attached) sink->Close();  // ends `docker run`'s attach stream
    c->attached.clear();
    c->exits++;
    (void)SaveStateLocked(*c);
    cv_.notify_all();
    if (c->rec.spec.auto_remove) std::thread([this, c] { (void)RemoveNow(c, true); }).detach();
    return st;
  }
  c->proxy = std::move(proxy);
  c->rec.state.state = RunState::kRunning;
  c->rec.state.pid = pid;
  c->rec.state.started_at = NowRfc3339();
  c->rec.state.error.clear();
  c->rec.state.exit_code = 0;
  if (spec.tty) {
    UniqueFd dup_fd(fcntl(pty.get(), F_DUPFD_CLOEXEC, 3));
    c->pump = std::make_shared<IoPump>(std::move(dup_fd), UniqueFd(), LogPath(id));
    c->pty = std::move(pty);
    if (!c->pending_input.empty()) {
      (void)!write(c->pty.get(), c->pending_input.data(), c->pending_input.size());
      c->pending_input.clear();
    }
  } else {
    c->pump = std::make_shared<IoPump>(std::move(out_r), std::move(err_r), LogPath(id));
  }
  for (auto& s : c->attached) c->pump->AddSinkLocked(s);
  c->attached.clear();
  c->pump->Start();
  (void)SaveStateLocked(*c);
  cv_.notify_all();
  events_.Publish("container", "start", id, {{"name", spec.name}, {"image", spec.image_ref}});
  std::thread([this, c, pid] { OnExit(c, pid); }).detach();
  return Status::Ok();
}

void ContainerManager::OnExit(std::shared_ptr<Live> c, int pid) {
  auto code = WaitAdopted(pid);
  std::shared_ptr<IoPump> pump;
  {
    std::lock_guard<std::mutex> lock(mu_);
    pump = c->pump;
  }
  if (pump) pump->Join();
  std::string id = c->rec.id;
  // What `crun delete` would do, without a crun process (a whole dynamic
  // program start per exit, costly in a TCG guest): the container's init is
  // gone, so its pid namespace and every process in it are too. A cgroup
  // still busy falls back to crun, in parallel: waiters need not wait for it.
  Result<int> deleter = Internal("not spawned");
  if (RemoveCgroup(opts_.cgroup_parent + "/" + id))
    (void)RemoveAll(opts_.exec_root + "/crun/" + id);
  else
    deleter = SpawnWithFds({opts_.crun, "--root", opts_.exec_root + "/crun", "delete", "-f", id},
                           -1, -1, -1);
  if (networks_) networks_->Detach(id);
  bool restart = false, remove = false;
  int delay_ms = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto& s = c->rec.state;
    s.state = RunState::kExited;
    s.exit_code = code.ok() ? *code : 255;
    s.pid = 0;
    s.finished_at = NowRfc3339();
    c->pump.reset();
    c->proxy.reset();
    c->pty.Reset();
    c->stdin_w.Reset();
    c->exits++;
    const auto& p = c->rec.spec.restart_policy;
    if (!shutting_down_ && !s.stopped_by_user && !c->removed) {
      restart = p == "always" || p == "unless-stopped" ||
                (p == "on-failure" && s.exit_code != 0 &&
                 (c->rec.spec.restart_max_retries == 0 ||
                  s.restart_count < c->rec.spec.restart_max_retries));
    }
    if (restart) {
      s.restart_count++;
      delay_ms = std::min(100 << std::min(s.restart_count - 1, 5), 2000);
    }
    remove = !restart && c->rec.spec.auto_remove && !c->removed;
    (void)SaveStateLocked(*c);
  }
  events_.Publish("container", "die", id,
                  {{"name", c->rec.spec.name},
                   {"image", c->rec.spec.image_ref},
                   {"exitCode", std::to_string(c->rec.state.exit_code)}});
  {
    std::lock_guard<std::mutex> lock(mu_);
    cv_.notify_all();
  }
  if (remove) {
    (void)RemoveNow(c, true);  // unmounts too, after waking the waiters
  } else {
    // After the waiters woke: the unmount is off their path. Under the lock,
    // so a restart cannot mount the next rootfs in between.
    std::lock_guard<std::mutex> lock(mu_);
    if (!c->starting && c->rec.state.state != RunState::kRunning)
      (void)Unmount(Dir(id) + "/rootfs");
  }
  if (deleter.ok()) (void)WaitExit(*deleter);
  if (restart) {
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    std::unique_lock<std::mutex> lock(mu_);
    if (!c->removed && !c->rec.state.stopped_by_user && c->rec.state.state != RunState::kRunning &&
        !c->starting) {
      Status st = StartLocked(c, lock);
      if (!st.ok()) c->rec.state.error = st.message();
    }
  }
}

Status ContainerManager::Kill(const std::string& ref, const std::string& signal) {
  BERTH_ASSIGN_OR_RETURN(int sig, SignalNumber(signal.empty() ? "KILL" : signal));
  std::lock_guard<std::mutex> lock(mu_);
  BERTH_ASSIGN_OR_RETURN(auto c, Find(ref));
  if (c->rec.state.state != RunState::kRunning || c->rec.state.pid <= 0)
    return FailedPrecondition("cannot kill container: " + ref + ": container " + c->rec.id +
                              " is not running");
  if (sig == SIGKILL || sig == SIGTERM) c->rec.state.stopped_by_user = true;
  if (::kill(c->rec.state.pid, sig) != 0) return ErrnoStatus("kill container " + ref, errno);
  events_.Publish("container", "kill", c->rec.id,
                  {{"name", c->rec.spec.name}, {"signal", std::to_string(sig)}});
  return Status::Ok();
}

Status ContainerManager::Stop(const std::string& ref, std::optional<int> timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  BERTH_ASSIGN_OR_RETURN(auto c, Find(ref));
  c->rec.state.stopped_by_user = true;
  if (c->rec.state.state != RunState::kRunning || c->rec.state.pid <= 0) {
    (void)SaveStateLocked(*c);
    return Status::Ok();
  }
  int pid = c->rec.state.pid;
  uint64_t exits = c->exits;
  int sig =
      SignalNumber(c->rec.spec.stop_signal).ok() ? *SignalNumber(c->rec.spec.stop_signal) : SIGTERM;
  int secs = timeout.value_or(c->rec.spec.stop_timeout);
  ::kill(pid, sig);
  if (!cv_.wait_for(lock, std::chrono::seconds(std::max(secs, 0)),
                    [&] { return c->exits > exits; })) {
    ::kill(pid, SIGKILL);
    cv_.wait_for(lock, std::chrono::seconds(30), [&] { return c->exits > exits; });
  }
  events_.Publish("container", "stop", c->rec.id, {{"name", c->rec.spec.name}});
  return Status::Ok();
}

Status ContainerManager::Restart(const std::string& ref, std::optional<int> timeout) {
  BERTH_RETURN_IF_ERROR(Stop(ref, timeout));
  std::unique_lock<std::mutex> lock(mu_);
  BERTH_ASSIGN_OR_RETURN(auto c, Find(ref));
  cv_.wait_for(lock, std::chrono::seconds(10),
               [&] { return c->rec.state.state != RunState::kRunning; });
  c->rec.state.stopped_by_user = false;
  if (c->rec.state.state == RunState::kRunning || c->starting) return Status::Ok();
  return StartLocked(c, lock);
}

}  // namespace berth::runtime
