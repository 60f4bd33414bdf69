// Network endpoints: /networks/...
#include "runtime/api_router.h"
#include "runtime/api_util.h"
#include "runtime/engine.h"

namespace berth::runtime {
namespace {

Json Builtin(const std::string& name, const std::string& driver) {
  return {{"Name", name},
          {"Id", name},
          {"Created", "0001-01-01T00:00:00Z"},
          {"Scope", "local"},
          {"Driver", driver},
          {"EnableIPv6", false},
          {"Internal", false},
          {"Attachable", false},
          {"IPAM", {{"Driver", "default"}, {"Config", Json::array()}}},
          {"Containers", Json::object()},
          {"Options", Json::object()},
          {"Labels", Json::object()}};
}

Result<ApiResponse> List(Engine&, const ApiRequest&) {
  return ApiResponse::Body(
      200, {Builtin("bridge", "bridge"), Builtin("host", "host"), Builtin("none", "null")});
}

Result<ApiResponse> Inspect(Engine&, const ApiRequest& req) {
  std::string n = req.Param("id");
  if (n == "bridge") return ApiResponse::Body(200, Builtin("bridge", "bridge"));
  if (n == "host") return ApiResponse::Body(200, Builtin("host", "host"));
  if (n == "none") return ApiResponse::Body(200, Builtin("none", "null"));
  return NotFound("network " + n + " not found");
}

}  // namespace

std::vector<Route> NetworkRoutes() {
  return {
      {"GET", "/networks", List},
      {"GET", "/networks/{id}", Inspect},
      {"POST", "/networks/create",
       [](Engine&, const ApiRequest&) -> Result<ApiResponse> {
         return Unsupported("user-defined networks");
       }},
      {"DELETE", "/networks/{id}",
       [](Engine&, const ApiRequest&) -> Result<ApiResponse> {
         return Unsupported("user-defined networks");
       }},
      {"POST", "/networks/{id}/connect",
       [](Engine&, const ApiRequest&) -> Result<ApiResponse> {
         return Unsupported("network connect");
       }},
      {"POST", "/networks/{id}/disconnect",
       [](Engine&, const ApiRequest&) -> Result<ApiResponse> {
         return Unsupported("network disconnect");
       }},
      {"POST", "/networks/prune",
       [](Engine&, const ApiRequest&) -> Result<ApiResponse> {
         return Unsupported("network prune");
       }},
  };
}

}  // namespace berth::runtime
