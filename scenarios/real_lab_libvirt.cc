// The real lab over the machine layer (machine::Manager: libvirt machines),
// the fabric (partitions, impairments) and each machine's engine (berthd,
// through LabEngine). Built when berth_machine, berth_fabric and
// berth_provisioners exist; otherwise real_lab.cc's stub is used.
//
// Reaching containers: every port a container publishes on a machine (and
// every port a probe or condition targets) becomes a forward of the machine's
// management NIC, 127.0.0.1:<allocated> -> guest port, fixed at create. HTTP
// and kv probes from the host go through those forwards, so the fabric does
// not affect them; HTTP probes `from` a machine run busybox wget in it over
// SSH against the target's lab address, so partitions do.
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

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
#include "provisioners/engine_provisioner.h"
#include "provisioners/lab_images.h"
#include "scenarios/etcd_kv.h"
#include "scenarios/http_client.h"
#include "scenarios/lab_engine.h"
#include "scenarios/real_lab.h"

namespace berth::scenarios {
namespace {

using std::chrono::seconds;

class LibvirtLab : public Lab {
 public:
  explicit LibvirtLab(const RealLabConfig& c)
      : config_(c),
        store_(c.home),
        hypervisor_(c.libvirt_uri),
        driver_(hypervisor_, store_),
        net_(c.home),
        readiness_(store_, driver_),
        manager_(store_, driver_, net_, readiness_, [this] { return Image(); }),
        provisioner_(store_, provisioners::CacheDir(c.home)),
        engine_(store_, provisioners::CacheDir(c.home)) {}

  std::string Kind() const override { return "libvirt"; }

  Status CanRun(const Scenario& s) override {
    BERTH_ASSIGN_OR_RETURN(LabPlan plan, PlanLab(s));
    std::lock_guard<std::mutex> lock(mu_);
    forwards_ = plan.forwards;
    if (plan.needs_engine) manager_.set_provisioner(&provisioner_);
    return Status::Ok();
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
      for (int port : forwards_[m.name]) o.forwards.push_back({port, 0});
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

  Status SeedImage(const std::string& image) override {
    std::vector<machine::MachineConfig> machines;
    for (const auto& name : Created()) {
      BERTH_ASSIGN_OR_RETURN(machine::MachineConfig c, store_.Load(name));
      machines.push_back(c);
    }
    BERTH_RETURN_IF_ERROR(engine_.Seed(image, machines));
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& c : machines) seeded_.insert({c.name, image});
    }
    return SyncAll();
  }

  Status RunContainer(const ContainerSpec& c) override {
    BERTH_RETURN_IF_ERROR(EnsureHosts());
    BERTH_ASSIGN_OR_RETURN(machine::MachineConfig config, Config(c.machine));
    bool seeded;
    {
      std::lock_guard<std::mutex> lock(mu_);
      seeded = seeded_.count({config.name, c.image}) > 0;
    }
    // An image the file did not list under `images` but the lab can build.
    if (!seeded && provisioners::IsKnownLabImage(c.image)) {
      BERTH_RETURN_IF_ERROR(engine_.Seed(c.image, {config}));
      std::lock_guard<std::mutex> lock(mu_);
      seeded_.insert({config.name, c.image});
    }
    BERTH_RETURN_IF_ERROR(engine_.Run(c, config));
    // berthd does not fsync what it writes: without this, a machine.kill
    // soon after would lose the container (or the image's files).
    return Sh(c.machine, "sync");
  }

  Status Container(const std::string& m, const std::string& container, ContainerOp op) override {
    BERTH_ASSIGN_OR_RETURN(machine::MachineConfig config, Config(m));
    return engine_.Op(m, config, container, op);
  }

  Status Machine(const std::string& m, MachineOp op) override {
    Status st = MachineOnly(m, op);
    if (!st.ok() || (op != MachineOp::kStart && op != MachineOp::kReboot)) return st;
    // A fresh boot: the guest's /etc/hosts is gone and berthd restarted.
    BERTH_RETURN_IF_ERROR(WriteHosts(m));
    BERTH_ASSIGN_OR_RETURN(machine::MachineConfig config, Config(m));
    return engine_.AfterBoot(m, config);
  }

