// ContainerManager: the lifecycle of containers (create, start through crun,
// stop, kill, wait, remove), their stdio (attach, logs), exec sessions, and
// their state on disk under ROOT/containers/ID/. Thread-safe: one mutex
// guards the table and every record; slow work (crun, waits, I/O) runs
// without it.
//
// berthd is a child subreaper: `crun run -d` exits once the container runs,
// the container's init is re-parented to berthd, and a waiter thread per
// container collects its exit status.
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/fd.h"
#include "runtime/api_types.h"
#include "runtime/container.h"
#include "runtime/events.h"
#include "runtime/image_store.h"
#include "runtime/io_pump.h"

namespace berth::runtime {

class VolumeStore;
class NetworkManager;

struct ManagerOptions {
  std::string root;       // engine state root
  std::string exec_root;  // short path for sockets and crun state
  std::string crun = "crun";
  std::string cgroup_parent = "/berth";
};

struct AttachOptions {
  bool stdin = false, stdout = false, stderr = false, logs = false, stream = true;
};

struct LogsOptions {
  bool stdout = true, stderr = true, follow = false, timestamps = false;
  int tail = -1;  // -1: all
};

struct ExecSpec {
  std::vector<std::string> cmd, env;
  std::string user, working_dir;
  bool tty = false, attach_stdin = false, attach_stdout = true, attach_stderr = true;
};

class ContainerManager {
 public:
  ContainerManager(ManagerOptions opts, ImageStore& images, EventBus& events, VolumeStore& volumes,
                   NetworkManager* networks);
  ~ContainerManager();
  // Loads stored containers; ones that were running when berthd stopped are
  // marked exited (their processes are gone with the old engine).
  Status Load();
  // Starts, after Load, what Docker's daemon starts when it comes up: every
  // container with restart policy "always", "unless-stopped" (unless a user
  // stopped it) or "on-failure" (when it was running as the engine went
  // down). Failures are reported per container and skipped.
  std::vector<std::pair<std::string, Status>> StartByRestartPolicy();
  // Stops every running container (berthd shutdown).
  void Shutdown();

  Result<std::string> Create(ContainerSpec spec);
  Status Start(const std::string& ref);
  Status Stop(const std::string& ref, std::optional<int> timeout);
  Status Kill(const std::string& ref, const std::string& signal);
  Status Restart(const std::string& ref, std::optional<int> timeout);
  Status Remove(const std::string& ref, bool force, bool volumes);
  Status Rename(const std::string& ref, const std::string& new_name);
  // Waits per Docker's condition: "not-running" (default), "next-exit", "removed".
  Result<int> Wait(const std::string& ref, const std::string& condition);
  // Validates a wait request (the container exists) before the wait blocks.
  Result<std::string> ResolveId(const std::string& ref);

  // docker network connect/disconnect: updates the container's endpoints
  // and, while it runs, its live network interfaces and DNS names.
  Status ConnectNetwork(const std::string& ref, EndpointSpec endpoint);
  Status DisconnectNetwork(const std::string& ref, const std::string& network);

  Result<ContainerRecord> Get(const std::string& ref);
  std::vector<ContainerRecord> List();
  bool ImageInUse(const std::string& image_id);
  std::string LogPath(const std::string& id) const;

  // Serves an attach session on `conn` until the container's output ends.
  Status Attach(const std::string& ref, const AttachOptions& opts, Conn& conn);
  Status Logs(const std::string& ref, const LogsOptions& opts, Conn& conn);
  Status Resize(const std::string& ref, int rows, int cols);
  Result<Json> Top(const std::string& ref);
  Result<Json> Stats(const std::string& ref);

  Result<std::string> ExecCreate(const std::string& ref, const ExecSpec& spec);
  // Runs the exec; with `conn`, bridges its stdio to the client (hijacked).
  Status ExecStart(const std::string& exec_id, Conn* conn);
  Result<Json> ExecInspect(const std::string& exec_id);
  Status ExecResize(const std::string& exec_id, int rows, int cols);

 private:
  struct Live;
  struct ExecSession;
  Result<std::shared_ptr<Live>> Find(const std::string& ref);
  // Writes c's record durably (temp file, fsync, rename, fsync folder): for
  // creation and configuration changes. Auto-remove (--rm) containers are
  // written as SaveStateLocked does: they do not outlive a crash anyway.
  Status SaveLocked(const Live& c);
  // Writes a run-state transition (start, exit, stop): atomic (temp file +
  // rename, readers never see half a file) but not fsync'd, to keep the
  // disk flush off the start/wait path. A crash may lose the last
  // transition; Load() treats such a container as having died with the
  // engine (exit code 255), as it does for every container running then.
  Status SaveStateLocked(const Live& c);
  Status StartLocked(std::shared_ptr<Live> c, std::unique_lock<std::mutex>& lock);
  void OnExit(std::shared_ptr<Live> c, int pid);
  Status RemoveNow(std::shared_ptr<Live> c, bool volumes);
  Result<Json> ContainerCgroupStats(const std::string& id);
  std::string Dir(const std::string& id) const { return opts_.root + "/containers/" + id; }

  ManagerOptions opts_;
  ImageStore& images_;
  EventBus& events_;
  VolumeStore& volumes_;
  NetworkManager* networks_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::shared_ptr<Live>> containers_;
  std::map<std::string, std::shared_ptr<ExecSession>> execs_;
  bool shutting_down_ = false;
  std::vector<std::string> boot_starts_;  // Load's picks for StartByRestartPolicy
};

}  // namespace berth::runtime
