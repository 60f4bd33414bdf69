// The engine's OS effects that are not plain files: overlay mounts, spawning
// crun with chosen stdio, receiving a pty master over a unix socket, signals.
#pragma once

#include <string>
#include <vector>

#include "base/fd.h"
#include "base/status.h"

namespace berth::runtime {

// Mounts an overlay at `target` with `lowers` (topmost first). `volatile_upper`
// (for throw-away containers) skips every sync of the upper layer, above all
// the whole-filesystem sync overlayfs does at unmount; kernels without the
// option (before 5.10) get a plain mount.
Status MountOverlay(const std::vector<std::string>& lowers, const std::string& upper,
                    const std::string& work, const std::string& target,
                    bool volatile_upper = false);
// Lazily unmounts `target`; ok when nothing is mounted there.
Status Unmount(const std::string& target);

// Makes this process a private mount namespace and, on hosts with cgroup v1
// controllers plus a cgroup2 "unified" mount (hybrid mode, which crun
// refuses), hides the unified mount inside that namespace. Call before any
// thread starts. Mounts berthd makes vanish with the process.
Status PrivatizeMounts();

// Makes a read-only bind mount of the OCI runtime binary `runtime` (a path,
// or a name looked up in PATH) at dir/crun, for berthd's private mount
// namespace, and sets _LIBCONTAINER_CLONED_BINARY=1 for its children. crun
// (like runc) otherwise copies and re-executes itself at every call, so that
// a container cannot overwrite the host's binary through /proc/PID/exe
// (CVE-2019-5736); a binary on a read-only mount is safe as it is, and crun
// skips the copy: one load instead of two per container start (about 50 ms
// on a TCG guest). Returns the path to run. Call before any thread starts
// (setenv), and only inside PrivatizeMounts' namespace.
Result<std::string> PinReadOnlyRuntime(const std::string& runtime, const std::string& dir);

// Writes a file berthd regenerates at every container start (config.json,
// hosts, resolv.conf): temp file + rename, so readers never see half a file,
// but no fsync (a crash loses nothing that is not rebuilt anyway).
Status WriteEphemeralFile(const std::string& path, const std::string& data, mode_t mode = 0644);

// Starts `argv` with the given fds as its stdin/stdout/stderr (-1: /dev/null)
// and returns its pid. The caller waits for it.
Result<int> SpawnWithFds(const std::vector<std::string>& argv, int in, int out, int err);

// Waits for child `pid`; returns its exit code (128+signal when killed).
Result<int> WaitExit(int pid);

// Waits for a process that becomes berthd's child only once crun's helper
// processes exit (berthd is their subreaper): retries while the process exists
// but is not a child yet, then waits as WaitExit does.
Result<int> WaitAdopted(int pid);

// A listening unix socket at `path` for crun's --console-socket.
Result<UniqueFd> ListenConsoleSocket(const std::string& path);
// Accepts one connection on `listener` and receives the pty master crun sends.
// Gives up after `timeout_ms`.
Result<UniqueFd> ReceivePtyMaster(int listener, int timeout_ms);
// Sets a pty's window size.
void ResizePty(int fd, int rows, int cols);

// "SIGTERM", "TERM", "15" -> 15.
Result<int> SignalNumber(const std::string& name);

std::pair<UniqueFd, UniqueFd> MakePipePair();  // {read, write}, O_CLOEXEC

}  // namespace berth::runtime
