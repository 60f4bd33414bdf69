#include "machine/manager.h"

#include <ctime>
#include <random>
#include <set>
#include <thread>

#include "machine/allocator.h"
#include "machine/identity.h"

namespace berth::machine {
namespace {

std::string NowRfc3339() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

std::string NewUuid() {
  std::random_device rd;
  std::mt19937_64 g((static_cast<uint64_t>(rd()) << 32) ^ rd());
  unsigned char b[16];
  for (auto& x : b) x = static_cast<unsigned char>(g());
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  char out[37];
  std::snprintf(out, sizeof out,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                b[15]);
  return out;
}

}  // namespace

Json ToJson(const MachineInfo& info) {
  Json j = info.has_config ? ToJson(info.config) : Json{{"name", info.name}};
  j["state"] = info.state;
  if (!info.error.empty()) j["error"] = info.error;
  if (info.has_config) {
    j["ssh"] = SshEndpoint(info.config);
    j["url"] = EngineUrl(info.config);
  }
  return j;
}

Manager::Manager(const Store& store, Driver& driver, LabNetwork& network, Readiness& readiness,
                 ImageFn image)
    : store_(store),
      driver_(driver),
      network_(network),
      readiness_(readiness),
      image_(std::move(image)) {}

std::vector<Status> Manager::CreateMany(const std::vector<std::string>& names,
                                        const CreateOptions& options) {
  auto all = [&](const Status& s) { return std::vector<Status>(names.size(), s); };
  if (names.empty()) return {InvalidArgument("name at least one machine to create")};
  for (const auto& f : options.forwards)
    if (f.host_port != 0 && names.size() > 1)
      return all(InvalidArgument("host port " + std::to_string(f.host_port) +
                                 " can be forwarded to one machine only: create them one by "
                                 "one, or forward guest port " +
                                 std::to_string(f.guest_port) + " alone to let berth pick"));
  std::set<std::string> seen;
  for (const auto& n : names) {
    if (Status s = ValidateName(n); !s.ok()) return all(s);
    if (!seen.insert(n).second)
      return all(InvalidArgument("machine name '" + n + "' is given twice"));
    if (store_.Exists(n))
      return all(AlreadyExists("machine '" + n +
                               "' already exists (remove it with `berth "
                               "machine rm " +
                               n + "`, or pick another name)"));
  }
  if (Status s = ValidateResources(options.resources); !s.ok()) return all(s);
  if (Status s = driver_.PreCreateCheck(); !s.ok()) return all(s);
  if (progress_)
    for (const auto& n : names) progress_(n, "preparing the guest image");
  auto img = image_();
  if (!img.ok()) return all(img.status());

  std::vector<Status> results(names.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < names.size(); ++i)
    threads.emplace_back([&, i] { results[i] = CreateOne(names[i], options, *img); });
  for (auto& t : threads) t.join();
  return results;
}

Status Manager::CreateOne(const std::string& name, const CreateOptions& o, const GuestImage& img) {
  std::string ctx = "create machine '" + name + "'";
  BERTH_RETURN_IF_ERROR(store_.Reserve(name));
  MachineConfig c;
  c.name = name;
  c.domain = std::string(kDomainPrefix) + name;
  // From here on, a failure unwinds everything created so far.
  auto unwind = [&](const Status& s) {
    driver_.Remove(c).ok();
    network_.Detach(c).ok();
    store_.Remove(name).ok();
    return s.WithContext(ctx);
  };
  {
    auto lock = store_.Lock();
    if (!lock.ok()) return unwind(lock.status());
    std::vector<MachineConfig> existing;
    auto names = store_.List();
    if (!names.ok()) return unwind(names.status());
    for (const auto& n : *names)
      if (auto m = store_.Load(n); m.ok()) existing.push_back(*m);
    BindPortProbe probe;
    AllocatorOptions ao;
    ao.avoid = KernelEphemeralPorts();
    auto alloc = Allocate(existing, probe, ao, o.forwards);
    if (!alloc.ok()) return unwind(alloc.status());
    auto registry = RegistryPort(store_.home(), probe, ao.host, ao.avoid);
    if (!registry.ok()) return unwind(registry.status());
    c.registry_port = *registry;
    c.libvirt_uri = o.libvirt_uri;
    c.uuid = NewUuid();
    c.cpus = o.resources.cpus;
    c.memory_mb = o.resources.memory_mb;
    c.disk_mb = o.resources.disk_mb;
    c.ssh_port = alloc->ssh_port;
    c.engine_port = alloc->engine_port;
    c.forwards = alloc->forwards;
    c.mgmt_mac = alloc->mgmt_mac;
    c.lab.network = o.network;
    c.lab.address = alloc->lab_address;
    c.lab.mac = alloc->lab_mac;
    c.lab.local_port = alloc->lab_local_port;
    c.kernel = img.kernel;
    c.initrd = img.initrd;
    c.cmdline = img.cmdline;
    c.created_at = NowRfc3339();
    c.phase = "creating";
    // Saved under the lock, so the next allocation sees these ports.
    if (Status s = store_.Save(c); !s.ok()) return unwind(s);
  }
  if (progress_) progress_(name, "creating keys and data disk");
  auto port = network_.Ensure(c.lab.network);
  if (!port.ok()) return unwind(port.status());
  c.lab.fabric_port = *port;
  if (Status s = store_.Save(c); !s.ok()) return unwind(s);
  if (Status s = GenerateKeys(store_, c); !s.ok()) return unwind(s);
  auto stage = [&](const std::string& dir) {
    return provisioner_ ? provisioner_->StageDataDisk(c, dir, progress_) : Status::Ok();
  };
  if (Status s = MakeDataDisk(store_, c, stage); !s.ok()) return unwind(s);
  if (Status s = network_.Attach(c); !s.ok()) return unwind(s);
  if (progress_) progress_(name, "defining and starting the domain");
  size_t offset = FileSize(store_.PathOf(name, "serial.log"));
  if (Status s = driver_.Create(c); !s.ok()) return unwind(s);
  // Once the domain boots, a failure keeps the machine for inspection: the
  // error names the serial log and `rm -f`.
  BERTH_RETURN_IF_ERROR(readiness_.WaitReady(c, offset, o.timeout, progress_).WithContext(ctx));
  if (provisioner_) BERTH_RETURN_IF_ERROR(provisioner_->Provision(c, progress_).WithContext(ctx));
  c.phase = "ready";
  BERTH_RETURN_IF_ERROR(store_.Save(c).WithContext(ctx));
  if (progress_) progress_(name, "ready");
  return Status::Ok();
}

Status Manager::Boot(MachineConfig& c, std::chrono::seconds timeout) {
  size_t offset = FileSize(store_.PathOf(c.name, "serial.log"));
  BERTH_RETURN_IF_ERROR(driver_.Start(c));
  BERTH_RETURN_IF_ERROR(readiness_.WaitReady(c, offset, timeout, progress_));
  return provisioner_ ? provisioner_->AfterBoot(c, progress_) : Status::Ok();
}

Status Manager::Start(const std::string& name, std::chrono::seconds timeout) {
  BERTH_ASSIGN_OR_RETURN(MachineConfig c, store_.Load(name));
  BERTH_ASSIGN_OR_RETURN(MachineState st, driver_.State(c));
  if (st == MachineState::kRunning) return Status::Ok();
  if (st == MachineState::kPaused) return driver_.Resume(c);
  const std::string ctx = "start machine '" + name + "'";
  BindPortProbe probe;
  BERTH_RETURN_IF_ERROR(CheckHostPortsFree(c, probe).WithContext(ctx));
  auto port = network_.Ensure(c.lab.network);
  if (!port.ok()) return port.status().WithContext(ctx);
  if (*port != c.lab.fabric_port) {
    c.lab.fabric_port = *port;
    BERTH_RETURN_IF_ERROR(store_.Save(c));
  }
  BERTH_RETURN_IF_ERROR(network_.Attach(c).WithContext(ctx));
  return Boot(c, timeout).WithContext(ctx);
}

Status Manager::Stop(const std::string& name, std::chrono::seconds grace) {
  BERTH_ASSIGN_OR_RETURN(MachineConfig c, store_.Load(name));
  BERTH_ASSIGN_OR_RETURN(MachineState st, driver_.State(c));
  if (st == MachineState::kMissing)
    return FailedPrecondition("stop machine '" + name + "': its libvirt domain " + c.domain +
                              " is gone (removed outside berth); `berth machine start " + name +
                              "` defines it again");
  return driver_.Stop(c, grace);
}

Status Manager::Restart(const std::string& name, std::chrono::seconds grace,
                        std::chrono::seconds timeout) {
  BERTH_ASSIGN_OR_RETURN(MachineConfig c, store_.Load(name));
  BERTH_ASSIGN_OR_RETURN(MachineState st, driver_.State(c));
  if (st != MachineState::kStopped && st != MachineState::kMissing)
    BERTH_RETURN_IF_ERROR(driver_.Stop(c, grace));
  return Start(name, timeout);
}

Status Manager::Kill(const std::string& name) {
  BERTH_ASSIGN_OR_RETURN(MachineConfig c, store_.Load(name));
  return driver_.Kill(c);
}

Status Manager::Pause(const std::string& name) {
  BERTH_ASSIGN_OR_RETURN(MachineConfig c, store_.Load(name));
  return driver_.Pause(c);
}

Status Manager::Resume(const std::string& name) {
  BERTH_ASSIGN_OR_RETURN(MachineConfig c, store_.Load(name));
  return driver_.Resume(c);
}

Status Manager::Remove(const std::string& name, bool force) {
  if (!store_.Exists(name))
    return NotFound("no machine named '" + name + "' (see `berth machine ls`)");
  auto loaded = store_.Load(name);
  MachineConfig c;
  if (loaded.ok()) {
    c = *loaded;
  } else if (force) {
    // An interrupted create: the domain name is derived from the name alone.
    c.name = name;
    c.domain = std::string(kDomainPrefix) + name;
  } else {
    return loaded.status().WithContext("remove machine '" + name + "' (use `berth machine rm -f " +
                                       name + "` to remove it anyway)");
  }
  Status s = driver_.Remove(c);
  if (!s.ok()) return s;
  if (loaded.ok()) {
    Status d = network_.Detach(c);
    if (!d.ok() && !force) return d.WithContext("remove machine '" + name + "'");
  }
  BERTH_RETURN_IF_ERROR(store_.Remove(name).WithContext("remove machine '" + name + "'"));
  if (loaded.ok()) {
    // The last machine of a network takes its fabric process with it.
    bool in_use = false;
    for (const auto& n : store_.List().value_or({}))
      if (auto m = store_.Load(n); m.ok() && m->lab.network == c.lab.network) in_use = true;
    if (!in_use) return network_.Release(c.lab.network);
  }
  return Status::Ok();
}

Result<MachineInfo> Manager::Inspect(const std::string& name) {
  if (!store_.Exists(name))
    return NotFound("no machine named '" + name + "' (see `berth machine ls`)");
  MachineInfo info;
  info.name = name;
  auto c = store_.Load(name);
  if (!c.ok()) {
    info.state = "Broken";
    info.error = c.status().message() + " (remove it with `berth machine rm -f " + name + "`)";
    return info;
  }
  info.has_config = true;
  info.config = *c;
  auto st = driver_.State(*c);
  if (!st.ok()) {
    info.state = "Error";
    info.error = st.status().message();
  } else {
    info.state = StateName(*st);
    if (*st == MachineState::kMissing)
      info.error = "libvirt domain " + c->domain + " is gone; `berth machine start " + name +
                   "` defines it again";
  }
  if (c->phase == "creating" && info.state != "Running") {
    info.error =
        "create did not finish (interrupted?); remove it with `berth machine rm -f " + name + "`";
  }
  return info;
}

Result<std::vector<MachineInfo>> Manager::List() {
  BERTH_ASSIGN_OR_RETURN(auto names, store_.List());
  std::vector<MachineInfo> out;
  for (const auto& n : names) {
    auto info = Inspect(n);
    if (info.ok()) out.push_back(*info);
  }
  return out;
}

}  // namespace berth::machine
