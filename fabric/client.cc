#include "fabric/client.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "base/fd.h"
#include "base/file_util.h"
#include "base/subprocess.h"
#include "fabric/state.h"

namespace berth::fabric {
namespace {

using Clock = std::chrono::steady_clock;

std::string DirName(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

// Binds UDP port 0 on `host` to learn a free port. The fabric binds it right
// after; a collision in between only makes its start fail with a clear error.
Result<int> FreeUdpPort(const std::string& host) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1)
    return InvalidArgument("host '" + host + "' is not an IPv4 address");
  UniqueFd fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd) return ErrnoStatus("socket", errno);
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    return ErrnoStatus("bind UDP " + host + ":0", errno);
  socklen_t len = sizeof addr;
  getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len);
  return static_cast<int>(ntohs(addr.sin_port));
}

NetworkInfo InfoOf(const FabricState& s) { return NetworkInfo{s.name, s.subnet, s.host, s.port}; }

// Waits until `pid` is gone (reaping it when it is our child).
bool WaitGone(int pid, const std::string& pid_file, std::chrono::milliseconds limit) {
  auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    waitpid(pid, nullptr, WNOHANG);
    if (!LivePid(pid_file)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

}  // namespace

std::string FindFabricBinary() {
  if (const char* env = std::getenv("BERTH_FABRIC_BINARY"); env && *env) return env;
  char self[4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    self[n] = 0;
    std::string dir = DirName(self);
    for (const std::string& cand : {dir + "/berth-fabric", dir + "/../fabric/berth-fabric"})
      if (access(cand.c_str(), X_OK) == 0) return cand;
  }
  return FindProgram("berth-fabric");
}

Result<Json> CallSocket(const std::string& socket_path, const Json& request) {
  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof un.sun_path)
    return InvalidArgument("control socket path too long: " + socket_path);
  std::strcpy(un.sun_path, socket_path.c_str());
  UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return ErrnoStatus("socket", errno);
  timeval tv{10, 0};
  setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&un), sizeof un) != 0)
    return Status(Code::kUnavailable, "connect " + socket_path + ": " + std::strerror(errno));
  std::string out = request.dump() + "\n";
  if (send(fd.get(), out.data(), out.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(out.size()))
    return ErrnoStatus("send to " + socket_path, errno);
  std::string in;
  char buf[65536];
  while (in.find('\n') == std::string::npos) {
    ssize_t r = recv(fd.get(), buf, sizeof buf, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return ErrnoStatus("read reply from " + socket_path, errno);
    if (r == 0) break;
    in.append(buf, r);
  }
  BERTH_ASSIGN_OR_RETURN(Json reply, ParseJson(in, "reply from " + socket_path));
  if (!reply.is_object()) return Internal("malformed reply from " + socket_path);
  if (!reply.value("ok", false)) {
    std::string code = reply.value("code", "");
    Code c = Code::kInternal;
    for (Code k : {Code::kInvalidArgument, Code::kNotFound, Code::kAlreadyExists,
                   Code::kFailedPrecondition, Code::kUnavailable})
      if (code == CodeName(k)) c = k;
    return Status(c, reply.value("error", std::string("fabric error")));
  }
  return reply;
}

Result<Json> Call(const std::string& home, const std::string& network, const Json& request) {
  BERTH_RETURN_IF_ERROR(ValidateNetworkName(network));
  auto r = CallSocket(PathsFor(home, network).socket, request);
  if (!r.ok() && r.status().code() == Code::kUnavailable)
    return Unavailable("network '" + network + "' is not running (" + r.status().message() + ")");
  return r;
}

bool IsRunning(const std::string& home, const std::string& network) {
  return LivePid(PathsFor(home, network).pid).has_value();
}

std::vector<std::string> ListNetworks(const std::string& home) {
  std::vector<std::string> names;
  DIR* d = opendir((home + "/networks").c_str());
  if (!d) return names;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != ".." && PathExists(PathsFor(home, n).state)) names.push_back(n);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

Result<NetworkInfo> EnsureNetwork(const std::string& home, const std::string& network) {
  BERTH_RETURN_IF_ERROR(ValidateNetworkName(network));
  std::string ctx = "start network '" + network + "'";
  NetworkPaths p = PathsFor(home, network);
  BERTH_RETURN_IF_ERROR(MakeDirs(p.dir));
  BERTH_ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(p.lock));

  FabricState state;
  if (PathExists(p.state)) {
    BERTH_ASSIGN_OR_RETURN(state, LoadState(p.state));
  } else {
    state.name = network;
  }
  if (state.port == 0) {
    auto port = FreeUdpPort(state.host);
    if (!port.ok()) return port.status().WithContext(ctx);
    state.port = *port;
    BERTH_RETURN_IF_ERROR(SaveState(p.state, state));
  }
  if (LivePid(p.pid) && CallSocket(p.socket, Json{{"op", "ping"}}).ok()) return InfoOf(state);

  std::string binary = FindFabricBinary();
  if (binary.empty())
    return NotFound(ctx + ": berth-fabric not found (next to berth, in ../fabric/ or in PATH)");
  if (auto old = LivePid(p.pid)) {  // alive but not answering: replace it
    kill(*old, SIGKILL);
    WaitGone(*old, p.pid, std::chrono::milliseconds(2000));
  }
  BERTH_ASSIGN_OR_RETURN(int pid,
                         SpawnDetached({binary, "--home", home, "--network", network}, p.log));
  auto deadline = Clock::now() + std::chrono::seconds(5);
  while (Clock::now() < deadline) {
    if (CallSocket(p.socket, Json{{"op", "ping"}}).ok()) {
      BERTH_ASSIGN_OR_RETURN(state, LoadState(p.state));
      return InfoOf(state);
    }
    if (waitpid(pid, nullptr, WNOHANG) == pid) break;  // it exited: see its log
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::string log;
  if (auto text = ReadFile(p.log); text.ok()) {
    log = *text;
    if (log.size() > 600) log = log.substr(log.size() - 600);
    while (!log.empty() && log.back() == '\n') log.pop_back();
  }
  return Unavailable(ctx + ": berth-fabric did not answer within 5 s" +
                     (log.empty() ? "" : "; its log " + p.log + " ends with: " + log));
}

Status Attach(const std::string& home, const std::string& network, const Endpoint& ep) {
  std::string ctx = "attach machine '" + ep.machine + "' to network '" + network + "'";
  auto info = EnsureNetwork(home, network);
  if (!info.ok()) return info.status().WithContext(ctx);
  auto r = Call(home, network,
                Json{{"op", "attach"},
                     {"machine", ep.machine},
                     {"host", ep.host},
                     {"port", ep.port},
                     {"mac", ep.mac},
                     {"address", ep.address}});
  return r.status();
}

Status Detach(const std::string& home, const std::string& network, const std::string& machine) {
  BERTH_RETURN_IF_ERROR(ValidateNetworkName(network));
  NetworkPaths p = PathsFor(home, network);
  if (!PathExists(p.state)) return Status::Ok();
  BERTH_ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(p.lock));
  if (LivePid(p.pid))
    return Call(home, network, Json{{"op", "detach"}, {"machine", machine}}).status();
  BERTH_ASSIGN_OR_RETURN(FabricState state, LoadState(p.state));
  if (!state.RemoveMachine(machine)) return Status::Ok();
  return SaveState(p.state, state);
}

Status StopNetwork(const std::string& home, const std::string& network) {
  BERTH_RETURN_IF_ERROR(ValidateNetworkName(network));
  NetworkPaths p = PathsFor(home, network);
  auto pid = LivePid(p.pid);
  if (!pid) return Status::Ok();
  kill(*pid, SIGTERM);
  if (WaitGone(*pid, p.pid, std::chrono::seconds(3))) return Status::Ok();
  kill(*pid, SIGKILL);
  if (WaitGone(*pid, p.pid, std::chrono::seconds(2))) {
    unlink(p.pid.c_str());
    return Status::Ok();
  }
  return Internal("stop network '" + network + "': process " + std::to_string(*pid) +
                  " did not exit");
}

}  // namespace berth::fabric
