// The engine API route table and the single mapping from Status to HTTP.
#pragma once

#include <string>
#include <vector>

#include "runtime/api_types.h"

namespace berth::runtime {

// API versions served: the client negotiates down to kApiVersion.
inline constexpr const char* kApiVersion = "1.43";
inline constexpr const char* kMinApiVersion = "1.24";

// The one function from an error Status to an HTTP status code.
int HttpStatusFor(const Status& status);
// The one error body shape: {"message": "..."}; the docker client prints it.
ApiResponse ErrorResponse(const Status& status);
// Error for a feature berthd does not implement ("berthd does not support X").
Status Unsupported(const std::string& what);

struct Route {
  std::string method;
  std::string pattern;  // "/containers/{id}/start"
  Handler handler;
};

class Router {
 public:
  explicit Router(std::vector<Route> routes) : routes_(std::move(routes)) {}
  // Strips the version prefix, matches a route, runs it; every failure becomes
  // an ErrorResponse.
  ApiResponse Dispatch(Engine& engine, ApiRequest& req) const;

 private:
  std::vector<Route> routes_;
};

// Per-resource route lists (one file each) and the full table.
std::vector<Route> SystemRoutes();
std::vector<Route> ContainerRoutes();
std::vector<Route> ImageRoutes();
std::vector<Route> ExecRoutes();
std::vector<Route> VolumeRoutes();
std::vector<Route> NetworkRoutes();
std::vector<Route> AllRoutes();

}  // namespace berth::runtime
