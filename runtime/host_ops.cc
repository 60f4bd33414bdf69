#include "runtime/host_ops.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/file_util.h"
#include "base/subprocess.h"

namespace berth::runtime {

Status MountOverlay(const std::vector<std::string>& lowers, const std::string& upper,
                    const std::string& work, const std::string& target, bool volatile_upper) {
  std::string lower;
  for (const auto& l : lowers) lower += (lower.empty() ? "" : ":") + l;
  std::string opts = "lowerdir=" + lower + ",upperdir=" + upper + ",workdir=" + work;
  if (volatile_upper &&
      mount("overlay", target.c_str(), "overlay", 0, (opts + ",volatile").c_str()) == 0)
    return Status::Ok();
  if (mount("overlay", target.c_str(), "overlay", 0, opts.c_str()) != 0)
    return ErrnoStatus("mount overlay at " + target, errno);
  return Status::Ok();
}

Status Unmount(const std::string& target) {
  if (umount2(target.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT)
    return ErrnoStatus("unmount " + target, errno);
  return Status::Ok();
}

Status PrivatizeMounts() {
  if (unshare(CLONE_NEWNS) != 0) return ErrnoStatus("unshare mount namespace", errno);
  if (mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    return ErrnoStatus("make / private", errno);
  struct stat st;
  bool v1 = stat("/sys/fs/cgroup/memory", &st) == 0 || stat("/sys/fs/cgroup/cpu", &st) == 0;
  if (v1 && PathExists("/sys/fs/cgroup/unified/cgroup.controllers"))
    umount2("/sys/fs/cgroup/unified", MNT_DETACH);
  return Status::Ok();
}

Result<std::string> PinReadOnlyRuntime(const std::string& runtime, const std::string& dir) {
  const std::string source = FindProgram(runtime);
  if (source.empty()) return NotFound("OCI runtime '" + runtime + "' is not in PATH");
  BERTH_RETURN_IF_ERROR(MakeDirs(dir, 0700));
  const std::string target = dir + "/crun";
  (void)Unmount(target);  // a pin left by an earlier berthd in this namespace
  {
    UniqueFd fd(open(target.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0500));
    if (!fd) return ErrnoStatus("create " + target, errno);
  }
  if (mount(source.c_str(), target.c_str(), nullptr, MS_BIND, nullptr) != 0)
    return ErrnoStatus("bind " + source + " at " + target, errno);
  if (mount(nullptr, target.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) != 0) {
    Status s = ErrnoStatus("make " + target + " read-only", errno);
    (void)Unmount(target);
    return s;
  }
  if (setenv("_LIBCONTAINER_CLONED_BINARY", "1", 1) != 0)
    return ErrnoStatus("setenv _LIBCONTAINER_CLONED_BINARY", errno);
  return target;
}

Status WriteEphemeralFile(const std::string& path, const std::string& data, mode_t mode) {
  std::string tmp = path + ".tmp";
  UniqueFd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd) return ErrnoStatus("create " + tmp, errno);
  size_t off = 0;
  while (off < data.size()) {
    ssize_t w = write(fd.get(), data.data() + off, data.size() - off);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return ErrnoStatus("write " + tmp, errno);
    off += w;
  }
  fd.Reset();
  if (rename(tmp.c_str(), path.c_str()) != 0) return ErrnoStatus("rename " + tmp, errno);
  return Status::Ok();
}

Result<int> SpawnWithFds(const std::vector<std::string>& argv, int in, int out, int err) {
  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  // posix_spawn: glibc runs the child with CLONE_VM|CLONE_VFORK, so berthd's
  // page tables are not copied for a child that only execs (a fork of the
  // multi-threaded berthd, and the copy-on-write faults after it, cost
  // milliseconds per container start in a TCG guest).
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  int fds[3] = {in, out, err};
  for (int i = 0; i < 3; ++i) {
    if (fds[i] < 0)
      posix_spawn_file_actions_addopen(&actions, i, "/dev/null", O_RDWR, 0);
    else if (fds[i] < 3)  // a source 0..2 could be overwritten by an earlier dup2
      fds[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
  }
  for (int i = 0; i < 3; ++i)
    if (fds[i] >= 0) posix_spawn_file_actions_adddup2(&actions, fds[i], i);
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, pipe;
  sigemptyset(&none);
  sigemptyset(&pipe);
  sigaddset(&pipe, SIGPIPE);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &pipe);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, cargv[0], &actions, &attr, cargv.data(), environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  for (int i = 0; i < 3; ++i)
    if (fds[i] >= 3 && fds[i] != in && fds[i] != out && fds[i] != err) close(fds[i]);
  if (rc != 0) return ErrnoStatus("start " + argv[0], rc);
  return pid;
}

Result<int> WaitExit(int pid) {
  int status = 0;
  for (;;) {
    if (waitpid(pid, &status, 0) >= 0) break;
    if (errno != EINTR) return ErrnoStatus("wait for process " + std::to_string(pid), errno);
  }
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

Result<int> WaitAdopted(int pid) {
  for (int tries = 0; tries < 2000; ++tries) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
    if (r == 0) return WaitExit(pid);  // our child now, still running
    if (errno == EINTR) continue;
    if (errno != ECHILD) return ErrnoStatus("wait for process " + std::to_string(pid), errno);
    if (kill(pid, 0) != 0 && errno == ESRCH) break;  // gone, and never ours
    usleep(5000);
  }
  return ErrnoStatus("wait for process " + std::to_string(pid), ECHILD);
}

Result<UniqueFd> ListenConsoleSocket(const std::string& path) {
  UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return ErrnoStatus("socket", errno);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) return InvalidArgument("socket path too long: " + path);
  strcpy(addr.sun_path, path.c_str());
  unlink(path.c_str());
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0)
    return ErrnoStatus("bind " + path, errno);
  if (listen(fd.get(), 1) != 0) return ErrnoStatus("listen " + path, errno);
  return fd;
}

