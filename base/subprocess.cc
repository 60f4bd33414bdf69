#include "base/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "base/fd.h"

extern char** environ;

namespace berth {
namespace {

Result<std::pair<UniqueFd, UniqueFd>> MakePipe() {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return ErrnoStatus("pipe", errno);
  return std::make_pair(UniqueFd(p[0]), UniqueFd(p[1]));
}

std::vector<std::string> BuildEnv(const std::map<std::string, std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string kv(*e);
    auto name = kv.substr(0, kv.find('='));
    if (!extra.count(name)) env.push_back(kv);
  }
  for (const auto& [k, v] : extra) env.push_back(k + "=" + v);
  return env;
}

std::vector<char*> CStrings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

std::string FindProgram(const std::string& name) {
  if (name.find('/') != std::string::npos) return access(name.c_str(), X_OK) == 0 ? name : "";
  const char* path = getenv("PATH");
  std::string p = path ? path : "/usr/local/bin:/usr/bin:/bin";
  p += ":/usr/sbin:/sbin";
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = p.find(':', start);
    if (end == std::string::npos) end = p.size();
    std::string cand = p.substr(start, end - start) + "/" + name;
    if (end > start && access(cand.c_str(), X_OK) == 0) return cand;
    start = end + 1;
  }
  return "";
}

std::string ShellQuote(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                        "0123456789_-./:=@,+%") == std::string::npos)
    return s;
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

std::string ShellJoin(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    out += ShellQuote(a);
  }
  return out;
}

Result<RunResult> Run(const std::vector<std::string>& argv, const RunOptions& options) {
  if (argv.empty()) return InvalidArgument("run: empty command");
  std::string exe = FindProgram(argv[0]);
  if (exe.empty()) return NotFound("run " + argv[0] + ": program not found in PATH");

  BERTH_ASSIGN_OR_RETURN(auto in_pipe, MakePipe());
  BERTH_ASSIGN_OR_RETURN(auto out_pipe, MakePipe());
  BERTH_ASSIGN_OR_RETURN(auto err_pipe, MakePipe());

  std::vector<std::string> args = argv;
  std::vector<char*> cargs = CStrings(args);
  std::vector<std::string> envs = BuildEnv(options.env);
  std::vector<char*> cenv = CStrings(envs);

  pid_t pid = fork();
  if (pid < 0) return ErrnoStatus("fork", errno);
  if (pid == 0) {
    dup2(in_pipe.first.get(), 0);
    if (options.capture_output) {
      dup2(out_pipe.second.get(), 1);
      dup2(options.merge_stderr ? out_pipe.second.get() : err_pipe.second.get(), 2);
    }
    if (!options.cwd.empty() && chdir(options.cwd.c_str()) != 0) _exit(127);
    signal(SIGPIPE, SIG_DFL);
    execve(exe.c_str(), cargs.data(), cenv.data());
    _exit(127);
  }
  in_pipe.first.Reset();
  out_pipe.second.Reset();
  err_pipe.second.Reset();

  RunResult result;
  auto deadline = options.timeout ? std::chrono::steady_clock::now() + *options.timeout
                                  : std::chrono::steady_clock::time_point::max();
  size_t written = 0;
  if (options.stdin_data.empty()) in_pipe.second.Reset();
  else fcntl(in_pipe.second.get(), F_SETFL, O_NONBLOCK);

  while (in_pipe.second.valid() || out_pipe.first.valid() || err_pipe.first.valid()) {
    std::vector<pollfd> fds;
    if (in_pipe.second.valid()) fds.push_back({in_pipe.second.get(), POLLOUT, 0});
    if (out_pipe.first.valid()) fds.push_back({out_pipe.first.get(), POLLIN, 0});
    if (err_pipe.first.valid()) fds.push_back({err_pipe.first.get(), POLLIN, 0});
    int wait_ms = -1;
    if (options.timeout) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        kill(pid, SIGKILL);
        result.timed_out = true;
        break;
      }
      wait_ms = static_cast<int>(left.count());
    }
    int n = poll(fds.data(), fds.size(), wait_ms);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    for (auto& p : fds) {
      if (!p.revents) continue;
      if (p.fd == in_pipe.second.get()) {
        ssize_t w = write(p.fd, options.stdin_data.data() + written,
                          options.stdin_data.size() - written);
        if (w > 0) written += w;
        if (w < 0 && errno != EAGAIN) in_pipe.second.Reset();
        if (written >= options.stdin_data.size()) in_pipe.second.Reset();
        continue;
      }
      char buf[65536];
      ssize_t r = read(p.fd, buf, sizeof buf);
      if (r <= 0) {
        if (p.fd == out_pipe.first.get()) out_pipe.first.Reset();
        else err_pipe.first.Reset();
        continue;
      }
      (p.fd == out_pipe.first.get() ? result.out : result.err).append(buf, r);
    }
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  return result;
}

Result<std::string> RunChecked(const std::vector<std::string>& argv, const RunOptions& options) {
  BERTH_ASSIGN_OR_RETURN(RunResult r, Run(argv, options));
  if (r.timed_out)
    return DeadlineExceeded("'" + ShellJoin(argv) + "' did not finish in time");
  if (!r.success()) {
    std::string err = r.err.empty() ? r.out : r.err;
    while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) err.pop_back();
    return Status(Code::kIo, "'" + ShellJoin(argv) + "' failed (exit " +
                                 std::to_string(r.exit_code) + ")" +
                                 (err.empty() ? "" : ": " + err));
  }
  return std::move(r.out);
}

Result<int> SpawnDetached(const std::vector<std::string>& argv, const std::string& log_path) {
  if (argv.empty()) return InvalidArgument("spawn: empty command");
  std::string exe = FindProgram(argv[0]);
  if (exe.empty()) return NotFound("spawn " + argv[0] + ": program not found");
  std::vector<std::string> args = argv;
  std::vector<char*> cargs = CStrings(args);
  BERTH_ASSIGN_OR_RETURN(auto sync, MakePipe());
  pid_t pid = fork();
  if (pid < 0) return ErrnoStatus("fork", errno);
  if (pid == 0) {
    setsid();
    int devnull = open("/dev/null", O_RDWR);
    int out = log_path.empty() ? devnull
                               : open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(devnull, 0);
    dup2(out, 1);
    dup2(out, 2);
    signal(SIGPIPE, SIG_DFL);
    signal(SIGINT, SIG_IGN);
    execv(exe.c_str(), cargs.data());
    int e = errno;
    (void)!write(sync.second.get(), &e, sizeof e);
    _exit(127);
  }
  sync.second.Reset();
  int e = 0;
  if (read(sync.first.get(), &e, sizeof e) == sizeof e)
    return ErrnoStatus("exec " + exe, e);
  return static_cast<int>(pid);
}

}  // namespace berth
