// Pull and push over the OCI distribution API (libcurl), for the lab
// registry: plain HTTP for loopback/lab registries, HTTPS otherwise. No
// authentication (the lab registry has none).
#pragma once

#include <functional>
#include <string>

#include "base/status.h"
#include "runtime/image_store.h"

namespace berth::runtime {

struct RegistryRef {
  std::string host;  // "127.0.0.1:5000"
  std::string repo;  // "library/busybox" or "busybox"
  std::string tag;   // "latest"
  std::string Normalized() const { return host + "/" + repo + ":" + tag; }
};

// Splits "HOST[:PORT]/REPO[:TAG]". A reference without a registry host
// (e.g. "busybox") is refused: berthd has no default registry.
Result<RegistryRef> ParseRegistryRef(const std::string& ref);

// `progress` receives one human line per step (shown by the docker client).
using Progress = std::function<void(const std::string&)>;

// Pulls `ref` into `store` and tags it as `local_tag` (ref.Normalized() when
// empty).
Status Pull(ImageStore& store, const RegistryRef& ref, const std::string& tmp_dir,
            const Progress& progress, const std::string& local_tag = "");

// Maps Docker Hub references ("docker.io/library/busybox:1") onto
// `default_registry` ("10.0.2.100:5000/busybox:1"); other references are
// returned as they are. Without a default registry, Docker Hub references are
// refused: berthd never talks to the internet.
Result<std::string> ResolveRegistry(const std::string& ref, const std::string& default_registry);
// Pushes the local image tagged ref.Normalized().
Status Push(ImageStore& store, const RegistryRef& ref, const Progress& progress);

}  // namespace berth::runtime
