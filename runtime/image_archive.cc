// ImageStore::LoadArchive and ImageStore::Save: the `docker save` format
// (manifest.json) and the OCI image layout (index.json, blobs/sha256/...).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <set>

#include "base/fd.h"
#include "base/file_util.h"
#include "runtime/digest.h"
#include "runtime/image_store.h"
#include "runtime/tar.h"

namespace berth::runtime {
namespace {

struct Member {
  uint64_t offset = 0;
  uint64_t size = 0;
};

struct ImageEntry {
  std::string config_path;
  std::vector<std::string> layer_paths;
  std::vector<std::string> tags;
};

Result<std::map<std::string, Member>> IndexArchive(int fd) {
  FdRangeSource src(fd, 0, -1);
  TarReader reader(&src);
  std::map<std::string, Member> index;
  for (;;) {
    TarEntry e;
    BERTH_ASSIGN_OR_RETURN(bool more, reader.Next(&e));
    if (!more) break;
    if (e.type != '0') continue;
    BERTH_ASSIGN_OR_RETURN(std::string name, CleanTarPath(e.name));
    index[name] = {e.data_offset, e.size};
  }
  return index;
}

Result<std::string> ReadMember(int fd, const std::map<std::string, Member>& index,
                               const std::string& name) {
  auto clean = CleanTarPath(name);
  if (!clean.ok()) return clean.status();
  auto it = index.find(*clean);
  if (it == index.end()) return InvalidArgument("archive has no member '" + name + "'");
  if (it->second.size > (16 << 20))
    return InvalidArgument("archive member '" + name + "' is too large");
  std::string data(it->second.size, '\0');
  FdRangeSource src(fd, it->second.offset, it->second.size);
  size_t got = 0;
  while (got < data.size()) {
    BERTH_ASSIGN_OR_RETURN(size_t n, src.Read(data.data() + got, data.size() - got));
    if (n == 0) break;
    got += n;
  }
  return data;
}

std::string BlobPath(const std::string& digest) { return "blobs/sha256/" + DigestHex(digest); }

// Reads the image list of an OCI layout: index.json -> manifests (following
// nested indexes to their first linux/amd64 or first entry).
Result<std::vector<ImageEntry>> OciEntries(int fd, const std::map<std::string, Member>& index) {
  BERTH_ASSIGN_OR_RETURN(std::string text, ReadMember(fd, index, "index.json"));
  BERTH_ASSIGN_OR_RETURN(Json idx, ParseJson(text, "index.json"));
  std::vector<ImageEntry> out;
  for (const auto& desc : idx.value("manifests", Json::array())) {
    Json d = desc;
    BERTH_ASSIGN_OR_RETURN(std::string mtext,
                           ReadMember(fd, index, BlobPath(d.value("digest", ""))));
    BERTH_ASSIGN_OR_RETURN(Json m, ParseJson(mtext, "manifest"));
    for (int depth = 0; m.contains("manifests") && depth < 4; ++depth) {
      Json pick = m["manifests"].empty() ? Json() : m["manifests"][0];
      for (const auto& sub : m["manifests"])
        if (sub.value("platform", Json::object()).value("architecture", "") == "amd64") pick = sub;
      if (pick.is_null()) return InvalidArgument("OCI index lists no manifests");
      BERTH_ASSIGN_OR_RETURN(mtext, ReadMember(fd, index, BlobPath(pick.value("digest", ""))));
      BERTH_ASSIGN_OR_RETURN(m, ParseJson(mtext, "manifest"));
    }
    ImageEntry e;
    e.config_path = BlobPath(m["config"].value("digest", ""));
    for (const auto& l : m.value("layers", Json::array()))
      e.layer_paths.push_back(BlobPath(l.value("digest", "")));
    Json ann = d.value("annotations", Json::object());
    std::string name = ann.value("io.containerd.image.name", "");
    if (name.empty()) name = ann.value("org.opencontainers.image.ref.name", "");
    if (name.find_first_of(":/") != std::string::npos) e.tags.push_back(name);
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

Result<std::vector<std::string>> ImageStore::LoadArchive(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return ErrnoStatus("open " + path, errno);
  unsigned char magic[2] = {0, 0};
  if (pread(fd.get(), magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
    std::string plain = path + ".tar";
    {
      UniqueFd out(open(plain.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
      if (!out) return ErrnoStatus("create " + plain, errno);
      GzipSource gz(std::make_unique<FdRangeSource>(fd.get(), 0, -1));
      char buf[65536];
      for (;;) {
        BERTH_ASSIGN_OR_RETURN(size_t n, gz.Read(buf, sizeof(buf)));
        if (n == 0) break;
        if (write(out.get(), buf, n) != static_cast<ssize_t>(n))
          return ErrnoStatus("write " + plain, errno);
      }
    }
    fd.Reset(open(plain.c_str(), O_RDONLY | O_CLOEXEC));
    unlink(plain.c_str());
    if (!fd) return ErrnoStatus("open " + plain, errno);
  }
  BERTH_ASSIGN_OR_RETURN(auto index, IndexArchive(fd.get()));
  std::vector<ImageEntry> entries;
  if (index.count("manifest.json")) {
    BERTH_ASSIGN_OR_RETURN(std::string text, ReadMember(fd.get(), index, "manifest.json"));
    BERTH_ASSIGN_OR_RETURN(Json manifest, ParseJson(text, "manifest.json"));
    if (!manifest.is_array()) return InvalidArgument("manifest.json is not a list");
    for (const auto& m : manifest) {
      ImageEntry e;
      e.config_path = m.value("Config", "");
      for (const auto& l : m.value("Layers", Json::array()))
        e.layer_paths.push_back(l.get<std::string>());
      for (const auto& t : m.value("RepoTags", Json::array()))
        e.tags.push_back(t.get<std::string>());
      entries.push_back(std::move(e));
    }
  } else if (index.count("index.json")) {
    BERTH_ASSIGN_OR_RETURN(entries, OciEntries(fd.get(), index));
  } else {
    return InvalidArgument(
        "archive is neither a docker save archive (manifest.json) nor an OCI "
        "layout (index.json)");
  }
  std::vector<std::string> lines;
  for (const auto& e : entries) {
    BERTH_ASSIGN_OR_RETURN(std::string config_bytes, ReadMember(fd.get(), index, e.config_path));
    BERTH_ASSIGN_OR_RETURN(Json config, ParseJson(config_bytes, e.config_path));
    Json diff_ids = config.value("rootfs", Json::object()).value("diff_ids", Json::array());
    if (diff_ids.size() != e.layer_paths.size())
      return InvalidArgument("image config lists " + std::to_string(diff_ids.size()) +
                             " layers but the manifest has " +
                             std::to_string(e.layer_paths.size()));
    for (size_t i = 0; i < e.layer_paths.size(); ++i) {
      BERTH_ASSIGN_OR_RETURN(std::string lp, CleanTarPath(e.layer_paths[i]));
      auto it = index.find(lp);
      if (it == index.end()) return InvalidArgument("archive has no layer '" + lp + "'");
      BERTH_ASSIGN_OR_RETURN(auto src, OpenMaybeGzip(fd.get(), it->second.offset, it->second.size));
      BERTH_ASSIGN_OR_RETURN(std::string diff_id, ImportLayer(src.get()));
      if (diff_id != diff_ids[i].get<std::string>())
        return InvalidArgument("layer " + lp + " has diff_id " + diff_id + ", config expects " +
                               diff_ids[i].get<std::string>());
    }
    BERTH_ASSIGN_OR_RETURN(std::string id, PutConfig(config_bytes));
    if (e.tags.empty()) lines.push_back("Loaded image ID: " + id);
    for (const auto& t : e.tags) {
      BERTH_ASSIGN_OR_RETURN(std::string norm, NormalizeRef(t));
      {
        std::lock_guard<std::mutex> lock(mu_);
        tags_[norm] = id;
        BERTH_RETURN_IF_ERROR(SaveTagsLocked());
      }
      lines.push_back("Loaded image: " + norm);
    }
  }
  return lines;
}

Status ImageStore::Save(const std::vector<std::string>& refs,
                        const std::function<Status(const char*, size_t)>& out) const {
  std::vector<std::pair<std::string, ImageRecord>> images;
  for (const auto& r : refs) {
    BERTH_ASSIGN_OR_RETURN(ImageRecord rec, Resolve(r));
    images.emplace_back(r, std::move(rec));
  }
  TarWriter tar(out);
  BERTH_RETURN_IF_ERROR(tar.AddDir("blobs"));
  BERTH_RETURN_IF_ERROR(tar.AddDir("blobs/sha256"));
  std::set<std::string> written;
  Json manifest = Json::array();
  Json index = {{"schemaVersion", 2},
                {"mediaType", "application/vnd.oci.image.index.v1+json"},
                {"manifests", Json::array()}};
  for (const auto& [ref, rec] : images) {
    Json oci = {{"schemaVersion", 2},
                {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                {"layers", Json::array()}};
    std::string config_bytes = ConfigBytes(rec.id);
    oci["config"] = {{"mediaType", "application/vnd.oci.image.config.v1+json"},
                     {"digest", rec.id},
                     {"size", config_bytes.size()}};
    Json layers = Json::array();
    for (const auto& d : rec.diff_ids) {
      struct stat st;
      if (stat(LayerTarPath(d).c_str(), &st) != 0) return ErrnoStatus("stat layer " + d, errno);
      oci["layers"].push_back({{"mediaType", "application/vnd.oci.image.layer.v1.tar"},
                               {"digest", d},
                               {"size", st.st_size}});
      layers.push_back(BlobPath(d));
      if (written.insert(d).second)
        BERTH_RETURN_IF_ERROR(tar.AddFileFromPath(BlobPath(d), LayerTarPath(d)));
    }
    if (written.insert(rec.id).second)
      BERTH_RETURN_IF_ERROR(tar.AddFile(BlobPath(rec.id), config_bytes));
    std::string oci_bytes = oci.dump();
    std::string oci_digest = Sha256Digest(oci_bytes);
    if (written.insert(oci_digest).second)
      BERTH_RETURN_IF_ERROR(tar.AddFile(BlobPath(oci_digest), oci_bytes));
    Json tags = Json::array();
    auto norm = NormalizeRef(ref);
    bool by_tag = norm.ok() && std::find(rec.tags.begin(), rec.tags.end(), *norm) != rec.tags.end();
    if (by_tag) tags.push_back(*norm);
    Json desc = {{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                 {"digest", oci_digest},
                 {"size", oci_bytes.size()}};
    if (by_tag)
      desc["annotations"] = {
          {"io.containerd.image.name", *norm},
          {"org.opencontainers.image.ref.name", norm->substr(norm->rfind(':') + 1)}};
    index["manifests"].push_back(desc);
    manifest.push_back({{"Config", BlobPath(rec.id)}, {"RepoTags", tags}, {"Layers", layers}});
  }
  BERTH_RETURN_IF_ERROR(tar.AddFile("oci-layout", R"({"imageLayoutVersion":"1.0.0"})"));
  BERTH_RETURN_IF_ERROR(tar.AddFile("index.json", index.dump()));
  BERTH_RETURN_IF_ERROR(tar.AddFile("manifest.json", manifest.dump()));
  return tar.Finish();
}

}  // namespace berth::runtime
