#include "provisioners/lab_registry.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <thread>

#include "base/fd.h"
#include "base/file_util.h"
#include "base/json_util.h"
#include "base/subprocess.h"
#include "machine/allocator.h"
#include "machine/store.h"
#include "runtime/registry_client.h"

namespace berth::provisioners {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// GET on the registry; a transport error or another status is "no".
bool Answers(const std::string& url, std::string* body = nullptr) {
  auto r = runtime::RegistryRequest("GET", url, {}, "");
  if (!r.ok() || r->code != 200) return false;
  if (body) *body = r->body;
  return true;
}

bool IsRegistryProcess(int pid) {
  auto comm = ReadFile("/proc/" + std::to_string(pid) + "/comm");
  return comm.ok() && comm->rfind("docker-registry", 0) == 0;
}

}  // namespace

Result<int> LabRegistry::Port() const {
  machine::Store store(home_);
  BERTH_ASSIGN_OR_RETURN(auto lock, store.Lock());
  machine::BindPortProbe probe;
  return machine::RegistryPort(home_, probe, "127.0.0.1", machine::KernelEphemeralPorts());
}

int LabRegistry::RunningPid() const {
  auto j = ReadJsonFile(Dir() + "/registry.pid");
  if (!j.ok() || !j->is_object()) return 0;
  int pid = j->value("pid", 0);
  return pid > 0 && kill(pid, 0) == 0 && IsRegistryProcess(pid) ? pid : 0;
}

Result<RegistryStatus> LabRegistry::Inspect() const {
  RegistryStatus s;
  BERTH_ASSIGN_OR_RETURN(s.port, Port());
  s.address = "127.0.0.1:" + std::to_string(s.port);
  s.storage = Dir() + "/data";
  s.pid = RunningPid();
  s.running = s.pid != 0;
  if (s.running) {
    std::string body;
    if (Answers("http://" + s.address + "/v2/_catalog", &body)) {
      auto j = ParseJson(body, "catalog");
      if (j.ok() && j->contains("repositories") && (*j)["repositories"].is_array())
        for (const auto& name : (*j)["repositories"])
          s.repositories.push_back(name.get<std::string>());
    }
  }
  return s;
}

Status LabRegistry::Start(seconds timeout) {
  if (RunningPid() != 0) return Status::Ok();
  std::string program = FindProgram("docker-registry");
  if (program.empty())
    return FailedPrecondition("docker-registry is not installed: apt-get install docker-registry");
  if (FindProgram("socat").empty())
    return FailedPrecondition(
        "socat is not installed (machines reach the registry through it): apt-get install socat");
  BERTH_ASSIGN_OR_RETURN(int port, Port());
  const std::string address = "127.0.0.1:" + std::to_string(port);
  BERTH_RETURN_IF_ERROR(MakeDirs(Dir() + "/data"));
  const std::string config = Dir() + "/config.yml";
  BERTH_RETURN_IF_ERROR(WriteFileAtomic(config,
                                        "# Written by `berth registry start`.\n"
                                        "version: 0.1\n"
                                        "log:\n  level: warn\n"
                                        "storage:\n  filesystem:\n    rootdirectory: " +
                                            Dir() +
                                            "/data\n  delete:\n    enabled: true\n"
                                            "http:\n  addr: " +
                                            address + "\n"));
  const std::string log = Dir() + "/registry.log";
  BERTH_ASSIGN_OR_RETURN(int pid, SpawnDetached({program, "serve", config}, log));
  BERTH_RETURN_IF_ERROR(
      WriteJsonFileAtomic(Dir() + "/registry.pid", Json{{"pid", pid}, {"port", port}}));
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (Answers("http://" + address + "/v2/")) return Status::Ok();
    if (kill(pid, 0) != 0) break;
    std::this_thread::sleep_for(milliseconds(100));
  }
  Stop(seconds(2)).ok();
  std::string tail = ReadFile(log).value_or("");
  if (tail.size() > 600) tail = tail.substr(tail.size() - 600);
  return Unavailable("docker-registry did not answer on " + address + " within " +
                     std::to_string(timeout.count()) + "s (is the port taken? log " + log + "):\n" +
                     tail);
}

Status LabRegistry::Stop(seconds grace) {
  int pid = RunningPid();
  if (pid != 0) {
    kill(pid, SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + grace;
    while (kill(pid, 0) == 0 && IsRegistryProcess(pid) &&
           std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(milliseconds(50));
    if (kill(pid, 0) == 0 && IsRegistryProcess(pid)) kill(pid, SIGKILL);
  }
  std::remove((Dir() + "/registry.pid").c_str());
  return Status::Ok();
}

Status LabRegistry::Push(const std::string& archive, const std::string& ref) const {
  size_t colon = ref.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == ref.size() ||
      (ref.find('/') != std::string::npos && ref.rfind('/') > colon))
    return InvalidArgument("image reference '" + ref + "' must be NAME:TAG, e.g. busybox:latest");
  const std::string repo = ref.substr(0, colon), tag = ref.substr(colon + 1);
  if (RunningPid() == 0)
    return FailedPrecondition("the lab registry is not running: berth registry start");
  BERTH_ASSIGN_OR_RETURN(int port, Port());
  const std::string base = "http://127.0.0.1:" + std::to_string(port) + "/v2/" + repo;

  char tmpl[] = "/tmp/berth-push-XXXXXX";
  if (!mkdtemp(tmpl)) return ErrnoStatus("mkdtemp", errno);
  const std::string dir = tmpl;
  struct Cleanup {
    std::string d;
    ~Cleanup() { RemoveAll(d).ok(); }
  } cleanup{dir};
  BERTH_RETURN_IF_ERROR(
      RunChecked({"tar", "-xf", archive, "-C", dir}).status().WithContext("unpack " + archive));
  if (!PathExists(dir + "/index.json"))
    return InvalidArgument(archive +
                           " is not an OCI image layout archive (no index.json); "
                           "images/busybox-image writes one");
  BERTH_ASSIGN_OR_RETURN(Json index, ReadJsonFile(dir + "/index.json"));
  if (!index.contains("manifests") || !index["manifests"].is_array() || index["manifests"].empty())
    return InvalidArgument(archive + ": index.json lists no manifest");
  auto blob_path = [&](const std::string& digest) {
    return dir + "/blobs/" + digest.substr(0, digest.find(':')) + "/" +
           digest.substr(digest.find(':') + 1);
  };
  const std::string manifest_digest = index["manifests"][0].value("digest", "");
  BERTH_ASSIGN_OR_RETURN(std::string manifest_text, ReadFile(blob_path(manifest_digest)));
  BERTH_ASSIGN_OR_RETURN(Json manifest, ParseJson(manifest_text, "manifest"));
  std::vector<std::string> blobs = {manifest["config"].value("digest", "")};
  for (const auto& l : manifest.value("layers", Json::array()))
    blobs.push_back(l.value("digest", ""));
  auto quiet = [](const std::string&) {};
  for (const auto& digest : blobs) {
    UniqueFd fd(open(blob_path(digest).c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return ErrnoStatus("open blob " + digest + " of " + archive, errno);
    BERTH_RETURN_IF_ERROR(runtime::PushBlob(base, digest, fd.get(), "", quiet));
  }
  std::string media = manifest.value("mediaType", "application/vnd.oci.image.manifest.v1+json");
  return runtime::PushManifest(base, tag, media, manifest_text).WithContext("push " + ref);
}

}  // namespace berth::provisioners
