#include "runtime/image_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "base/fd.h"
#include "base/file_util.h"
#include "runtime/digest.h"
#include "runtime/tar.h"

namespace berth::runtime {
namespace {

constexpr int kTagsVersion = 1;

bool ValidRefChars(const std::string& s) {
  return !s.empty() &&
         s.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789._-/:") == std::string::npos;
}

}  // namespace

Result<std::string> NormalizeRef(const std::string& ref) {
  std::string r = ref;
  if (r.find('@') != std::string::npos)
    return InvalidArgument("image reference '" + ref + "': digest references are not supported");
  for (const char* p : {"docker.io/library/", "docker.io/", "index.docker.io/library/"})
    if (r.rfind(p, 0) == 0) r = r.substr(strlen(p));
  size_t slash = r.rfind('/');
  size_t colon = r.rfind(':');
  if (colon == std::string::npos || (slash != std::string::npos && colon < slash)) r += ":latest";
  if (!ValidRefChars(r) || r.front() == ':' || r.back() == ':')
    return InvalidArgument("invalid reference format: '" + ref + "'");
  return r;
}

Result<std::unique_ptr<ImageStore>> ImageStore::Open(const std::string& root) {
  for (const char* sub : {"/image/layers", "/image/configs", "/image/tmp"})
    BERTH_RETURN_IF_ERROR(MakeDirs(root + sub, 0700));
  (void)RemoveAll(root + "/image/tmp");  // half-imported layers from a crash
  BERTH_RETURN_IF_ERROR(MakeDirs(root + "/image/tmp", 0700));
  std::unique_ptr<ImageStore> store(new ImageStore(root + "/image"));
  BERTH_RETURN_IF_ERROR(store->LoadTags());
  return store;
}

Status ImageStore::LoadTags() {
  std::string path = root_ + "/repositories.json";
  if (!PathExists(path)) return Status::Ok();
  BERTH_ASSIGN_OR_RETURN(Json j, ReadJsonFile(path));
  BERTH_RETURN_IF_ERROR(CheckStateVersion(j, kTagsVersion, path).status());
  Json tags = j.value("tags", Json::object());  // items() must not outlive it
  for (auto& [k, v] : tags.items()) tags_[k] = v.get<std::string>();
  return Status::Ok();
}

Status ImageStore::SaveTagsLocked() {
  Json j = {{"version", kTagsVersion}, {"tags", tags_}};
  return WriteJsonFileAtomic(root_ + "/repositories.json", j, 0600);
}

Result<std::string> ImageStore::ImportLayer(ByteSource* raw) {
  char tmpl[4096];
  snprintf(tmpl, sizeof(tmpl), "%s/tmp/layer-XXXXXX", root_.c_str());
  if (!mkdtemp(tmpl)) return ErrnoStatus("create layer temp folder", errno);
  std::string tmp = tmpl;
  BERTH_RETURN_IF_ERROR(MakeDirs(tmp + "/diff", 0755));
  UniqueFd copy(open((tmp + "/layer.tar").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
  if (!copy) return ErrnoStatus("create layer tar copy", errno);
  TeeSource tee(raw, copy.get());
  auto stats = ExtractLayer(&tee, tmp + "/diff");
  if (!stats.ok()) {
    (void)RemoveAll(tmp);
    return stats.status().WithContext("extract layer");
  }
  auto digest = tee.Finish();
  if (!digest.ok()) {
    (void)RemoveAll(tmp);
    return digest.status();
  }
  std::string diff_id = *digest;
  Json meta = {{"version", 1}, {"diff_id", diff_id}, {"size", tee.size()}};
  BERTH_RETURN_IF_ERROR(WriteJsonFileAtomic(tmp + "/layer.json", meta, 0600));
  std::string final_dir = root_ + "/layers/" + DigestHex(diff_id);
  if (PathExists(final_dir)) {
    (void)RemoveAll(tmp);  // the same content is stored already
  } else if (rename(tmp.c_str(), final_dir.c_str()) != 0) {
    (void)RemoveAll(tmp);
    return ErrnoStatus("store layer " + diff_id, errno);
  }
  return diff_id;
}

Status ImageStore::Sync() const {
  UniqueFd dir(open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir) return ErrnoStatus("open " + root_, errno);
  if (syncfs(dir.get()) != 0) return ErrnoStatus("syncfs " + root_, errno);
  return Status::Ok();
}

Result<std::string> ImageStore::PutConfig(const std::string& bytes) {
  BERTH_ASSIGN_OR_RETURN(Json config, ParseJson(bytes, "image config"));
  if (!config.is_object() || !config.contains("rootfs"))
    return InvalidArgument("image config has no rootfs");
  for (const auto& d : config["rootfs"].value("diff_ids", Json::array())) {
    std::string id = d.get<std::string>();
    if (!IsDigest(id) || !PathExists(root_ + "/layers/" + DigestHex(id)))
      return InvalidArgument("image config names layer " + id + " that was not provided");
  }
  std::string id = Sha256Digest(bytes);
  BERTH_RETURN_IF_ERROR(
      WriteFileAtomic(root_ + "/configs/" + DigestHex(id) + ".json", bytes, 0600));
  return id;
}

std::string ImageStore::ConfigBytes(const std::string& id) const {
  auto r = ReadFile(root_ + "/configs/" + DigestHex(id) + ".json");
  return r.ok() ? *r : "";
}

Result<ImageRecord> ImageStore::RecordLocked(const std::string& id) const {
  BERTH_ASSIGN_OR_RETURN(Json config, ReadJsonFile(root_ + "/configs/" + DigestHex(id) + ".json"));
  ImageRecord rec;
  rec.id = id;
  rec.config = config;
  for (const auto& d : config["rootfs"].value("diff_ids", Json::array())) {
    rec.diff_ids.push_back(d.get<std::string>());
    auto meta = ReadJsonFile(root_ + "/layers/" + DigestHex(rec.diff_ids.back()) + "/layer.json");
    if (meta.ok()) rec.size += meta->value("size", int64_t{0});
  }
  for (const auto& [ref, tid] : tags_)
    if (tid == id) rec.tags.push_back(ref);
  return rec;
}

Result<ImageRecord> ImageStore::Resolve(const std::string& ref) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto norm = NormalizeRef(ref);
  if (norm.ok()) {
    auto it = tags_.find(*norm);
    if (it != tags_.end()) return RecordLocked(it->second);
  }
  std::string hex = ref.rfind("sha256:", 0) == 0 ? ref.substr(7) : ref;
  if (hex.size() >= 4 && hex.find_first_not_of("0123456789abcdef") == std::string::npos) {
    std::string match;
    if (DIR* d = opendir((root_ + "/configs").c_str())) {
      while (dirent* ent = readdir(d)) {
        std::string name = ent->d_name;
        if (name.rfind(hex, 0) == 0 && name.size() == 69) {
          if (!match.empty()) {
            closedir(d);
            return InvalidArgument("image id prefix '" + ref + "' is ambiguous");
          }
          match = "sha256:" + name.substr(0, 64);
        }
      }
      closedir(d);
    }
    if (!match.empty()) return RecordLocked(match);
  }
  return NotFound("No such image: " + ref);
}

std::vector<ImageRecord> ImageStore::List() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<ImageRecord> out;
  if (DIR* d = opendir((root_ + "/configs").c_str())) {
    while (dirent* ent = readdir(d)) {
      std::string name = ent->d_name;
      if (name.size() != 69) continue;
      auto rec = RecordLocked("sha256:" + name.substr(0, 64));
      if (rec.ok()) out.push_back(std::move(*rec));
    }
    closedir(d);
  }
  return out;
}

Status ImageStore::Tag(const std::string& ref, const std::string& new_ref) {
  BERTH_ASSIGN_OR_RETURN(ImageRecord rec, Resolve(ref));
  BERTH_ASSIGN_OR_RETURN(std::string norm, NormalizeRef(new_ref));
  std::lock_guard<std::mutex> lock(mu_);
  tags_[norm] = rec.id;
  return SaveTagsLocked();
}

Result<std::vector<Json>> ImageStore::Remove(
    const std::string& ref, bool force, const std::function<bool(const std::string&)>& in_use) {
  BERTH_ASSIGN_OR_RETURN(ImageRecord rec, Resolve(ref));
  std::vector<Json> report;
  std::lock_guard<std::mutex> lock(mu_);
  auto norm = NormalizeRef(ref);
  bool by_tag = norm.ok() && tags_.count(*norm);
  if (!by_tag && rec.tags.size() > 1 && !force)
    return FailedPrecondition("conflict: unable to delete " + rec.id.substr(7, 12) +
                              " (must be forced) - image is referenced in multiple repositories");
  size_t remaining = rec.tags.size();
  if (by_tag && remaining > 1) {
    tags_.erase(*norm);
    report.push_back({{"Untagged", *norm}});
    BERTH_RETURN_IF_ERROR(SaveTagsLocked());
    return report;
  }
  if (in_use(rec.id) && !force)
    return FailedPrecondition("conflict: unable to remove repository reference \"" + ref +
                              "\" (must force) - image " + rec.id.substr(7, 12) +
                              " is being used by a container");
  for (const auto& t : rec.tags) {
    tags_.erase(t);
    report.push_back({{"Untagged", t}});
  }
  BERTH_RETURN_IF_ERROR(SaveTagsLocked());
  if (in_use(rec.id)) return report;  // forced: keep the content for the container
  unlink((root_ + "/configs/" + DigestHex(rec.id) + ".json").c_str());
  report.push_back({{"Deleted", rec.id}});
  // Layers no other image references are deleted too.
  std::vector<std::string> still_used;
  if (DIR* d = opendir((root_ + "/configs").c_str())) {
    while (dirent* ent = readdir(d)) {
      std::string name = ent->d_name;
      if (name.size() != 69) continue;
      auto other = RecordLocked("sha256:" + name.substr(0, 64));
      if (other.ok())
        still_used.insert(still_used.end(), other->diff_ids.begin(), other->diff_ids.end());
    }
    closedir(d);
  }
  for (const auto& l : rec.diff_ids) {
    if (std::find(still_used.begin(), still_used.end(), l) != still_used.end()) continue;
    (void)RemoveAll(root_ + "/layers/" + DigestHex(l));
    report.push_back({{"Deleted", l}});
  }
  return report;
}

std::vector<std::string> ImageStore::LayerDirs(const ImageRecord& image) const {
  std::vector<std::string> dirs;
  for (auto it = image.diff_ids.rbegin(); it != image.diff_ids.rend(); ++it)
    dirs.push_back(root_ + "/layers/" + DigestHex(*it) + "/diff");
  return dirs;
}

std::string ImageStore::LayerTarPath(const std::string& diff_id) const {
  return root_ + "/layers/" + DigestHex(diff_id) + "/layer.tar";
}

}  // namespace berth::runtime
