// ContainerManager: exec sessions through `crun exec`.
#include <fcntl.h>
#include <unistd.h>

#include "base/file_util.h"
#include "base/subprocess.h"
#include "runtime/bundle.h"
#include "runtime/container_live.h"
#include "runtime/host_ops.h"

namespace berth::runtime {

Result<std::string> ContainerManager::ExecCreate(const std::string& ref, const ExecSpec& spec) {
  std::lock_guard<std::mutex> lock(mu_);
  BERTH_ASSIGN_OR_RETURN(auto c, Find(ref));
  if (c->rec.state.state != RunState::kRunning)
    return FailedPrecondition("container " + c->rec.id + " is not running");
  if (spec.cmd.empty()) return InvalidArgument("No exec command specified");
  auto e = std::make_shared<ExecSession>();
  e->id = NewId();
  e->container_id = c->rec.id;
  e->spec = spec;
  execs_[e->id] = e;
  events_.Publish("container", "exec_create: " + spec.cmd[0], c->rec.id, {{"execID", e->id}});
  return e->id;
}

Status ContainerManager::ExecStart(const std::string& exec_id, Conn* conn) {
  std::shared_ptr<ExecSession> e;
  ContainerRecord rec;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = execs_.find(exec_id);
    if (it == execs_.end()) return NotFound("No such exec instance: " + exec_id);
    e = it->second;
    if (e->started)
      return FailedPrecondition("Error: Exec command " + exec_id + " has already run");
    auto c = Find(e->container_id);
    if (!c.ok()) return c.status();
    rec = (*c)->rec;
    if (rec.state.state != RunState::kRunning)
      return FailedPrecondition("container " + rec.id + " is not running");
    e->started = e->running = true;
  }
  auto finish = [&](int code) {
    std::lock_guard<std::mutex> lock(mu_);
    e->running = false;
    e->has_exit = true;
    e->exit_code = code;
    e->pty.Reset();
  };
  std::string dir = Dir(rec.id);
  const ExecSpec& s = e->spec;
  auto ids = ResolveUser(s.user.empty() ? rec.spec.user : s.user, dir + "/rootfs");
  if (!ids.ok()) {
    finish(126);
    return ids.status();
  }
  auto cfg = ReadJsonFile(dir + "/config.json");
  if (!cfg.ok()) {
    finish(126);
    return cfg.status();
  }
  const Json& proc = (*cfg)["process"];
  std::vector<std::string> env = MergeEnv(proc.value("env", std::vector<std::string>{}), s.env);
  std::string cwd = s.working_dir.empty() ? proc.value("cwd", std::string("/")) : s.working_dir;
  std::vector<std::string> caps =
      proc["capabilities"].value("bounding", std::vector<std::string>{});
  Json p = BuildOciProcess(s.cmd, env, cwd, ids->first, ids->second, s.tty, caps);
  std::string pfile = dir + "/exec-" + e->id.substr(0, 12) + ".json";
  BERTH_RETURN_IF_ERROR(WriteEphemeralFile(pfile, p.dump(), 0600));
  std::vector<std::string> argv = {opts_.crun, "--root",    opts_.exec_root + "/crun",
                                   "exec",     "--process", pfile};
  std::string sock = opts_.exec_root + "/" + e->id.substr(0, 12) + ".sock";
  UniqueFd console;
  if (s.tty) {
    BERTH_ASSIGN_OR_RETURN(console, ListenConsoleSocket(sock));
    argv.insert(argv.end(), {"--console-socket", sock});
  }
  argv.push_back(rec.id);
  auto [in_r, in_w] = MakePipePair();
  auto [out_r, out_w] = MakePipePair();
  auto [err_r, err_w] = MakePipePair();
  auto child =
      SpawnWithFds(argv, s.attach_stdin && !s.tty ? in_r.get() : -1, out_w.get(), err_w.get());
  in_r.Reset();
  out_w.Reset();
  err_w.Reset();
  if (!child.ok()) {
    finish(126);
    return child.status();
  }
  std::shared_ptr<IoPump> pump;
  UniqueFd pty;
  if (s.tty) {
    auto m = ReceivePtyMaster(console.get(), 5000);
    unlink(sock.c_str());
    if (m.ok()) {
      pty = std::move(*m);
      UniqueFd dup_fd(fcntl(pty.get(), F_DUPFD_CLOEXEC, 3));
      pump = std::make_shared<IoPump>(std::move(dup_fd), std::move(err_r), "");
      std::lock_guard<std::mutex> lock(mu_);
      e->pty.Reset(fcntl(pty.get(), F_DUPFD_CLOEXEC, 3));
    }
  }
  if (!pump) pump = std::make_shared<IoPump>(std::move(out_r), std::move(err_r), "");
  auto [br, bw] = MakePipePair();
  if (conn) {
    pump->AddSink(std::make_shared<PipeSink>(std::move(bw), s.tty, s.attach_stdout || s.tty,
                                             s.attach_stderr || s.tty));
  }
  pump->Start();
  if (conn) {
    int input_fd = s.tty ? pty.get() : in_w.get();
    Bridge(
        *conn, br.get(),
        [&](const char* d, size_t n) {
          if (s.attach_stdin && input_fd >= 0) (void)!write(input_fd, d, n);
        },
        [&] {
          if (!s.tty) in_w.Reset();
        });
  }
  in_w.Reset();
  auto code = WaitExit(*child);
  pump->Join();
  pty.Reset();
  unlink(pfile.c_str());
  finish(code.ok() ? *code : 126);
  return Status::Ok();
}

Result<Json> ContainerManager::ExecInspect(const std::string& exec_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = execs_.find(exec_id);
  if (it == execs_.end()) return NotFound("No such exec instance: " + exec_id);
  const auto& e = *it->second;
  Json exit_code = e.has_exit ? Json(e.exit_code) : Json(nullptr);
  Json args = Json::array();
  for (size_t i = 1; i < e.spec.cmd.size(); ++i) args.push_back(e.spec.cmd[i]);
  return Json{{"ID", e.id},
              {"Running", e.running},
              {"ExitCode", exit_code},
              {"ContainerID", e.container_id},
              {"OpenStdin", e.spec.attach_stdin},
              {"OpenStdout", e.spec.attach_stdout},
              {"OpenStderr", e.spec.attach_stderr},
              {"ProcessConfig",
               {{"tty", e.spec.tty},
                {"entrypoint", e.spec.cmd[0]},
                {"arguments", args},
                {"privileged", false},
                {"user", e.spec.user}}},
              {"Pid", e.pid}};
}

Status ContainerManager::ExecResize(const std::string& exec_id, int rows, int cols) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = execs_.find(exec_id);
  if (it == execs_.end()) return NotFound("No such exec instance: " + exec_id);
  if (it->second->pty) ResizePty(it->second->pty.get(), rows, cols);
  return Status::Ok();
}

}  // namespace berth::runtime
