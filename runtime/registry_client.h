// Pull and push over the OCI distribution API (libcurl), for the lab
// registry: plain HTTP for loopback/lab registries, HTTPS otherwise. No
// authentication (the lab registry has none).
#pragma once

#include <functional>
#include <string>
#include <vector>

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

// The distribution API's building blocks, also used on the host by `berth
// registry push` (provisioners/lab_registry).
struct RegistryReply {
  long code = 0;
  std::string body;      // empty when `out_fd` received it
  std::string location;  // the Location header
};
// "http://HOST" for loopback and 10.x registries, "https://HOST" otherwise.
std::string BaseUrl(const RegistryRef& ref);
// One request. `body_fd` >= 0 uploads that file instead of `body`; `out_fd`
// >= 0 receives the response body. Any HTTP status is a reply; transport
// errors are kUnavailable.
Result<RegistryReply> RegistryRequest(const std::string& method, const std::string& url,
                                      const std::vector<std::string>& headers,
                                      const std::string& body, int body_fd = -1, int out_fd = -1);
// Uploads blob `digest` to `repo_url` (BaseUrl + "/v2/" + repo) unless the
// registry has it: the content of `fd`, or `data` when fd < 0.
Status PushBlob(const std::string& repo_url, const std::string& digest, int fd,
                const std::string& data, const Progress& progress);
// PUT of a manifest under `tag`.
Status PushManifest(const std::string& repo_url, const std::string& tag,
                    const std::string& media_type, const std::string& body);

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
