#include "machine/libvirt_driver.h"

#include <unistd.h>

#include <thread>

#include "base/file_util.h"
#include "base/subprocess.h"
#include "machine/domain_xml.h"

namespace berth::machine {

const char* StateName(MachineState state) {
  switch (state) {
    case MachineState::kRunning:
      return "Running";
    case MachineState::kPaused:
      return "Paused";
    case MachineState::kStopping:
      return "Stopping";
    case MachineState::kStopped:
      return "Stopped";
    case MachineState::kError:
      return "Error";
    case MachineState::kMissing:
      return "Missing";
  }
  return "Error";
}

std::string SshEndpoint(const MachineConfig& c) {
  return c.host + ":" + std::to_string(c.ssh_port);
}

std::string EngineUrl(const MachineConfig& c) {
  return "tcp://" + c.host + ":" + std::to_string(c.engine_port);
}

MachineState MapDomainState(DomainState state) {
  switch (state) {
    case DomainState::kRunning:
      return MachineState::kRunning;
    case DomainState::kPaused:
      return MachineState::kPaused;
    case DomainState::kShuttingDown:
      return MachineState::kStopping;
    case DomainState::kShutOff:
      return MachineState::kStopped;
    case DomainState::kCrashed:
    case DomainState::kOther:
      return MachineState::kError;
  }
  return MachineState::kError;
}

LibvirtDriver::LibvirtDriver(Hypervisor& hypervisor, const Store& store, HypervisorFactory factory)
    : hv_(hypervisor), store_(store), factory_(std::move(factory)) {}

Hypervisor& LibvirtDriver::Hv(const MachineConfig& c) const {
  if (!factory_ || c.libvirt_uri.empty() || c.libvirt_uri == hv_.uri()) return hv_;
  std::lock_guard<std::mutex> lock(mu_);
  auto& other = others_[c.libvirt_uri];
  if (!other) other = factory_(c.libvirt_uri);
  return *other;
}

Status LibvirtDriver::PreCreateCheck() {
  BERTH_RETURN_IF_ERROR(hv_.Connect());
  if (FindProgram("qemu-system-x86_64").empty())
    return FailedPrecondition(
        "qemu-system-x86_64 is not installed: apt-get install qemu-system-x86");
  return Status::Ok();
}

std::string LibvirtDriver::DomainXml(const MachineConfig& c) const {
  DomainOptions o;
  o.kvm = Hv(c).HasKvm();
  o.serial_log = store_.PathOf(c.name, "serial.log");
  o.data_disk = store_.PathOf(c.name, "disk.raw");
  o.home = store_.home();
  if (std::string socat = FindProgram("socat"); !socat.empty()) o.socat = socat;
  // Under qemu:///system (and a root session, which reads the system's
  // qemu.conf) QEMU runs as libvirt-qemu and cannot read files in a private
  // home: run it as the invoking user instead (DESIGN.md).
  if (Hv(c).uri().find("/system") != std::string::npos || getuid() == 0)
    o.dac_label = "+" + std::to_string(getuid()) + ":+" + std::to_string(getgid());
  return BuildDomainXml(c, o);
}

Status LibvirtDriver::Create(const MachineConfig& c) {
  BERTH_RETURN_IF_ERROR(Hv(c).Define(DomainXml(c)).WithContext("create machine '" + c.name + "'"));
  return Hv(c).Start(c.domain).WithContext("create machine '" + c.name + "'");
}

Status LibvirtDriver::Start(const MachineConfig& c) {
  std::string ctx = "start machine '" + c.name + "'";
  auto st = Hv(c).State(c.domain);
  if (st.ok() && (*st == DomainState::kRunning)) return Status::Ok();
  if (st.ok() && *st == DomainState::kPaused) return Hv(c).Resume(c.domain).WithContext(ctx);
  // Redefining on each start keeps the domain in step with the config and
  // brings back a domain that was undefined behind berth's back.
  BERTH_RETURN_IF_ERROR(Hv(c).Define(DomainXml(c)).WithContext(ctx));
  return Hv(c).Start(c.domain).WithContext(ctx);
}

Status LibvirtDriver::Stop(const MachineConfig& c, std::chrono::seconds grace) {
  std::string ctx = "stop machine '" + c.name + "'";
  BERTH_ASSIGN_OR_RETURN(DomainState st, Hv(c).State(c.domain));
  if (st == DomainState::kShutOff) return Status::Ok();
  if (st == DomainState::kPaused) BERTH_RETURN_IF_ERROR(Hv(c).Resume(c.domain).WithContext(ctx));
  auto deadline = std::chrono::steady_clock::now() + grace;
  Status asked = Hv(c).Shutdown(c.domain);
  while (asked.ok() && std::chrono::steady_clock::now() < deadline) {
    auto now = Hv(c).State(c.domain);
    if (now.ok() && *now == DomainState::kShutOff) return Status::Ok();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  // The guest did not power off in time (or refused): pull the plug.
  return Hv(c).Destroy(c.domain).WithContext(ctx);
}

Status LibvirtDriver::Kill(const MachineConfig& c) {
  return Hv(c).Destroy(c.domain).WithContext("kill machine '" + c.name + "'");
}

Status LibvirtDriver::Pause(const MachineConfig& c) {
  return Hv(c).Suspend(c.domain).WithContext("pause machine '" + c.name + "'");
}

Status LibvirtDriver::Resume(const MachineConfig& c) {
  return Hv(c).Resume(c.domain).WithContext("resume machine '" + c.name + "'");
}

Status LibvirtDriver::Remove(const MachineConfig& c) {
  std::string ctx = "remove machine '" + c.name + "'";
  Status s = Hv(c).Destroy(c.domain);
  if (!s.ok() && s.code() != Code::kNotFound) return s.WithContext(ctx);
  s = Hv(c).Undefine(c.domain);
  if (!s.ok() && s.code() != Code::kNotFound) return s.WithContext(ctx);
  return Status::Ok();
}

Result<MachineState> LibvirtDriver::State(const MachineConfig& c) {
  auto st = Hv(c).State(c.domain);
  if (!st.ok()) {
    if (st.status().code() == Code::kNotFound) return MachineState::kMissing;
    return st.status().WithContext("state of machine '" + c.name + "'");
  }
  return MapDomainState(*st);
}

}  // namespace berth::machine
