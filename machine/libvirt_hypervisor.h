// LibvirtHypervisor: Hypervisor over the libvirt C API.
// Thread-safe: libvirt connections may be shared between threads.
#pragma once

#include <libvirt/libvirt.h>

#include <memory>
#include <mutex>
#include <string>

#include "machine/hypervisor.h"

namespace berth::machine {

// The default URI: qemu:///system as root, qemu:///session otherwise.
std::string DefaultLibvirtUri();

class LibvirtHypervisor : public Hypervisor {
 public:
  explicit LibvirtHypervisor(std::string uri);
  ~LibvirtHypervisor() override;

  Status Connect() override;
  std::string uri() const override { return uri_; }
  bool HasKvm() const override;
  Status Define(const std::string& xml) override;
  Status Start(const std::string& domain) override;
  Status Shutdown(const std::string& domain) override;
  Status Destroy(const std::string& domain) override;
  Status Undefine(const std::string& domain) override;
  Status Suspend(const std::string& domain) override;
  Status Resume(const std::string& domain) override;
  Result<DomainState> State(const std::string& domain) override;

 private:
  struct DomainDeleter {
    void operator()(virDomainPtr d) const { virDomainFree(d); }
  };
  using DomainHandle = std::unique_ptr<virDomain, DomainDeleter>;
  Result<DomainHandle> Lookup(const std::string& domain);

  std::string uri_;
  std::mutex mu_;
  virConnectPtr conn_ = nullptr;
};

// The last libvirt error as a Status: "ACTION: libvirt: MESSAGE".
Status LibvirtError(const std::string& action);

}  // namespace berth::machine
