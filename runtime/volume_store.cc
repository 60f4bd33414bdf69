#include "runtime/volume_store.h"

#include <dirent.h>

#include "base/file_util.h"
#include "runtime/container.h"

namespace berth::runtime {

bool ValidVolumeName(const std::string& name) {
  if (name.empty() || !isalnum(static_cast<unsigned char>(name[0]))) return false;
  return name.find_first_not_of(
             "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ==
         std::string::npos;
}

bool VolumeStore::Exists(const std::string& name) {
  return ValidVolumeName(name) && PathExists(root_ + "/" + name + "/volume.json");
}

Result<Json> VolumeStore::Create(const std::string& name_in, const std::string& driver,
                                 const std::map<std::string, std::string>& labels) {
  std::string name = name_in.empty() ? NewId() : name_in;
  if (!ValidVolumeName(name))
    return InvalidArgument("create " + name + ": \"" + name +
                           "\" includes invalid characters for a local volume name, only "
                           "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed");
  if (!driver.empty() && driver != "local")
    return InvalidArgument("berthd does not support volume driver \"" + driver + "\" (only local)");
  std::lock_guard<std::mutex> lock(mu_);
  std::string meta = root_ + "/" + name + "/volume.json";
  if (PathExists(meta)) {
    BERTH_ASSIGN_OR_RETURN(Json j, ReadJsonFile(meta));
    return j["volume"];
  }
  BERTH_RETURN_IF_ERROR(MakeDirs(root_ + "/" + name + "/_data", 0755));
  Json v = {{"Name", name},
            {"Driver", "local"},
            {"Mountpoint", DataPath(name)},
            {"CreatedAt", NowRfc3339()},
            {"Labels", labels},
            {"Scope", "local"},
            {"Options", Json::object()}};
  if (labels.empty()) v["Labels"] = Json::object();
  BERTH_RETURN_IF_ERROR(WriteJsonFileAtomic(meta, {{"version", 1}, {"volume", v}}, 0600));
  return v;
}

Result<Json> VolumeStore::Inspect(const std::string& name) {
  if (!Exists(name)) return NotFound("get " + name + ": no such volume");
  std::string meta = root_ + "/" + name + "/volume.json";
  BERTH_ASSIGN_OR_RETURN(Json j, ReadJsonFile(meta));
  BERTH_RETURN_IF_ERROR(CheckStateVersion(j, 1, meta).status());
  return j["volume"];
}

std::vector<Json> VolumeStore::List() {
  std::vector<Json> out;
  if (DIR* d = opendir(root_.c_str())) {
    while (dirent* e = readdir(d)) {
      auto v = Inspect(e->d_name);
      if (v.ok()) out.push_back(*v);
    }
    closedir(d);
  }
  return out;
}

Status VolumeStore::Remove(const std::string& name, bool force, bool in_use) {
  if (!Exists(name)) return force ? Status::Ok() : NotFound("get " + name + ": no such volume");
  if (in_use) return FailedPrecondition("remove " + name + ": volume is in use");
  std::lock_guard<std::mutex> lock(mu_);
  return RemoveAll(root_ + "/" + name);
}

}  // namespace berth::runtime
