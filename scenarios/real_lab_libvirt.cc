// The real lab over the machine layer (machine::Manager: libvirt machines)
// and the fabric (partitions, impairments). Built when berth_machine and
// berth_fabric exist; otherwise real_lab.cc's stub is used.
//
// What works: machine create/kill/stop/start/pause/resume/reboot/add/remove,
// partitions (as fabric grudges), link impairments and heal, disk fill/free
// and clock skew/reset (through SSH), commands in machines (SSH) and on the
// host, `when: {exec: ...}` conditions and `command` checks. Not yet: images,
// containers, HTTP probes and kv probes (they need the engine adaptor), so
// CanRun refuses scenarios that use them before anything is created.
#include <chrono>
#include <mutex>
#include <optional>

#include "base/subprocess.h"
#include "fabric/client.h"
#include "machine/fabric_lab_network.h"
#include "machine/guest_image.h"
#include "machine/libvirt_driver.h"
#include "machine/libvirt_hypervisor.h"
#include "machine/manager.h"
#include "machine/readiness.h"
#include "machine/ssh.h"
#include "machine/store.h"
#include "scenarios/real_lab.h"

namespace berth::scenarios {
namespace {

using std::chrono::seconds;

const char kNoEngine[] =
    "needs the container engine adaptor, which scenarios do not have yet (only machine, "
    "network, disk, clock and command actions run on real machines)";

class LibvirtLab : public Lab {
 public:
  explicit LibvirtLab(const RealLabConfig& c)
      : config_(c),
        store_(c.home),
        hypervisor_(c.libvirt_uri),
        driver_(hypervisor_, store_),
        net_(c.home),
        readiness_(store_, driver_),
        manager_(store_, driver_, net_, readiness_, [this] { return Image(); }) {}

  std::string Kind() const override { return "libvirt"; }

  Status CanRun(const Scenario& s) override {
    std::vector<std::string> uses;
    if (!s.images.empty()) uses.push_back("images");
    if (!s.containers.empty()) uses.push_back("containers");
    if (!s.probes.empty()) uses.push_back("workload probes");
    if (uses.empty()) return Status::Ok();
    std::string list;
    for (const auto& u : uses) list += (list.empty() ? "" : ", ") + u;
    return FailedPrecondition("the real lab cannot run this scenario yet: it uses " + list +
                              ", which " + kNoEngine +
                              ". Nothing was created. Use --dry-run to rehearse it");
  }

  Status CreateNetwork(const NetworkSpec& network) override {
    network_ = config_.prefix + "net";
    return Status::Ok();
  }

  Status CreateMachine(const MachineSpec& m) override {
    machine::CreateOptions o;
    o.resources = {m.cpus, static_cast<int>(m.memory_mb), static_cast<int>(m.disk_mb)};
    o.network = network_;
    o.libvirt_uri = config_.libvirt_uri;
    o.timeout = seconds(300);
    const std::string name = Name(m.name);
    {
      std::lock_guard<std::mutex> lock(mu_);
      created_.push_back(name);  // even a failed create may leave a folder to remove
    }
    return manager_.CreateMany({name}, o).at(0);
  }

  Status RemoveMachine(const std::string& m) override {
    Status st = manager_.Remove(Name(m), true);
    std::lock_guard<std::mutex> lock(mu_);
    if (st.ok())
      created_.erase(std::remove(created_.begin(), created_.end(), Name(m)), created_.end());
    return st;
  }

  Status SeedImage(const std::string&) override { return FailedPrecondition(kNoEngine); }
  Status RunContainer(const ContainerSpec&) override { return FailedPrecondition(kNoEngine); }
  Status Container(const std::string&, const std::string&, ContainerOp) override {
    return FailedPrecondition(kNoEngine);
  }

  Status Machine(const std::string& m, MachineOp op) override {
    const std::string n = Name(m);
    switch (op) {
      case MachineOp::kKill:
        return manager_.Kill(n);
      case MachineOp::kStop:
        return manager_.Stop(n, seconds(10));
      case MachineOp::kStart:
        return manager_.Start(n, seconds(300));
      case MachineOp::kPause:
        return manager_.Pause(n);
      case MachineOp::kResume:
        return manager_.Resume(n);
      case MachineOp::kReboot:
        return manager_.Restart(n, seconds(10), seconds(300));
    }
    return Internal("unknown machine operation");
  }

  Status Partition(const Grudge& grudge) override {
    Json g = Json::object();
    for (const auto& [who, dropped] : grudge) {
      Json list = Json::array();
      for (const auto& d : dropped) list.push_back(Name(d));
      g[Name(who)] = list;
    }
    return fabric::Call(config_.home, network_,
                        {{"op", "partition"}, {"shape", "grudge"}, {"grudge", g}})
        .status();
  }

