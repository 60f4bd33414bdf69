#include "runtime/container_manager.h"

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <random>

#include "base/file_util.h"
#include "base/subprocess.h"
#include "runtime/api_router.h"
#include "runtime/container_live.h"
#include "runtime/host_ops.h"
#include "runtime/network_manager.h"
#include "runtime/volume_store.h"

namespace berth::runtime {
namespace {

const char* kAdjectives[] = {"brave", "calm",   "eager", "fond",  "happy", "jolly",
                             "keen",  "lucid",  "merry", "nifty", "proud", "quiet",
                             "sharp", "tender", "vivid", "witty"};
const char* kNouns[] = {"albatross", "beacon",   "cutter",  "dinghy",     "ferry",   "galleon",
                        "harbor",    "jetty",    "keel",    "lighthouse", "mooring", "pier",
                        "quay",      "schooner", "tugboat", "wharf"};

bool ValidName(const std::string& n) {
  return !n.empty() && isalnum(static_cast<unsigned char>(n[0])) &&
         n.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ==
             std::string::npos;
}

}  // namespace

ContainerManager::ContainerManager(ManagerOptions opts, ImageStore& images, EventBus& events,
                                   VolumeStore& volumes, NetworkManager* networks)
    : opts_(std::move(opts)),
      images_(images),
      events_(events),
      volumes_(volumes),
      networks_(networks) {}

ContainerManager::~ContainerManager() = default;

Status ContainerManager::SaveLocked(const Live& c) {
  if (c.rec.spec.auto_remove) return SaveStateLocked(c);
  return WriteJsonFileAtomic(Dir(c.rec.id) + "/container.json", ToJson(c.rec), 0600);
}

Status ContainerManager::SaveStateLocked(const Live& c) {
  return WriteEphemeralFile(Dir(c.rec.id) + "/container.json", ToJson(c.rec).dump(), 0600);
}

Status ContainerManager::Load() {
  BERTH_RETURN_IF_ERROR(MakeDirs(opts_.root + "/containers", 0700));
  BERTH_RETURN_IF_ERROR(MakeDirs(opts_.exec_root, 0700));
  DIR* d = opendir((opts_.root + "/containers").c_str());
  if (!d) return ErrnoStatus("open " + opts_.root + "/containers", errno);
  std::vector<std::string> ids;
  while (dirent* e = readdir(d))
    if (std::string(e->d_name).size() == 64) ids.push_back(e->d_name);
  closedir(d);
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& id : ids) {
    std::string path = Dir(id) + "/container.json";
    if (!PathExists(path)) {  // a removal cut short: only debris is left
      (void)Unmount(Dir(id) + "/rootfs");
      (void)RemoveAll(Dir(id));
      continue;
    }
    auto j = ReadJsonFile(path);
    if (!j.ok()) continue;
    auto rec = ContainerFromJson(*j, path);
    if (!rec.ok()) return rec.status();
    auto live = std::make_shared<Live>();
    live->rec = std::move(*rec);
    // Docker's daemon-start rule. Containers killed by the engine's own
    // shutdown (or lost with it) were not stopped by a user.
    const auto& st = live->rec.state;
    const std::string& policy = live->rec.spec.restart_policy;
    bool ran = st.state == RunState::kRunning || st.started_at != kNeverStarted;
    bool failed = st.state == RunState::kRunning || st.exit_code != 0;
    if (ran && (policy == "always" || (policy == "unless-stopped" && !st.stopped_by_user) ||
                (policy == "on-failure" && failed && !st.stopped_by_user)))
      boot_starts_.push_back(id);
    if (live->rec.state.state == RunState::kRunning ||
        live->rec.state.state == RunState::kRemoving) {
      (void)Run({opts_.crun, "--root", opts_.exec_root + "/crun", "delete", "-f", id});
      (void)Unmount(Dir(id) + "/rootfs");
      live->rec.state.state = RunState::kExited;
      live->rec.state.exit_code = 255;
      live->rec.state.pid = 0;
      live->rec.state.finished_at = NowRfc3339();
      (void)SaveLocked(*live);
    }
    containers_[id] = live;
  }
  return Status::Ok();
}

