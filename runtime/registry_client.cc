#include "runtime/registry_client.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>

#include "base/fd.h"
#include "base/file_util.h"
#include "base/json_util.h"
#include "runtime/digest.h"

namespace berth::runtime {
namespace {

constexpr const char* kManifestAccept =
    "application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json, "
    "application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json";

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

size_t ToString(char* p, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(p, size * n);
  return size * n;
}
size_t ToFd(char* p, size_t size, size_t n, void* fd) {
  return write(*static_cast<int*>(fd), p, size * n) == static_cast<ssize_t>(size * n) ? size * n
                                                                                      : 0;
}
size_t Header(char* p, size_t size, size_t n, void* out) {
  std::string h(p, size * n);
  if (h.size() > 9 && strncasecmp(h.c_str(), "location:", 9) == 0) {
    std::string v = h.substr(9);
    while (!v.empty() && (v.front() == ' ')) v.erase(0, 1);
    while (!v.empty() && (v.back() == '\r' || v.back() == '\n')) v.pop_back();
    static_cast<RegistryReply*>(out)->location = v;
  }
  return size * n;
}

Status Expect(const RegistryReply& r, long want, const std::string& what) {
  if (r.code == want) return Status::Ok();
  if (r.code == 404) return NotFound(what + ": not found in the registry");
  return Unavailable(what + ": registry answered HTTP " + std::to_string(r.code) + ": " +
                     r.body.substr(0, 300));
}

}  // namespace

std::string BaseUrl(const RegistryRef& r) {
  bool plain = r.host.rfind("127.", 0) == 0 || r.host.rfind("localhost", 0) == 0 ||
               r.host.rfind("10.", 0) == 0;
  return std::string(plain ? "http://" : "https://") + r.host;
}

Result<RegistryReply> RegistryRequest(const std::string& method, const std::string& url,
                                      const std::vector<std::string>& headers,
                                      const std::string& body, int body_fd, int out_fd) {
  std::unique_ptr<CURL, CurlDeleter> c(curl_easy_init());
  if (!c) return Internal("curl_easy_init failed");
  RegistryReply reply;
  std::unique_ptr<curl_slist, SlistDeleter> list;
  for (const auto& h : headers) list.reset(curl_slist_append(list.release(), h.c_str()));
  curl_easy_setopt(c.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(c.get(), CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(c.get(), CURLOPT_HTTPHEADER, list.get());
  curl_easy_setopt(c.get(), CURLOPT_FOLLOWLOCATION, method == "GET" ? 1L : 0L);
  curl_easy_setopt(c.get(), CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(c.get(), CURLOPT_HEADERFUNCTION, Header);
  curl_easy_setopt(c.get(), CURLOPT_HEADERDATA, &reply);
  if (method == "HEAD") curl_easy_setopt(c.get(), CURLOPT_NOBODY, 1L);
  FILE* upload = nullptr;
  if (body_fd >= 0) {
    upload = fdopen(dup(body_fd), "rb");
    struct stat st;
    fstat(body_fd, &st);
    curl_easy_setopt(c.get(), CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c.get(), CURLOPT_READDATA, upload);
    curl_easy_setopt(c.get(), CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(st.st_size));
  } else if (method == "PUT" || method == "POST" || method == "PATCH") {
    curl_easy_setopt(c.get(), CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(c.get(), CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  if (out_fd >= 0) {
    curl_easy_setopt(c.get(), CURLOPT_WRITEFUNCTION, ToFd);
    curl_easy_setopt(c.get(), CURLOPT_WRITEDATA, &out_fd);
  } else {
    curl_easy_setopt(c.get(), CURLOPT_WRITEFUNCTION, ToString);
    curl_easy_setopt(c.get(), CURLOPT_WRITEDATA, &reply.body);
  }
  CURLcode rc = curl_easy_perform(c.get());
  if (upload) fclose(upload);
  if (rc != CURLE_OK) return Unavailable(method + " " + url + ": " + curl_easy_strerror(rc));
  curl_easy_getinfo(c.get(), CURLINFO_RESPONSE_CODE, &reply.code);
  return reply;
}

Result<RegistryRef> ParseRegistryRef(const std::string& ref) {
  size_t slash = ref.find('/');
  if (slash == std::string::npos)
    return InvalidArgument("pull/push of '" + ref +
                           "' needs a registry host (e.g. 127.0.0.1:5000/" + ref +
                           "): berthd has no default registry");
  RegistryRef r;
  r.host = ref.substr(0, slash);
  if (r.host.find_first_of(".:") == std::string::npos && r.host != "localhost")
    return InvalidArgument("'" + ref + "' names no registry host: berthd has no default registry");
  std::string rest = ref.substr(slash + 1);
  size_t colon = rest.rfind(':');
  if (colon != std::string::npos && rest.find('/', colon) == std::string::npos) {
    r.repo = rest.substr(0, colon);
    r.tag = rest.substr(colon + 1);
  } else {
    r.repo = rest;
    r.tag = "latest";
  }
  if (r.repo.empty() || r.tag.empty()) return InvalidArgument("invalid reference '" + ref + "'");
  return r;
}

Result<std::string> ResolveRegistry(const std::string& ref, const std::string& default_registry) {
  std::string rest;
  for (const char* hub :
       {"docker.io/library/", "docker.io/", "index.docker.io/library/", "index.docker.io/"}) {
    if (ref.rfind(hub, 0) == 0) {
      rest = ref.substr(strlen(hub));
      break;
    }
  }
  bool hub = !rest.empty() || ref.find('/') == std::string::npos;
  if (!hub) return ref;
  if (rest.empty()) rest = ref;
  if (default_registry.empty())
    return InvalidArgument("berthd does not pull from Docker Hub ('" + ref +
                           "'): name a registry (e.g. 127.0.0.1:5000/" + rest +
                           ") or start berthd with --default-registry");
  return default_registry + "/" + rest;
}

Status Pull(ImageStore& store, const RegistryRef& ref, const std::string& tmp_dir,
            const Progress& progress, const std::string& local_tag) {
  std::string base = BaseUrl(ref) + "/v2/" + ref.repo;
  std::vector<std::string> accept = {std::string("Accept: ") + kManifestAccept};
  BERTH_ASSIGN_OR_RETURN(RegistryReply m,
                         RegistryRequest("GET", base + "/manifests/" + ref.tag, accept, ""));
  BERTH_RETURN_IF_ERROR(Expect(m, 200, "manifest " + ref.Normalized()));
  BERTH_ASSIGN_OR_RETURN(Json manifest, ParseJson(m.body, "manifest"));
  if (manifest.contains("manifests")) {  // an index: take linux/amd64
    std::string digest;
    for (const auto& d : manifest["manifests"]) {
      Json p = d.value("platform", Json::object());
      if (p.value("architecture", "") == "amd64" && p.value("os", "linux") == "linux")
        digest = d.value("digest", "");
    }
    if (digest.empty()) return NotFound("no linux/amd64 image in " + ref.Normalized());
    BERTH_ASSIGN_OR_RETURN(m, RegistryRequest("GET", base + "/manifests/" + digest, accept, ""));
    BERTH_RETURN_IF_ERROR(Expect(m, 200, "manifest " + digest));
    BERTH_ASSIGN_OR_RETURN(manifest, ParseJson(m.body, "manifest"));
  }
  std::string config_digest = manifest["config"].value("digest", "");
  BERTH_ASSIGN_OR_RETURN(RegistryReply cfg,
                         RegistryRequest("GET", base + "/blobs/" + config_digest, {}, ""));
  BERTH_RETURN_IF_ERROR(Expect(cfg, 200, "config " + config_digest));
  if (Sha256Digest(cfg.body) != config_digest)
    return InvalidArgument("config digest mismatch for " + config_digest);
  BERTH_ASSIGN_OR_RETURN(Json config, ParseJson(cfg.body, "image config"));
  Json diff_ids = config["rootfs"].value("diff_ids", Json::array());
  const Json& layers = manifest.value("layers", Json::array());
  if (diff_ids.size() != layers.size())
    return InvalidArgument("manifest and config disagree on layers");
  for (size_t i = 0; i < layers.size(); ++i) {
    std::string digest = layers[i].value("digest", "");
    progress(digest.substr(7, 12) + ": Pulling fs layer");
    std::string path = tmp_dir + "/blob-" + digest.substr(7, 16);
    {
      UniqueFd out(open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
      if (!out) return ErrnoStatus("create " + path, errno);
      BERTH_ASSIGN_OR_RETURN(RegistryReply b, RegistryRequest("GET", base + "/blobs/" + digest, {},
                                                              "", -1, out.get()));
      Status st = Expect(b, 200, "layer " + digest);
      if (st.ok()) {
        auto src = OpenMaybeGzip(out.get(), 0, -1);
        st = src.status();
        if (src.ok()) {
          auto diff_id = store.ImportLayer(src->get());
          st = diff_id.status();
          if (diff_id.ok() && *diff_id != diff_ids[i].get<std::string>())
            st = InvalidArgument("layer " + digest + " has diff_id " + *diff_id);
        }
      }
      unlink(path.c_str());
      BERTH_RETURN_IF_ERROR(st);
    }
    progress(digest.substr(7, 12) + ": Pull complete");
  }
  BERTH_ASSIGN_OR_RETURN(std::string id, store.PutConfig(cfg.body));
  BERTH_RETURN_IF_ERROR(store.Tag(id, local_tag.empty() ? ref.Normalized() : local_tag));
  progress("Digest: " + Sha256Digest(m.body));
  progress("Status: Downloaded newer image for " + ref.Normalized());
  return Status::Ok();
}

Status PushBlob(const std::string& base, const std::string& digest, int fd, const std::string& data,
                const Progress& progress) {
  BERTH_ASSIGN_OR_RETURN(RegistryReply head,
                         RegistryRequest("HEAD", base + "/blobs/" + digest, {}, ""));
  if (head.code == 200) {
    progress(digest.substr(7, 12) + ": Layer already exists");
    return Status::Ok();
  }
  BERTH_ASSIGN_OR_RETURN(RegistryReply start,
                         RegistryRequest("POST", base + "/blobs/uploads/", {}, ""));
  BERTH_RETURN_IF_ERROR(Expect(start, 202, "start upload of " + digest));
  std::string loc = start.location;
  if (loc.rfind("/", 0) == 0) loc = base.substr(0, base.find("/v2/")) + loc;
  loc += (loc.find('?') == std::string::npos ? "?" : "&") + std::string("digest=") + digest;
  BERTH_ASSIGN_OR_RETURN(
      RegistryReply put,
      RegistryRequest("PUT", loc, {"Content-Type: application/octet-stream"}, data, fd));
  BERTH_RETURN_IF_ERROR(Expect(put, 201, "upload of " + digest));
  progress(digest.substr(7, 12) + ": Pushed");
  return Status::Ok();
}

Status PushManifest(const std::string& base, const std::string& tag, const std::string& media_type,
                    const std::string& body) {
  BERTH_ASSIGN_OR_RETURN(RegistryReply put, RegistryRequest("PUT", base + "/manifests/" + tag,
                                                            {"Content-Type: " + media_type}, body));
  return Expect(put, 201, "manifest " + tag);
}

Status Push(ImageStore& store, const RegistryRef& ref, const Progress& progress) {
  BERTH_ASSIGN_OR_RETURN(ImageRecord image, store.Resolve(ref.Normalized()));
  std::string base = BaseUrl(ref) + "/v2/" + ref.repo;
  Json manifest = {{"schemaVersion", 2},
                   {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                   {"layers", Json::array()}};
  for (const auto& d : image.diff_ids) {
    UniqueFd fd(open(store.LayerTarPath(d).c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return ErrnoStatus("open layer " + d, errno);
    struct stat st;
    fstat(fd.get(), &st);
    BERTH_RETURN_IF_ERROR(PushBlob(base, d, fd.get(), "", progress));
    manifest["layers"].push_back({{"mediaType", "application/vnd.oci.image.layer.v1.tar"},
                                  {"digest", d},
                                  {"size", st.st_size}});
  }
  std::string config = store.ConfigBytes(image.id);
  BERTH_RETURN_IF_ERROR(PushBlob(base, image.id, -1, config, progress));
  manifest["config"] = {{"mediaType", "application/vnd.oci.image.config.v1+json"},
                        {"digest", image.id},
                        {"size", config.size()}};
  std::string body = manifest.dump();
  BERTH_RETURN_IF_ERROR(
      PushManifest(base, ref.tag, "application/vnd.oci.image.manifest.v1+json", body)
          .WithContext(ref.Normalized()));
  progress(ref.tag + ": digest: " + Sha256Digest(body) + " size: " + std::to_string(body.size()));
  return Status::Ok();
}

}  // namespace berth::runtime
