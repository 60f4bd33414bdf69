// OCI runtime bundle generation: the config.json crun runs a container from.
#pragma once

#include <string>
#include <vector>

#include "base/json_util.h"
#include "runtime/container.h"

namespace berth::runtime {

// Docker's default capability set for containers.
const std::vector<std::string>& DefaultCapabilities();

// Applies --cap-add/--cap-drop ("ALL" allowed, names with or without "CAP_").
Result<std::vector<std::string>> EffectiveCapabilities(const std::vector<std::string>& add,
                                                       const std::vector<std::string>& drop);

struct BundleInput {
  std::vector<std::string> args;  // entrypoint + cmd, resolved
  std::vector<std::string> env;   // image env overridden by the container's
  std::string cwd = "/";
  uint32_t uid = 0, gid = 0;
  std::vector<uint32_t> additional_gids;
  std::string rootfs;  // absolute path of the mounted root
  std::string hostname;
  std::string cgroups_path;         // e.g. "/berth/<id>"
  std::string netns_path;           // join this netns; empty: a new one; "host": none
  std::vector<Mount> extra_mounts;  // volumes, binds, /etc/hosts & co.
};

// Builds the OCI config for `spec` (limits, read-only root, capabilities, tty).
Result<Json> BuildOciConfig(const ContainerSpec& spec, const BundleInput& in);

// The OCI "process" object alone, for `crun exec --process`.
Json BuildOciProcess(const std::vector<std::string>& args, const std::vector<std::string>& env,
                     const std::string& cwd, uint32_t uid, uint32_t gid, bool tty,
                     const std::vector<std::string>& caps);

// Merges "K=V" lists: entries of `over` replace those of `base` with the same K.
std::vector<std::string> MergeEnv(const std::vector<std::string>& base,
                                  const std::vector<std::string>& over);

// Resolves Docker's --user ("uid", "uid:gid", "name", "name:group") against the
// container's /etc/passwd and /etc/group under `rootfs`.
Result<std::pair<uint32_t, uint32_t>> ResolveUser(const std::string& user,
                                                  const std::string& rootfs);

}  // namespace berth::runtime