std::vector<std::pair<std::string, Status>> ContainerManager::StartByRestartPolicy() {
  std::vector<std::string> ids;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ids.swap(boot_starts_);
  }
  std::vector<std::pair<std::string, Status>> out;
  for (const auto& id : ids) out.emplace_back(id, Start(id));
  return out;
}

Result<std::shared_ptr<ContainerManager::Live>> ContainerManager::Find(const std::string& ref_in) {
  std::string ref = !ref_in.empty() && ref_in[0] == '/' ? ref_in.substr(1) : ref_in;
  auto it = containers_.find(ref);
  if (it != containers_.end() && !it->second->removed) return it->second;
  for (auto& [id, c] : containers_)
    if (c->rec.spec.name == ref && !c->removed) return c;
  std::shared_ptr<Live> match;
  if (!ref.empty()) {
    for (auto& [id, c] : containers_) {
      if (id.rfind(ref, 0) == 0 && !c->removed) {
        if (match) return InvalidArgument("multiple containers match '" + ref + "'");
        match = c;
      }
    }
  }
  if (match) return match;
  return NotFound("No such container: " + ref_in);
}

Result<std::string> ContainerManager::ResolveId(const std::string& ref) {
  std::lock_guard<std::mutex> lock(mu_);
  BERTH_ASSIGN_OR_RETURN(auto c, Find(ref));
  return c->rec.id;
}