  Status MachineOnly(const std::string& m, MachineOp op) {
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

  HttpResult HttpGet(const std::string& from, const std::string& target, const std::string& path,
                     Millis timeout) override {
    HttpResult r;
    auto mp = SplitTarget(target);
    auto config = mp.ok() ? Config(mp->first) : Result<machine::MachineConfig>(mp.status());
    if (!config.ok()) {
      r.error = config.status().message();
      return r;
    }
    const auto& [machine_name, port] = *mp;
    if (from.empty()) {
      for (const auto& f : config->forwards)
        if (f.guest_port == port)
          return CurlHttpGet("http://" + config->host + ":" + std::to_string(f.host_port) + path,
                             timeout);
      r.error = "port " + std::to_string(port) + " of machine '" + machine_name +
                "' is not forwarded to the host";
      return r;
    }
    // From inside `from`, over the lab network: busybox wget over SSH.
    const std::string url = "http://" + config->lab.address + ":" + std::to_string(port) + path;
    const long secs = std::max<long>(1, (timeout.count() + 999) / 1000);
    auto t0 = std::chrono::steady_clock::now();
    // busybox 1.35's `wget -T` crashes in the guest: `timeout` bounds it instead.
    // The guest times the request itself, so the latency excludes SSH.
    // (/proc/uptime: 10 ms steps; busybox's date has no %N.)
    const std::string script = "read a x < /proc/uptime; timeout " + std::to_string(secs) +
                               " wget -q -O /dev/null " + ShellQuote(url) +
                               "; rc=$?; read b x < /proc/uptime; echo berth-t=$a,$b; exit $rc";
    auto run = Exec(from, {"sh", "-c", script}, timeout + Millis(10000));
    r.latency_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (run.ok()) {
      size_t t = run->output.rfind("berth-t=");
      if (t != std::string::npos) {
        double a = 0, b = 0;
        if (sscanf(run->output.c_str() + t, "berth-t=%lf,%lf", &a, &b) == 2 && b >= a)
          r.latency_ms = (b - a) * 1000;
        run->output.erase(t);
      }
    }
    if (!run.ok()) {
      r.error = run.status().message();
    } else if (run->exit_code == 0) {
      r.status = 200;
    } else {
      size_t http = run->output.find("HTTP/1.");
      if (http != std::string::npos && http + 12 <= run->output.size())
        r.status = std::atoi(run->output.substr(http + 9, 3).c_str());
      if (r.status == 0)
        r.error = run->exit_code == 143
                      ? "timed out (wget from " + from + ")"
                      : "wget from " + from + ": exit " + std::to_string(run->exit_code) + " " +
                            run->output.substr(0, 200);
    }
    return r;
  }

  Result<std::unique_ptr<KvClient>> ConnectKv(const std::string& store,
                                              const std::vector<std::string>& targets) override {
    if (store != "etcd") return InvalidArgument("kv store '" + store + "': only etcd");
    std::vector<std::string> endpoints;
    for (const auto& t : targets) {
      BERTH_ASSIGN_OR_RETURN(auto mp, SplitTarget(t));
      BERTH_ASSIGN_OR_RETURN(machine::MachineConfig config, Config(mp.first));
      int host_port = 0;
      for (const auto& f : config.forwards)
        if (f.guest_port == mp.second) host_port = f.host_port;
      if (host_port == 0)
        return FailedPrecondition("kv target '" + t + "': port not forwarded to the host");
      endpoints.push_back("http://" + config.host + ":" + std::to_string(host_port));
    }
    return std::unique_ptr<KvClient>(new EtcdKv(endpoints, Millis(2000)));
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
  provisioners::EngineProvisioner provisioner_;
  LabEngine engine_;
  std::string network_ = "default";
  std::mutex mu_;
  std::vector<std::string> created_;
  std::map<std::string, std::set<int>> forwards_;  // scenario machine -> guest ports
  std::map<std::string, machine::MachineConfig> configs_;
  bool hosts_written_ = false;
  std::set<std::pair<std::string, std::string>> seeded_;  // (machine, image) loaded

  std::string Name(const std::string& m) const { return config_.prefix + m; }

  std::vector<std::string> Created() {
    std::lock_guard<std::mutex> lock(mu_);
    return created_;
  }

  // The stored config of scenario machine `m` (read once: it never changes).
  Result<machine::MachineConfig> Config(const std::string& m) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = configs_.find(m);
      if (it != configs_.end()) return it->second;
    }
    BERTH_ASSIGN_OR_RETURN(machine::MachineConfig c, store_.Load(Name(m)));
    std::lock_guard<std::mutex> lock(mu_);
    configs_[m] = c;
    return c;
  }

  // The lab's names ("etcd1" and the full machine name) with lab addresses.
  Result<std::string> HostsText() {
    std::string text = "127.0.0.1\tlocalhost\n";
    const std::string prefix = config_.prefix;
    for (const auto& name : Created()) {
      const std::string short_name = name.substr(prefix.size());
      BERTH_ASSIGN_OR_RETURN(machine::MachineConfig c, Config(short_name));
      text += c.lab.address + "\t" + short_name + " " + name + "\n";
    }
    return text;
  }

  // Writes kLabHostsPath on machine `m` and adds the names to its /etc/hosts.
  Status WriteHosts(const std::string& m) {
    BERTH_ASSIGN_OR_RETURN(std::string text, HostsText());
    return Sh(m, "printf '%s' " + ShellQuote(text) + " > " + kLabHostsPath + " && grep -v " +
                     "localhost " + kLabHostsPath + " >> /etc/hosts");
  }

  // Runs `fn(scenario machine)` for every machine of the lab, in parallel.
  Status ForEachMachine(const std::function<Status(const std::string&)>& fn) {
    std::vector<std::string> names = Created();
    std::vector<Status> done(names.size());
    std::vector<std::thread> threads;
    for (size_t i = 0; i < names.size(); ++i)
      threads.emplace_back([&, i] { done[i] = fn(names[i].substr(config_.prefix.size())); });
    for (auto& t : threads) t.join();
    for (const auto& st : done) BERTH_RETURN_IF_ERROR(st);
    return Status::Ok();
  }

  // Flushes every machine's data disk (see RunContainer).
  Status SyncAll() {
    return ForEachMachine([this](const std::string& m) { return Sh(m, "sync"); });
  }

  // Before the first container runs: every machine gets the hosts file.
  Status EnsureHosts() {
    std::lock_guard<std::mutex> lock(hosts_mu_);
    if (hosts_written_) return Status::Ok();
    BERTH_RETURN_IF_ERROR(ForEachMachine([this](const std::string& m) { return WriteHosts(m); }));
    hosts_written_ = true;
    return Status::Ok();
  }
  std::mutex hosts_mu_;

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
