// FakeHypervisor: an in-memory Hypervisor for tests, with fault injection
// (leveldb's FaultInjectionTestEnv idea): FailNext(op) makes the next call of
// that operation fail, as libvirt would.
#pragma once

#include <map>
#include <mutex>
#include <regex>
#include <string>

#include "machine/hypervisor.h"

namespace berth::testing {

class FakeHypervisor : public machine::Hypervisor {
 public:
  using DS = machine::DomainState;

  Status Connect() override { return Maybe("connect", connected_ ? Status::Ok() : down_); }
  std::string uri() const override { return "test:///fake"; }
  bool HasKvm() const override { return false; }

  Status Define(const std::string& xml) override {
    std::lock_guard l(mu_);
    if (Status s = FailIf("define"); !s.ok()) return s;
    std::smatch m;
    if (!std::regex_search(xml, m, std::regex("<name>([^<]+)</name>")))
      return InvalidArgument("define domain: no <name>");
    auto& d = domains_[m[1]];
    d.xml = xml;
    return Status::Ok();
  }
  Status Start(const std::string& n) override {
    return Set(n, "start", DS::kRunning, DS::kShutOff);
  }
  Status Shutdown(const std::string& n) override {
    std::lock_guard l(mu_);
    if (Status s = FailIf("shutdown"); !s.ok()) return s;
    auto it = domains_.find(n);
    if (it == domains_.end()) return NotFound("domain " + n + " is not defined");
    if (obey_shutdown_) it->second.state = DS::kShutOff;
    ++shutdowns_;
    return Status::Ok();
  }
  Status Destroy(const std::string& n) override {
    std::lock_guard l(mu_);
    if (Status s = FailIf("destroy"); !s.ok()) return s;
    auto it = domains_.find(n);
    if (it == domains_.end()) return NotFound("domain " + n + " is not defined");
    it->second.state = DS::kShutOff;
    ++destroys_;
    return Status::Ok();
  }
  Status Undefine(const std::string& n) override {
    std::lock_guard l(mu_);
    if (Status s = FailIf("undefine"); !s.ok()) return s;
    if (!domains_.erase(n)) return NotFound("domain " + n + " is not defined");
    return Status::Ok();
  }
  Status Suspend(const std::string& n) override {
    return Set(n, "suspend", DS::kPaused, DS::kRunning);
  }
  Status Resume(const std::string& n) override {
    return Set(n, "resume", DS::kRunning, DS::kPaused);
  }
  Result<DS> State(const std::string& n) override {
    std::lock_guard l(mu_);
    auto it = domains_.find(n);
    if (it == domains_.end()) return NotFound("domain " + n + " is not defined");
    return it->second.state;
  }

  // Test controls.
  void FailNext(const std::string& op, Status s) {
    std::lock_guard l(mu_);
    fail_[op] = s;
  }
  void SetDown(Status s) {
    connected_ = false;
    down_ = s;
  }
  void set_obey_shutdown(bool v) { obey_shutdown_ = v; }
  bool Has(const std::string& n) {
    std::lock_guard l(mu_);
    return domains_.count(n) > 0;
  }
  std::string Xml(const std::string& n) {
    std::lock_guard l(mu_);
    return domains_.count(n) ? domains_[n].xml : "";
  }
  void SetState(const std::string& n, DS s) {
    std::lock_guard l(mu_);
    domains_[n].state = s;
  }
  int destroys() const { return destroys_; }
  int shutdowns() const { return shutdowns_; }

 private:
  struct Domain {
    std::string xml;
    DS state = DS::kShutOff;
  };
  Status Maybe(const std::string& op, Status s) {
    std::lock_guard l(mu_);
    if (Status f = FailIf(op); !f.ok()) return f;
    return s;
  }
  Status FailIf(const std::string& op) {
    auto it = fail_.find(op);
    if (it == fail_.end()) return Status::Ok();
    Status s = it->second;
    fail_.erase(it);
    return s;
  }
  Status Set(const std::string& n, const std::string& op, DS to, DS from) {
    std::lock_guard l(mu_);
    if (Status s = FailIf(op); !s.ok()) return s;
    auto it = domains_.find(n);
    if (it == domains_.end()) return NotFound("domain " + n + " is not defined");
    if (it->second.state != from)
      return FailedPrecondition(op + " domain " + n +
                                ": libvirt: domain is not in the right state");
    it->second.state = to;
    return Status::Ok();
  }

  std::mutex mu_;
  std::map<std::string, Domain> domains_;
  std::map<std::string, Status> fail_;
  bool connected_ = true;
  bool obey_shutdown_ = true;
  Status down_;
  int destroys_ = 0;
  int shutdowns_ = 0;
};

}  // namespace berth::testing