Result<std::string> ContainerManager::Create(ContainerSpec spec) {
  BERTH_ASSIGN_OR_RETURN(ImageRecord image, images_.Resolve(spec.image_ref));
  spec.image_id = image.id;
  if (!spec.endpoints.empty()) {
    if (spec.network_mode == "host" || spec.network_mode == "none")
      return InvalidArgument("container cannot be connected to network " +
                             spec.endpoints[0].network + " with --network " + spec.network_mode);
    if (networks_ == nullptr) return Unsupported("user-defined networks");
    bool primary = spec.network_mode == spec.endpoints[0].network;
    for (auto& ep : spec.endpoints) {
      auto name = networks_->ResolveName(ep.network);
      // Not 404: the docker client takes a 404 from create for a missing
      // image and would try to pull it, hiding this message.
      if (!name.ok()) return InvalidArgument(name.status().message());
      ep.network = *name;
    }
    if (primary) spec.network_mode = spec.endpoints[0].network;
  }
  for (auto& m : spec.mounts) {
    if (!m.volume.empty() || m.source.empty()) {
      BERTH_ASSIGN_OR_RETURN(Json v, volumes_.Create(m.volume, "local", {}));
      m.volume = v["Name"].get<std::string>();
      m.source = volumes_.DataPath(m.volume);
      events_.Publish("volume", "create", m.volume, {{"driver", "local"}});
    } else if (!PathExists(m.source)) {
      BERTH_RETURN_IF_ERROR(MakeDirs(m.source, 0755));  // as dockerd does for -v /host:/ctr
    }
  }
  std::unique_lock<std::mutex> lock(mu_);
  for (const auto& from : spec.volumes_from) {
    std::string ref = from.substr(0, from.find(':'));
    bool ro = from.size() > ref.size() && from.substr(ref.size() + 1) == "ro";
    BERTH_ASSIGN_OR_RETURN(auto src, Find(ref));
    for (auto m : src->rec.spec.mounts) {
      if (ro) m.read_only = true;
      spec.mounts.push_back(m);
    }
  }
  if (spec.name.empty()) {
    std::mt19937 rng(std::random_device{}());
    for (int tries = 0; tries < 100 && spec.name.empty(); ++tries) {
      std::string n = std::string(kAdjectives[rng() % 16]) + "_" + kNouns[rng() % 16];
      if (tries > 20) n += std::to_string(rng() % 1000);
      if (!Find(n).ok()) spec.name = n;
    }
  } else if (!ValidName(spec.name)) {
    return InvalidArgument("Invalid container name (" + spec.name +
                           "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
  } else {
    for (auto& [id, c] : containers_)
      if (c->rec.spec.name == spec.name && !c->removed)
        return AlreadyExists("Conflict. The container name \"/" + spec.name +
                             "\" is already in use by container \"" + id +
                             "\". You have to remove (or rename) that container to be able to "
                             "reuse that name.");
  }
  auto live = std::make_shared<Live>();
  live->rec.id = NewId();
  live->rec.created = NowRfc3339();
  if (spec.hostname.empty()) spec.hostname = live->rec.id.substr(0, 12);
  live->rec.spec = std::move(spec);
  std::string dir = Dir(live->rec.id);
  for (const char* sub : {"/upper", "/work", "/rootfs"})
    BERTH_RETURN_IF_ERROR(MakeDirs(dir + sub, 0700));
  BERTH_RETURN_IF_ERROR(SaveLocked(*live));
  containers_[live->rec.id] = live;
  events_.Publish("container", "create", live->rec.id,
                  {{"name", live->rec.spec.name}, {"image", live->rec.spec.image_ref}});
  return live->rec.id;
}

Status ContainerManager::ConnectNetwork(const std::string& ref, EndpointSpec ep) {
  if (networks_ == nullptr) return Unsupported("network connect");
  std::lock_guard<std::mutex> lock(mu_);
  BERTH_ASSIGN_OR_RETURN(auto c, Find(ref));
  ContainerSpec& s = c->rec.spec;
  if (s.network_mode == "host")
    return InvalidArgument(
        "container cannot be disconnected from host network or connected to "
        "host network");
  if (s.network_mode == "none")
    return InvalidArgument("container " + s.name +
                           " runs with --network none and cannot be "
                           "connected to other networks");
  BERTH_ASSIGN_OR_RETURN(ep.network, networks_->ResolveName(ep.network));
  for (const auto& e : s.endpoints)
    if (e.network == ep.network)
      return AlreadyExists("endpoint with name " + s.name + " already exists in network " +
                           ep.network);
  if (c->rec.state.state == RunState::kRunning && c->rec.state.pid > 0)
    BERTH_RETURN_IF_ERROR(networks_->Connect(c->rec.id, s.name, c->rec.state.pid, ep));
  s.endpoints.push_back(ep);
  events_.Publish("network", "connect", ep.network, {{"container", c->rec.id}});
  return SaveLocked(*c);
}

Status ContainerManager::DisconnectNetwork(const std::string& ref, const std::string& network) {
  if (networks_ == nullptr) return Unsupported("network disconnect");
  std::lock_guard<std::mutex> lock(mu_);
  BERTH_ASSIGN_OR_RETURN(auto c, Find(ref));
  BERTH_ASSIGN_OR_RETURN(std::string name, networks_->ResolveName(network));
  ContainerSpec& s = c->rec.spec;
  auto it = std::find_if(s.endpoints.begin(), s.endpoints.end(),
                         [&](const EndpointSpec& e) { return e.network == name; });
  if (it == s.endpoints.end())
    return NotFound("container " + s.name + " is not connected to network " + name);
  if (c->rec.state.state == RunState::kRunning && c->rec.state.pid > 0) {
    Status st = networks_->Disconnect(c->rec.id, name);
    if (!st.ok() && st.code() != Code::kNotFound) return st;
  }
  s.endpoints.erase(it);
  events_.Publish("network", "disconnect", name, {{"container", c->rec.id}});
  return SaveLocked(*c);
}

Result<ContainerRecord> ContainerManager::Get(const std::string& ref) {
  std::lock_guard<std::mutex> lock(mu_);
  BERTH_ASSIGN_OR_RETURN(auto c, Find(ref));
  return c->rec;
}

std::vector<ContainerRecord> ContainerManager::List() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<ContainerRecord> out;
  for (auto& [id, c] : containers_)
    if (!c->removed) out.push_back(c->rec);
  std::sort(out.begin(), out.end(), [](const ContainerRecord& a, const ContainerRecord& b) {
    return a.created > b.created;
  });
  return out;
}

bool ContainerManager::ImageInUse(const std::string& image_id) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [id, c] : containers_)
    if (!c->removed && c->rec.spec.image_id == image_id) return true;
  return false;
}

