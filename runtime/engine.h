// Engine: everything the API handlers act on, owned in one place.
#pragma once

#include <memory>
#include <string>

#include "runtime/bridge_network_manager.h"
#include "runtime/container_manager.h"
#include "runtime/events.h"
#include "runtime/image_store.h"
#include "runtime/volume_store.h"

namespace berth::runtime {

struct EngineOptions {
  std::string root = "/var/lib/berth/engine";
  std::string exec_root = "/run/berth";
  std::string crun = "crun";
  std::string cgroup_parent = "/berth";
  std::string name;              // reported by `docker info` (defaults to the hostname)
  std::string default_registry;  // serves Docker Hub names, e.g. "10.0.2.100:5000"
};

class Engine {
 public:
  static Result<std::unique_ptr<Engine>> Open(const EngineOptions& opts);
  ~Engine();

  const EngineOptions& options() const { return opts_; }
  ImageStore& images() { return *images_; }
  ContainerManager& containers() { return *containers_; }
  VolumeStore& volumes() { return *volumes_; }
  BridgeNetworkManager& networks() { return *networks_; }
  EventBus& events() { return events_; }
  const std::string& id() const { return id_; }
  // Path for spilling request bodies (image loads).
  std::string TempPath(const std::string& prefix) const;

 private:
  explicit Engine(EngineOptions opts) : opts_(std::move(opts)) {}
  EngineOptions opts_;
  std::string id_;
  EventBus events_;
  std::unique_ptr<ImageStore> images_;
  std::unique_ptr<VolumeStore> volumes_;
  std::unique_ptr<BridgeNetworkManager> networks_;  // outlives containers_
  std::unique_ptr<ContainerManager> containers_;
};

}  // namespace berth::runtime