Result<UniqueFd> ReceivePtyMaster(int listener, int timeout_ms) {
  pollfd p{listener, POLLIN, 0};
  int r = poll(&p, 1, timeout_ms);
  if (r <= 0) return DeadlineExceeded("crun did not send the terminal");
  UniqueFd conn(accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
  if (!conn) return ErrnoStatus("accept console socket", errno);
  char data[256];
  char control[CMSG_SPACE(sizeof(int))];
  iovec iov{data, sizeof(data)};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  if (recvmsg(conn.get(), &msg, MSG_CMSG_CLOEXEC) < 0)
    return ErrnoStatus("receive terminal", errno);
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      int fd;
      memcpy(&fd, CMSG_DATA(c), sizeof(int));
      return UniqueFd(fd);
    }
  }
  return Internal("crun sent no terminal fd");
}

void ResizePty(int fd, int rows, int cols) {
  struct winsize ws {};
  ws.ws_row = static_cast<unsigned short>(rows);
  ws.ws_col = static_cast<unsigned short>(cols);
  ioctl(fd, TIOCSWINSZ, &ws);
}

namespace {
struct SignalName {
  const char* name;
  int number;
};
constexpr SignalName kSignals[] = {
    {"HUP", SIGHUP},       {"INT", SIGINT},   {"QUIT", SIGQUIT},   {"ILL", SIGILL},
    {"TRAP", SIGTRAP},     {"ABRT", SIGABRT}, {"BUS", SIGBUS},     {"FPE", SIGFPE},
    {"KILL", SIGKILL},     {"USR1", SIGUSR1}, {"SEGV", SIGSEGV},   {"USR2", SIGUSR2},
    {"PIPE", SIGPIPE},     {"ALRM", SIGALRM}, {"TERM", SIGTERM},   {"CHLD", SIGCHLD},
    {"CONT", SIGCONT},     {"STOP", SIGSTOP}, {"TSTP", SIGTSTP},   {"TTIN", SIGTTIN},
    {"TTOU", SIGTTOU},     {"URG", SIGURG},   {"XCPU", SIGXCPU},   {"XFSZ", SIGXFSZ},
    {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO},
    {"PWR", SIGPWR},       {"SYS", SIGSYS},
};
}  // namespace

Result<int> SignalNumber(const std::string& name) {
  if (!name.empty() && name.find_first_not_of("0123456789") == std::string::npos) {
    int n = std::stoi(name);
    if (n > 0 && n < 65) return n;
  }
  std::string n = name;
  for (auto& c : n) c = static_cast<char>(toupper(c));
  if (n.rfind("SIG", 0) == 0) n = n.substr(3);
  for (const auto& s : kSignals)
    if (n == s.name) return s.number;
  return InvalidArgument("invalid signal: " + name);
}

std::pair<UniqueFd, UniqueFd> MakePipePair() {
  int p[2] = {-1, -1};
  if (pipe2(p, O_CLOEXEC) != 0) return {};
  return {UniqueFd(p[0]), UniqueFd(p[1])};
}

}  // namespace berth::runtime