std::string ContainerManager::LogPath(const std::string& id) const { return Dir(id) + "/log.json"; }

Status ContainerManager::Rename(const std::string& ref, const std::string& new_name) {
  std::lock_guard<std::mutex> lock(mu_);
  BERTH_ASSIGN_OR_RETURN(auto c, Find(ref));
  if (!ValidName(new_name)) return InvalidArgument("Invalid container name (" + new_name + ")");
  if (Find(new_name).ok())
    return AlreadyExists("Conflict. The container name \"/" + new_name + "\" is already in use");
  c->rec.spec.name = new_name;
  return SaveLocked(*c);
}

Result<int> ContainerManager::Wait(const std::string& ref, const std::string& condition) {
  std::unique_lock<std::mutex> lock(mu_);
  BERTH_ASSIGN_OR_RETURN(auto c, Find(ref));
  uint64_t exits = c->exits;
  if (condition == "removed") {
    cv_.wait(lock, [&] { return c->removed; });
  } else if (condition == "next-exit") {
    cv_.wait(lock, [&] { return c->exits > exits || c->removed; });
  } else if (condition.empty() || condition == "not-running") {
    cv_.wait(lock, [&] {
      return c->removed || (c->rec.state.state != RunState::kRunning && !c->starting);
    });
  } else {
    return InvalidArgument("invalid condition: \"" + condition + "\"");
  }
  return c->rec.state.exit_code;
}

Status ContainerManager::Remove(const std::string& ref, bool force, bool volumes) {
  std::unique_lock<std::mutex> lock(mu_);
  BERTH_ASSIGN_OR_RETURN(auto c, Find(ref));
  if (c->rec.state.state == RunState::kRunning || c->starting) {
    if (!force)
      return FailedPrecondition("cannot remove container \"/" + c->rec.spec.name +
                                "\": container is running: stop the container before removing or "
                                "force remove");
    c->rec.spec.restart_policy = "no";
    c->rec.spec.auto_remove = false;
    uint64_t exits = c->exits;
    if (c->rec.state.pid > 0) kill(c->rec.state.pid, SIGKILL);
    cv_.wait_for(lock, std::chrono::seconds(30), [&] { return c->exits > exits || c->removed; });
    if (c->removed) return Status::Ok();
  }
  lock.unlock();
  return RemoveNow(c, volumes);
}

Status ContainerManager::RemoveNow(std::shared_ptr<Live> c, bool volumes) {
  std::string id = c->rec.id;
  std::vector<std::string> anon;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (c->removed) return Status::Ok();
    // The record goes first: a folder without it is debris that Load()
    // sweeps, so the rest of the removal can happen after the waiters woke.
    std::string record = Dir(id) + "/container.json";
    if (unlink(record.c_str()) != 0 && errno != ENOENT)
      return ErrnoStatus("remove container " + id, errno);
    c->removed = true;
    containers_.erase(id);
    for (const auto& m : c->rec.spec.mounts)
      if (!m.volume.empty() && m.volume.size() == 64) anon.push_back(m.volume);
    cv_.notify_all();
  }
  events_.Publish("container", "destroy", id,
                  {{"name", c->rec.spec.name}, {"image", c->rec.spec.image_ref}});
  (void)Unmount(Dir(id) + "/rootfs");
  Status st = RemoveAll(Dir(id));
  if (volumes)
    for (const auto& v : anon) (void)volumes_.Remove(v, true, false);
  return st;
}

void ContainerManager::Shutdown() {
  std::vector<int> pids;
  {
    std::lock_guard<std::mutex> lock(mu_);
    shutting_down_ = true;
    for (auto& [id, c] : containers_)
      if (c->rec.state.state == RunState::kRunning && c->rec.state.pid > 0)
        pids.push_back(c->rec.state.pid);
  }
  for (int pid : pids) kill(pid, SIGKILL);
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, std::chrono::seconds(10), [&] {
    for (auto& [id, c] : containers_)
      if (c->rec.state.state == RunState::kRunning) return false;
    return true;
  });
}

}  // namespace berth::runtime
