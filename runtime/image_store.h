// ImageStore: content-addressed images on disk.
//
//   ROOT/image/layers/HEX/{diff/, layer.tar, layer.json}   HEX = diff_id hex
//   ROOT/image/configs/HEX.json                            image id = sha256:HEX
//   ROOT/image/repositories.json                           tags -> image id
//
// Layers are stored extracted (overlayfs lower dirs) and as their
// uncompressed tar (for save/push, so digests stay exact). Thread-safe.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "base/json_util.h"
#include "base/status.h"
#include "runtime/byte_source.h"

namespace berth::runtime {

struct ImageRecord {
  std::string id;                     // sha256:HEX of the config
  std::vector<std::string> tags;      // "busybox:latest"
  Json config;                        // the image config document
  std::vector<std::string> diff_ids;  // lowest layer first
  int64_t size = 0;                   // sum of uncompressed layer sizes
};

// Normalises a reference: "busybox" -> "busybox:latest",
// "docker.io/library/busybox:1" -> "busybox:1". Fails on malformed input.
Result<std::string> NormalizeRef(const std::string& ref);

class ImageStore {
 public:
  static Result<std::unique_ptr<ImageStore>> Open(const std::string& root);

  // Loads a `docker save` archive or an OCI image layout archive (optionally
  // gzipped) from `path`. Returns one line per image, e.g.
  // "Loaded image: busybox:latest".
  Result<std::vector<std::string>> LoadArchive(const std::string& path);

  // Imports one layer tar (optionally gzipped) from `src`; returns its diff_id.
  // Idempotent: an already stored layer is kept.
  Result<std::string> ImportLayer(ByteSource* src);
  // Stores an image config and returns its id; checks its layers exist.
  Result<std::string> PutConfig(const std::string& config_bytes);
  std::string ConfigBytes(const std::string& id) const;

  // Looks up by tag, full id, or unique id prefix (>= 4 hex digits).
  Result<ImageRecord> Resolve(const std::string& ref) const;
  std::vector<ImageRecord> List() const;
  Status Tag(const std::string& ref, const std::string& new_ref);
  // Removes a tag (or, for an id, every tag); deletes the image when no tag
  // is left and `in_use(id)` is false. Returns Docker's delete report lines.
  Result<std::vector<Json>> Remove(const std::string& ref, bool force,
                                   const std::function<bool(const std::string&)>& in_use);

  // Extracted layer folders of `image`, topmost first (overlayfs lowerdir order).
  std::vector<std::string> LayerDirs(const ImageRecord& image) const;
  std::string LayerTarPath(const std::string& diff_id) const;

  // Flushes the store's file system (syncfs): a new image must survive the
  // machine being killed right after `docker load` or `pull` answered.
  Status Sync() const;

  // Writes a `docker save` archive (also an OCI layout) of `refs` via `out`.
  Status Save(const std::vector<std::string>& refs,
              const std::function<Status(const char*, size_t)>& out) const;

 private:
  explicit ImageStore(std::string root) : root_(std::move(root)) {}
  Status LoadTags();
  Status SaveTagsLocked();
  Result<ImageRecord> RecordLocked(const std::string& id) const;
  std::string root_;
  mutable std::mutex mu_;
  std::map<std::string, std::string> tags_;  // ref -> id
};

}  // namespace berth::runtime
