#include "runtime/engine.h"

#include <unistd.h>

#include <cstdio>

#include "base/file_util.h"
#include "base/json_util.h"

namespace berth::runtime {

Result<std::unique_ptr<Engine>> Engine::Open(const EngineOptions& opts) {
  std::unique_ptr<Engine> e(new Engine(opts));
  BERTH_RETURN_IF_ERROR(MakeDirs(opts.root, 0700));
  BERTH_RETURN_IF_ERROR(MakeDirs(opts.root + "/tmp", 0700));
  std::string id_path = opts.root + "/engine.json";
  if (PathExists(id_path)) {
    BERTH_ASSIGN_OR_RETURN(Json j, ReadJsonFile(id_path));
    BERTH_RETURN_IF_ERROR(CheckStateVersion(j, 1, id_path).status());
    e->id_ = j.value("id", "");
  }
  if (e->id_.empty()) {
    e->id_ = NewId();
    BERTH_RETURN_IF_ERROR(WriteJsonFileAtomic(id_path, {{"version", 1}, {"id", e->id_}}, 0600));
  }
  if (e->opts_.name.empty()) {
    char host[256] = {};
    gethostname(host, sizeof(host) - 1);
    e->opts_.name = host;
  }
  BERTH_ASSIGN_OR_RETURN(e->images_, ImageStore::Open(opts.root));
  e->volumes_ = std::make_unique<VolumeStore>(opts.root);
  BERTH_RETURN_IF_ERROR(MakeDirs(opts.root + "/volumes", 0700));
  BERTH_ASSIGN_OR_RETURN(e->networks_, BridgeNetworkManager::Open(opts.root));
  ManagerOptions mo{opts.root, opts.exec_root, opts.crun, opts.cgroup_parent};
  e->containers_ = std::make_unique<ContainerManager>(mo, *e->images_, e->events_, *e->volumes_,
                                                      e->networks_.get());
  BERTH_RETURN_IF_ERROR(e->containers_->Load());
  for (const auto& [id, st] : e->containers_->StartByRestartPolicy())
    if (!st.ok())
      std::fprintf(stderr, "berthd: restart policy: cannot start container %s: %s\n",
                   id.substr(0, 12).c_str(), st.message().c_str());
  return e;
}

Engine::~Engine() {
  if (containers_) containers_->Shutdown();
}

std::string Engine::TempPath(const std::string& prefix) const {
  return opts_.root + "/tmp/" + prefix + "-" + NewId().substr(0, 16);
}

}  // namespace berth::runtime
