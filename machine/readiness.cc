#include "machine/readiness.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "base/subprocess.h"
#include "machine/ssh.h"

namespace berth::machine {

size_t FileSize(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? static_cast<size_t>(st.st_size) : 0;
}

std::string TailLines(const std::string& path, int n) {
  std::ifstream f(path);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(f, line)) {
    while (!line.empty() && (line.back() == '\r')) line.pop_back();
    lines.push_back(line);
    if (static_cast<int>(lines.size()) > n) lines.erase(lines.begin());
  }
  std::string out;
  for (const auto& l : lines) out += "    " + l + "\n";
  return out;
}

namespace {

bool SerialHasMarker(const std::string& path, size_t offset) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  f.seekg(static_cast<std::streamoff>(offset));
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str().find(kReadyMarker) != std::string::npos;
}

}  // namespace

Status GuestReadiness::WaitReady(const MachineConfig& c, size_t serial_offset,
                                 std::chrono::seconds timeout, const ProgressFn& progress) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + timeout;
  const std::string serial = store_.PathOf(c.name, "serial.log");
  std::string waiting_for =
      "the guest's init to start (\"" + std::string(kReadyMarker) + "\" on the serial console)";
  if (progress) progress(c.name, "booting: waiting for the guest's init");
  bool booted = false;
  auto next_state_check = Clock::now();
  while (Clock::now() < deadline) {
    if (Clock::now() >= next_state_check) {
      auto st = driver_.State(c);
      if (st.ok() && (*st == MachineState::kStopped || *st == MachineState::kMissing ||
                      *st == MachineState::kError))
        return FailedPrecondition("machine '" + c.name + "' stopped while booting (state " +
                                  StateName(*st) + ") while berth waited for " + waiting_for +
                                  "; serial log: " + serial + "\n" + TailLines(serial, 15));
      next_state_check = Clock::now() + std::chrono::seconds(1);
    }
    if (!booted && SerialHasMarker(serial, serial_offset)) {
      booted = true;
      waiting_for = "SSH on " + SshEndpoint(c);
      if (progress) progress(c.name, "waiting for SSH on " + SshEndpoint(c));
    }
    if (booted) {
      RunOptions o;
      o.timeout = std::chrono::seconds(15);
      auto r = Run(SshArgv(store_, c, false, {"true"}), o);
      if (r.ok() && r->success()) return Status::Ok();
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      continue;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return DeadlineExceeded("machine '" + c.name + "' was not ready within " +
                          std::to_string(timeout.count()) + "s: berth waited for " + waiting_for +
                          ". Serial log: " + serial +
                          " (last lines below). Remove it with "
                          "`berth machine rm -f " +
                          c.name + "`.\n" + TailLines(serial, 15));
}

}  // namespace berth::machine
