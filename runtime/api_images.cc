// Image endpoints: /images/...
#include <fcntl.h>
#include <unistd.h>

#include "base/file_util.h"
#include "runtime/api_router.h"
#include "runtime/api_util.h"
#include "runtime/engine.h"
#include "runtime/registry_client.h"

namespace berth::runtime {
namespace {

Json Summary(const ImageRecord& r) {
  Json tags = r.tags.empty() ? Json::array() : Json(r.tags);
  return {{"Id", r.id},
          {"ParentId", ""},
          {"RepoTags", tags},
          {"RepoDigests", Json::array()},
          {"Created", ParseTime(r.config.value("created", ""))},
          {"Size", r.size},
          {"SharedSize", -1},
          {"Labels", r.config.value("config", Json::object()).value("Labels", Json::object())},
          {"Containers", -1}};
}

Result<ApiResponse> List(Engine& e, const ApiRequest& req) {
  BERTH_ASSIGN_OR_RETURN(auto filters, ParseFilters(req));
  Json out = Json::array();
  for (const auto& r : e.images().List()) {
    if (filters.count("reference")) {
      bool any = false;
      for (const auto& want : filters["reference"])
        for (const auto& t : r.tags)
          if (t == want || t.substr(0, t.rfind(':')) == want) any = true;
      if (!any) continue;
    }
    if (r.tags.empty() && !req.QueryBool("all") && filters.count("dangling") == 0) {
      out.push_back(Summary(r));  // untagged images are listed as <none>
      continue;
    }
    out.push_back(Summary(r));
  }
  return ApiResponse::Body(200, out);
}

Result<ApiResponse> Inspect(Engine& e, const ApiRequest& req) {
  BERTH_ASSIGN_OR_RETURN(ImageRecord r, e.images().Resolve(req.Param("name")));
  Json diff_ids = r.diff_ids;
  return ApiResponse::Body(200, {{"Id", r.id},
                                 {"RepoTags", r.tags.empty() ? Json::array() : Json(r.tags)},
                                 {"RepoDigests", Json::array()},
                                 {"Parent", ""},
                                 {"Comment", ""},
                                 {"Created", r.config.value("created", "")},
                                 {"Config", r.config.value("config", Json::object())},
                                 {"Architecture", r.config.value("architecture", "amd64")},
                                 {"Os", r.config.value("os", "linux")},
                                 {"Size", r.size},
                                 {"GraphDriver", {{"Name", "overlay"}, {"Data", Json::object()}}},
                                 {"RootFS", {{"Type", "layers"}, {"Layers", diff_ids}}},
                                 {"Metadata", {{"LastTagTime", "0001-01-01T00:00:00Z"}}}});
}

Result<ApiResponse> History(Engine& e, const ApiRequest& req) {
  BERTH_ASSIGN_OR_RETURN(ImageRecord r, e.images().Resolve(req.Param("name")));
  Json out = Json::array();
  for (const auto& h : r.config.value("history", Json::array()))
    out.insert(out.begin(), {{"Id", "<missing>"},
                             {"Created", ParseTime(h.value("created", ""))},
                             {"CreatedBy", h.value("created_by", "")},
                             {"Tags", nullptr},
                             {"Size", 0},
                             {"Comment", h.value("comment", "")}});
  if (!out.empty()) {
    out[0]["Id"] = r.id;
    out[0]["Size"] = r.size;
    out[0]["Tags"] = r.tags;
  }
  return ApiResponse::Body(200, out);
}

Result<ApiResponse> Tag(Engine& e, const ApiRequest& req) {
  std::string repo = req.Query("repo");
  if (repo.empty()) return InvalidArgument("tag: repository name must not be empty");
  std::string tag = req.Query("tag", "latest");
  BERTH_RETURN_IF_ERROR(
      e.images().Tag(req.Param("name"), repo + ":" + (tag.empty() ? "latest" : tag)));
  e.events().Publish("image", "tag", req.Param("name"), {{"name", repo + ":" + tag}});
  return ApiResponse::Body(201, nullptr);
}

Result<ApiResponse> Remove(Engine& e, const ApiRequest& req) {
  ContainerManager* m = &e.containers();
  BERTH_ASSIGN_OR_RETURN(
      auto report, e.images().Remove(req.Param("name"), req.QueryBool("force"),
                                     [m](const std::string& id) { return m->ImageInUse(id); }));
  for (const auto& r : report)
    e.events().Publish("image", r.contains("Untagged") ? "untag" : "delete",
                       r.begin().value().get<std::string>());
  return ApiResponse::Body(200, report);
}

// The archive arrives as the request body; it is spilled to a file so layers
// can be read by offset.
Result<ApiResponse> Load(Engine& e, const ApiRequest& req) {
  std::string path = e.TempPath("load");
  BERTH_RETURN_IF_ERROR(WriteFileAtomic(path, req.body, 0600));
  auto lines = e.images().LoadArchive(path);
  unlink(path.c_str());
  if (!lines.ok()) return lines.status();
  BERTH_RETURN_IF_ERROR(e.images().Sync());
  std::string body;
  for (const auto& l : *lines) {
    body += Json{{"stream", l + "\n"}}.dump() + "\n";
    e.events().Publish("image", "load", l.substr(l.rfind(' ') + 1));
  }
  return ApiResponse::Text(200, body, "application/json");
}

Result<ApiResponse> Save(Engine& e, const ApiRequest& req) {
  std::vector<std::string> names;
  if (req.params.count("name")) names.push_back(req.Param("name"));
  for (auto [it, end] = req.query_all.equal_range("names"); it != end; ++it)
    names.push_back(it->second);
  if (names.empty()) return InvalidArgument("no images to save");
  for (const auto& n : names) BERTH_RETURN_IF_ERROR(e.images().Resolve(n).status());
  ImageStore* store = &e.images();
  ApiResponse r;
  r.content_type = "application/x-tar";
  r.stream = [store, names](Conn& conn) {
    (void)store->Save(names,
                      [&](const char* p, size_t n) { return conn.Write(std::string_view(p, n)); });
  };
  return r;
}

// Streams progress lines as Docker's JSON messages; a failure becomes an
// errorDetail message, which the docker client prints and exits non-zero on.
ApiResponse ProgressStream(std::function<Status(const Progress&)> work) {
  return StreamJsonLines([work](Conn& conn) {
    Status st = work([&](const std::string& line) {
      (void)conn.Write(Json{{"status", line}}.dump() + "\n");
    });
    if (!st.ok())
      (void)conn.Write(
          Json{{"errorDetail", {{"message", st.message()}}}, {"error", st.message()}}.dump() +
          "\n");
  });
}

Result<ApiResponse> PullImage(Engine& e, const ApiRequest& req) {
  if (!req.Query("fromSrc").empty()) return Unsupported("docker import");
  std::string image = req.Query("fromImage");
  std::string tag = req.Query("tag");
  if (tag.rfind("sha256:", 0) == 0) return Unsupported("pull by digest");
  std::string wanted = tag.empty() ? image : image + ":" + tag;
  BERTH_ASSIGN_OR_RETURN(std::string remote, ResolveRegistry(wanted, e.options().default_registry));
  BERTH_ASSIGN_OR_RETURN(RegistryRef ref, ParseRegistryRef(remote));
  std::string local = remote == wanted ? "" : wanted;  // Hub names stay as the user wrote them
  ImageStore* store = &e.images();
  EventBus* events = &e.events();
  std::string tmp = e.options().root + "/tmp";
  return ProgressStream([store, events, ref, tmp, local](const Progress& p) {
    p("Pulling from " + ref.repo);
    Status st = Pull(*store, ref, tmp, p, local);
    if (st.ok()) st = store->Sync();
    if (st.ok()) events->Publish("image", "pull", local.empty() ? ref.Normalized() : local);
    return st;
  });
}

Result<ApiResponse> PushImage(Engine& e, const ApiRequest& req) {
  std::string tag = req.Query("tag");
  std::string name = req.Param("name");
  BERTH_ASSIGN_OR_RETURN(RegistryRef ref, ParseRegistryRef(tag.empty() ? name : name + ":" + tag));
  BERTH_RETURN_IF_ERROR(e.images().Resolve(ref.Normalized()).status());
  ImageStore* store = &e.images();
  EventBus* events = &e.events();
  return ProgressStream([store, events, ref](const Progress& p) {
    p("The push refers to repository [" + ref.host + "/" + ref.repo + "]");
    Status st = Push(*store, ref, p);
    if (st.ok()) events->Publish("image", "push", ref.Normalized());
    return st;
  });
}

Result<ApiResponse> NotImplemented(const std::string& what) { return Unsupported(what); }

}  // namespace

std::vector<Route> ImageRoutes() {
  return {
      {"GET", "/images/json", List},
      {"POST", "/images/load", Load},
      {"GET", "/images/get", Save},
      {"POST", "/images/prune",
       [](Engine&, const ApiRequest&) { return NotImplemented("image prune"); }},
      {"GET", "/images/search",
       [](Engine&, const ApiRequest&) { return NotImplemented("image search"); }},
      {"POST", "/build", [](Engine&, const ApiRequest&) { return NotImplemented("docker build"); }},
      {"POST", "/commit",
       [](Engine&, const ApiRequest&) { return NotImplemented("docker commit"); }},
      {"POST", "/images/create", PullImage},
      {"POST", "/images/{name*}/push", PushImage},
      {"GET", "/images/{name*}/json", Inspect},
      {"GET", "/images/{name*}/history", History},
      {"GET", "/images/{name*}/get", Save},
      {"POST", "/images/{name*}/tag", Tag},
      {"DELETE", "/images/{name*}", Remove},
  };
}

}  // namespace berth::runtime
