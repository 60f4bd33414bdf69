// Volume endpoints: /volumes/...
#include "runtime/api_router.h"
#include "runtime/api_util.h"
#include "runtime/engine.h"

namespace berth::runtime {
namespace {

bool InUse(Engine& e, const std::string& name) {
  for (const auto& c : e.containers().List())
    for (const auto& m : c.spec.mounts)
      if (m.volume == name) return true;
  return false;
}

Result<ApiResponse> List(Engine& e, const ApiRequest& req) {
  BERTH_ASSIGN_OR_RETURN(auto filters, ParseFilters(req));
  Json vols = Json::array();
  for (auto& v : e.volumes().List()) {
    if (filters.count("name")) {
      bool any = false;
      for (const auto& n : filters["name"])
        any = any || v["Name"].get<std::string>().find(n) != std::string::npos;
      if (!any) continue;
    }
    if (filters.count("dangling")) {
      bool dangling = !InUse(e, v["Name"]);
      if ((filters["dangling"][0] == "true" || filters["dangling"][0] == "1") != dangling) continue;
    }
    vols.push_back(v);
  }
  return ApiResponse::Body(200, {{"Volumes", vols}, {"Warnings", Json::array()}});
}

Result<ApiResponse> Create(Engine& e, const ApiRequest& req) {
  BERTH_ASSIGN_OR_RETURN(Json body, BodyJson(req));
  BERTH_RETURN_IF_ERROR(
      RejectUnsupported(body, {"Name", "Driver", "Labels", "DriverOpts"}, "volume "));
  if (!IsDefault(body.value("DriverOpts", Json()))) return Unsupported("volume driver options");
  std::map<std::string, std::string> labels;
  Json label_obj = body.value("Labels", Json::object());
  for (auto& [k, v] : label_obj.items()) labels[k] = v.get<std::string>();
  BERTH_ASSIGN_OR_RETURN(
      Json v, e.volumes().Create(body.value("Name", ""), body.value("Driver", ""), labels));
  e.events().Publish("volume", "create", v["Name"], {{"driver", "local"}});
  return ApiResponse::Body(201, v);
}

Result<ApiResponse> Inspect(Engine& e, const ApiRequest& req) {
  BERTH_ASSIGN_OR_RETURN(Json v, e.volumes().Inspect(req.Param("name")));
  return ApiResponse::Body(200, v);
}

Result<ApiResponse> Remove(Engine& e, const ApiRequest& req) {
  std::string name = req.Param("name");
  BERTH_RETURN_IF_ERROR(e.volumes().Remove(name, req.QueryBool("force"), InUse(e, name)));
  e.events().Publish("volume", "destroy", name);
  return ApiResponse::NoContent();
}

}  // namespace

std::vector<Route> VolumeRoutes() {
  return {
      {"GET", "/volumes", List},
      {"POST", "/volumes/create", Create},
      {"POST", "/volumes/prune",
       [](Engine&, const ApiRequest&) -> Result<ApiResponse> {
         return Unsupported("volume prune");
       }},
      {"GET", "/volumes/{name}", Inspect},
      {"DELETE", "/volumes/{name}", Remove},
  };
}

}  // namespace berth::runtime
