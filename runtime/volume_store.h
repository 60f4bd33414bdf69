// VolumeStore: named local volumes under ROOT/volumes/NAME/{_data, volume.json}.
// Volumes outlive containers; a volume in use cannot be removed. Thread-safe.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "base/json_util.h"
#include "base/status.h"

namespace berth::runtime {

class VolumeStore {
 public:
  explicit VolumeStore(std::string root) : root_(root + "/volumes") {}
  // Creates the volume (or returns the existing one). Empty name: anonymous.
  Result<Json> Create(const std::string& name, const std::string& driver,
                      const std::map<std::string, std::string>& labels);
  Result<Json> Inspect(const std::string& name);
  std::vector<Json> List();
  Status Remove(const std::string& name, bool force, bool in_use);
  std::string DataPath(const std::string& name) const { return root_ + "/" + name + "/_data"; }
  bool Exists(const std::string& name);

 private:
  std::string root_;
  std::mutex mu_;
};

// Volume names Docker accepts: [a-zA-Z0-9][a-zA-Z0-9_.-]*
bool ValidVolumeName(const std::string& name);

}  // namespace berth::runtime