  Status Impair(const Impairment& imp) override {
    Json spec = Json::object();
    if (imp.delay.count()) spec["delay"] = std::to_string(imp.delay.count()) + "ms";
    if (imp.jitter.count()) spec["jitter"] = std::to_string(imp.jitter.count()) + "ms";
    auto pct = [](double f) { return std::to_string(f * 100) + "%"; };
    if (imp.loss > 0) spec["loss"] = pct(imp.loss);
    if (imp.duplicate > 0) spec["duplicate"] = pct(imp.duplicate);
    if (imp.reorder > 0) spec["reorder"] = pct(imp.reorder);
    if (imp.corrupt > 0) spec["corrupt"] = pct(imp.corrupt);
    if (!imp.rate.empty()) spec["rate"] = imp.rate;
    std::vector<std::string> from;
    for (const auto& m : imp.machines) from.push_back(Name(m));
    if (from.empty()) from.push_back("*");
    for (const auto& f : from)
      BERTH_RETURN_IF_ERROR(
          fabric::Call(
              config_.home, network_,
              {{"op", "impair"}, {"from", f}, {"to", "*"}, {"impairment", spec}, {"both", true}})
              .status());
    return Status::Ok();
  }

  Status HealNetwork() override {
    if (!fabric::IsRunning(config_.home, network_)) return Status::Ok();
    BERTH_RETURN_IF_ERROR(fabric::Call(config_.home, network_, {{"op", "heal"}}).status());
    return fabric::Call(config_.home, network_, {{"op", "clear"}}).status();
  }

  Status FillDisk(const std::string& m, int64_t leave_mb) override {
    return Sh(m,
              "avail=$(df -m /var/lib/berth | awk 'NR==2{print $4}'); "
              "n=$((avail - " +
                  std::to_string(leave_mb) +
                  ")); [ $n -gt 0 ] && "
                  "dd if=/dev/zero of=/var/lib/berth/.berth-fill bs=1M count=$n 2>/dev/null; "
                  "sync; true");
  }
  Status FreeDisk(const std::string& m) override {
    return Sh(m, "rm -f /var/lib/berth/.berth-fill");
  }
  Status SkewClock(const std::string& m, Millis offset) override {
    return Sh(m, "date -s @$(( $(date +%s) + " + std::to_string(offset.count() / 1000) +
                     " )) >/dev/null");
  }
  Status ResetClock(const std::string& m) override {
    auto now = std::chrono::system_clock::now().time_since_epoch();
    return Sh(m, "date -s @" + std::to_string(std::chrono::duration_cast<seconds>(now).count()) +
                     " >/dev/null");
  }

  Result<ExecResult> Exec(const std::string& m, const std::vector<std::string>& command,
                          Millis timeout) override {
    std::vector<std::string> argv = command;
    if (!m.empty()) {
      BERTH_ASSIGN_OR_RETURN(machine::MachineConfig c, store_.Load(Name(m)));
      argv = machine::SshArgv(store_, c, false, {ShellJoin(command)});
    }
    RunOptions o;
    o.timeout = timeout;
    o.merge_stderr = true;
    BERTH_ASSIGN_OR_RETURN(RunResult r, Run(argv, o));
    return ExecResult{r.timed_out ? 124 : r.exit_code, r.out};
  }

  HttpResult HttpGet(const std::string&, const std::string&, const std::string&, Millis) override {
    HttpResult r;
    r.error = std::string("http probes ") + kNoEngine;
    return r;
  }

  Result<std::unique_ptr<KvClient>> ConnectKv(const std::string&,
                                              const std::vector<std::string>&) override {
    return FailedPrecondition(std::string("kv probes ") + kNoEngine);
  }

  Result<std::vector<std::string>> Teardown(bool keep) override {
    std::vector<std::string> out, names;
    {
      std::lock_guard<std::mutex> lock(mu_);
      names = created_;
    }
    for (const auto& n : names) {
      if (keep) {
        out.push_back("kept machine " + n + " (remove with: berth machine rm -f " + n + ")");
        continue;
      }
      Status st = manager_.Remove(n, true);
      out.push_back(st.ok() || st.code() == Code::kNotFound
                        ? "removed machine " + n
                        : "could not remove machine " + n + ": " + st.message());
    }
    if (!keep && !network_.empty()) {
      Status st = fabric::StopNetwork(config_.home, network_);
      if (!st.ok()) out.push_back("could not stop network " + network_ + ": " + st.message());
    }
    return out;
  }

 private:
  RealLabConfig config_;
  machine::Store store_;
  machine::LibvirtHypervisor hypervisor_;
  machine::LibvirtDriver driver_;
  machine::FabricLabNetwork net_;
  machine::GuestReadiness readiness_;
  machine::Manager manager_;
  std::string network_ = "default";
  std::mutex mu_;
  std::vector<std::string> created_;

  std::string Name(const std::string& m) const { return config_.prefix + m; }

  // The guest image, found or built once even when machines are created from
  // several threads.
  Result<machine::GuestImage> Image() {
    std::lock_guard<std::mutex> lock(image_mu_);
    if (!image_) image_.emplace(machine::EnsureGuestImage(config_.home));
    return *image_;
  }
  std::mutex image_mu_;
  std::optional<Result<machine::GuestImage>> image_;

  Status Sh(const std::string& m, const std::string& script) {
    BERTH_ASSIGN_OR_RETURN(ExecResult r, Exec(m, {"sh", "-c", script}, Millis(120000)));
    if (r.exit_code != 0)
      return Unavailable("on machine '" + m + "': exit " + std::to_string(r.exit_code) + ": " +
                         r.output.substr(0, 300));
    return Status::Ok();
  }
};

}  // namespace

Result<std::unique_ptr<Lab>> MakeRealLab(const RealLabConfig& config) {
  return std::unique_ptr<Lab>(new LibvirtLab(config));
}

}  // namespace berth::scenarios
