#include "machine/libvirt_hypervisor.h"

#include <libvirt/virterror.h>
#include <unistd.h>

namespace berth::machine {
namespace {

// Silences libvirt's default error printer: berth reports errors itself.
void IgnoreLibvirtError(void*, virErrorPtr) {}

}  // namespace

std::string DefaultLibvirtUri() { return geteuid() == 0 ? "qemu:///system" : "qemu:///session"; }

Status LibvirtError(const std::string& action) {
  virErrorPtr err = virGetLastError();
  std::string msg = err && err->message ? err->message : "unknown error";
  Code code = Code::kInternal;
  if (err) {
    switch (err->code) {
      case VIR_ERR_NO_DOMAIN:
        code = Code::kNotFound;
        break;
      case VIR_ERR_OPERATION_INVALID:
        code = Code::kFailedPrecondition;
        break;
      case VIR_ERR_NO_CONNECT:
      case VIR_ERR_SYSTEM_ERROR:
      case VIR_ERR_RPC:
        code = Code::kUnavailable;
        break;
      case VIR_ERR_AUTH_FAILED:
      case VIR_ERR_AUTH_CANCELLED:
      case VIR_ERR_ACCESS_DENIED:
        code = Code::kPermissionDenied;
        break;
      default:
        break;
    }
  }
  virResetLastError();
  return Status(code, action + ": libvirt: " + msg);
}

LibvirtHypervisor::LibvirtHypervisor(std::string uri) : uri_(std::move(uri)) {
  if (uri_.empty()) uri_ = DefaultLibvirtUri();
}

LibvirtHypervisor::~LibvirtHypervisor() {
  if (conn_) virConnectClose(conn_);
}

Status LibvirtHypervisor::Connect() {
  std::lock_guard lock(mu_);
  if (conn_) return Status::Ok();
  virSetErrorFunc(nullptr, IgnoreLibvirtError);
  conn_ = virConnectOpen(uri_.c_str());
  if (!conn_) {
    Status s = LibvirtError("connect to " + uri_);
    std::string hint;
    if (uri_.find("/system") != std::string::npos)
      hint =
          " (is libvirtd running? start it with `virtlogd -d && libvirtd -d`, or "
          "`systemctl start libvirtd` where systemd runs; or pick another URI with "
          "--libvirt-uri)";
    return Status(Code::kUnavailable, s.message() + hint);
  }
  return Status::Ok();
}

bool LibvirtHypervisor::HasKvm() const { return access("/dev/kvm", R_OK | W_OK) == 0; }

Result<LibvirtHypervisor::DomainHandle> LibvirtHypervisor::Lookup(const std::string& domain) {
  BERTH_RETURN_IF_ERROR(Connect());
  virDomainPtr d = virDomainLookupByName(conn_, domain.c_str());
  if (!d) {
    Status s = LibvirtError("look up domain " + domain);
    if (s.code() == Code::kNotFound) return NotFound("domain " + domain + " is not defined");
    return s;
  }
  return DomainHandle(d);
}

Status LibvirtHypervisor::Define(const std::string& xml) {
  BERTH_RETURN_IF_ERROR(Connect());
  virDomainPtr d = virDomainDefineXML(conn_, xml.c_str());
  if (!d) return LibvirtError("define domain");
  virDomainFree(d);
  return Status::Ok();
}

Status LibvirtHypervisor::Start(const std::string& domain) {
  BERTH_ASSIGN_OR_RETURN(DomainHandle d, Lookup(domain));
  if (virDomainCreate(d.get()) != 0) return LibvirtError("start domain " + domain);
  return Status::Ok();
}

Status LibvirtHypervisor::Shutdown(const std::string& domain) {
  BERTH_ASSIGN_OR_RETURN(DomainHandle d, Lookup(domain));
  if (virDomainShutdownFlags(d.get(), VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN) != 0)
    return LibvirtError("shut down domain " + domain);
  return Status::Ok();
}

Status LibvirtHypervisor::Destroy(const std::string& domain) {
  BERTH_ASSIGN_OR_RETURN(DomainHandle d, Lookup(domain));
  if (virDomainIsActive(d.get()) != 1) return Status::Ok();
  if (virDomainDestroy(d.get()) != 0) {
    Status s = LibvirtError("destroy domain " + domain);
    if (virDomainIsActive(d.get()) == 0) return Status::Ok();  // it stopped meanwhile
    return s;
  }
  return Status::Ok();
}

Status LibvirtHypervisor::Undefine(const std::string& domain) {
  BERTH_ASSIGN_OR_RETURN(DomainHandle d, Lookup(domain));
  if (virDomainUndefineFlags(d.get(), VIR_DOMAIN_UNDEFINE_NVRAM | VIR_DOMAIN_UNDEFINE_MANAGED_SAVE |
                                          VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA) != 0)
    return LibvirtError("undefine domain " + domain);
  return Status::Ok();
}

Status LibvirtHypervisor::Suspend(const std::string& domain) {
  BERTH_ASSIGN_OR_RETURN(DomainHandle d, Lookup(domain));
  if (virDomainSuspend(d.get()) != 0) return LibvirtError("pause domain " + domain);
  return Status::Ok();
}

Status LibvirtHypervisor::Resume(const std::string& domain) {
  BERTH_ASSIGN_OR_RETURN(DomainHandle d, Lookup(domain));
  if (virDomainResume(d.get()) != 0) return LibvirtError("resume domain " + domain);
  return Status::Ok();
}

Result<DomainState> LibvirtHypervisor::State(const std::string& domain) {
  BERTH_ASSIGN_OR_RETURN(DomainHandle d, Lookup(domain));
  int state = 0, reason = 0;
  if (virDomainGetState(d.get(), &state, &reason, 0) != 0)
    return LibvirtError("get state of domain " + domain);
  switch (state) {
    case VIR_DOMAIN_RUNNING:
      return DomainState::kRunning;
    case VIR_DOMAIN_BLOCKED:
      return DomainState::kRunning;
    case VIR_DOMAIN_PAUSED:
      return DomainState::kPaused;
    case VIR_DOMAIN_PMSUSPENDED:
      return DomainState::kPaused;
    case VIR_DOMAIN_SHUTDOWN:
      return DomainState::kShuttingDown;
    case VIR_DOMAIN_SHUTOFF:
      return DomainState::kShutOff;
    case VIR_DOMAIN_CRASHED:
      return DomainState::kCrashed;
    default:
      return DomainState::kOther;
  }
}

}  // namespace berth::machine
