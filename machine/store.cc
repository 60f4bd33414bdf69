#include "machine/store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>

#include "base/file_util.h"

namespace berth::machine {

Store::Store(std::string home) : home_(std::move(home)) {}

std::string Store::MachineDir(const std::string& name) const { return home_ + "/machines/" + name; }

std::string Store::PathOf(const std::string& name, const std::string& file) const {
  return MachineDir(name) + "/" + file;
}

Status Store::Init() const { return MakeDirs(home_ + "/machines", 0700); }

Status Store::Reserve(const std::string& name) const {
  BERTH_RETURN_IF_ERROR(Init());
  if (mkdir(MachineDir(name).c_str(), 0700) != 0) {
    if (errno == EEXIST) return AlreadyExists("machine '" + name + "' already exists");
    return ErrnoStatus("create folder " + MachineDir(name), errno);
  }
  return Status::Ok();
}

bool Store::Exists(const std::string& name) const { return PathExists(MachineDir(name)); }

Result<MachineConfig> Store::Load(const std::string& name) const {
  if (!Exists(name)) return NotFound("no machine named '" + name + "' (see `berth machine ls`)");
  std::string path = PathOf(name, "config.json");
  BERTH_ASSIGN_OR_RETURN(Json j, ReadJsonFile(path));
  return FromJson(j, path);
}

Status Store::Save(const MachineConfig& config) const {
  return WriteJsonFileAtomic(PathOf(config.name, "config.json"), ToJson(config), 0600);
}

Result<std::vector<std::string>> Store::List() const {
  std::vector<std::string> names;
  std::error_code ec;
  std::filesystem::directory_iterator it(home_ + "/machines", ec);
  if (ec) {
    if (ec == std::errc::no_such_file_or_directory) return names;
    return ErrnoStatus("list " + home_ + "/machines", ec.value());
  }
  for (const auto& e : it)
    if (e.is_directory()) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

Status Store::Remove(const std::string& name) const { return RemoveAll(MachineDir(name)); }

Result<StoreLock> Store::Lock() const {
  BERTH_RETURN_IF_ERROR(Init());
  std::string path = home_ + "/.lock";
  UniqueFd fd(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd) return ErrnoStatus("open " + path, errno);
  while (flock(fd.get(), LOCK_EX) != 0) {
    if (errno != EINTR) return ErrnoStatus("lock " + path, errno);
  }
  return StoreLock(std::move(fd));
}

}  // namespace berth::machine
