#include "runtime/api_router.h"

namespace berth::runtime {

bool ApiRequest::QueryBool(const std::string& k, bool def) const {
  auto it = query.find(k);
  if (it == query.end()) return def;
  return it->second == "1" || it->second == "true" || it->second == "True";
}

int HttpStatusFor(const Status& s) {
  switch (s.code()) {
    case Code::kOk:
      return 200;
    case Code::kInvalidArgument:
      return 400;
    case Code::kNotFound:
      return 404;
    case Code::kAlreadyExists:
      return 409;
    case Code::kFailedPrecondition:
      return 409;
    case Code::kPermissionDenied:
      return 403;
    case Code::kUnavailable:
      return 503;
    case Code::kDeadlineExceeded:
      return 504;
    case Code::kCancelled:
      return 499;
    case Code::kIo:
    case Code::kInternal:
      return 500;
  }
  return 500;
}

// Unsupported features travel as kInternal with this prefix so they map to 501.
static constexpr const char* kUnsupportedPrefix = "berthd does not support ";

Status Unsupported(const std::string& what) {
  return Status(Code::kInternal, kUnsupportedPrefix + what);
}

ApiResponse ErrorResponse(const Status& s) {
  int code = HttpStatusFor(s);
  if (s.message().rfind(kUnsupportedPrefix, 0) == 0) code = 501;
  return ApiResponse::Body(code, {{"message", s.message()}});
}

namespace {

// Matches "/a/{x}/b" against "/a/123/b"; {name} takes one segment, except a
// trailing {name*} which takes the rest (image names contain '/').
bool Match(const std::string& pattern, const std::string& path,
           std::map<std::string, std::string>* params) {
  size_t pi = 0, si = 0;
  while (pi < pattern.size()) {
    if (pattern[pi] == '{') {
      size_t close = pattern.find('}', pi);
      std::string name = pattern.substr(pi + 1, close - pi - 1);
      bool rest = !name.empty() && name.back() == '*';
      std::string tail = pattern.substr(close + 1);
      size_t end;
      if (rest) {
        if (tail.empty()) {
          end = path.size();
        } else {
          end = path.rfind(tail);
          if (end == std::string::npos || end + tail.size() != path.size() || end <= si)
            return false;
        }
        name.pop_back();
      } else {
        end = path.find('/', si);
        if (end == std::string::npos) end = path.size();
      }
      if (end == si) return false;
      (*params)[name] = path.substr(si, end - si);
      si = end;
      pi = close + 1;
      continue;
    }
    if (si >= path.size() || path[si] != pattern[pi]) return false;
    ++si;
    ++pi;
  }
  return si == path.size();
}

}  // namespace

ApiResponse Router::Dispatch(Engine& engine, ApiRequest& req) const {
  req.api_version = kApiVersion;
  if (req.path.rfind("/v", 0) == 0) {
    size_t slash = req.path.find('/', 1);
    std::string v = req.path.substr(2, slash == std::string::npos ? std::string::npos : slash - 2);
    if (!v.empty() && v.find_first_not_of("0123456789.") == std::string::npos) {
      req.api_version = v;
      req.path = slash == std::string::npos ? "/" : req.path.substr(slash);
      double asked = std::stod(v);
      if (asked < std::stod(kMinApiVersion))
        return ErrorResponse(InvalidArgument("client version " + v +
                                             " is too old. Minimum supported API version is " +
                                             kMinApiVersion));
    }
  }
  bool path_known = false;
  for (const auto& r : routes_) {
    std::map<std::string, std::string> params;
    if (!Match(r.pattern, req.path, &params)) continue;
    path_known = true;
    if (r.method != req.method && !(r.method == "GET" && req.method == "HEAD")) continue;
    req.params = std::move(params);
    Result<ApiResponse> res = Status(Code::kInternal, "no response");
    try {
      res = r.handler(engine, req);
    } catch (const std::exception& e) {  // nlohmann::json type errors on odd input
      res = InvalidArgument(std::string("bad request: ") + e.what());
    }
    return res.ok() ? std::move(*res) : ErrorResponse(res.status());
  }
  if (path_known)
    return ErrorResponse(
        Status(Code::kInternal, std::string(kUnsupportedPrefix) + req.method + " " + req.path));
  // Object names with '/' (e.g. an image "127.0.0.1:5000/x") do not match a
  // one-segment route; the docker client needs a 404 to try the next kind.
  for (const char* kind : {"containers", "volumes", "networks", "exec"}) {
    std::string prefix = std::string("/") + kind + "/";
    if (req.path.rfind(prefix, 0) == 0)
      return ErrorResponse(
          NotFound(std::string("No such ") + kind + " object: " + req.path.substr(prefix.size())));
  }
  return ErrorResponse(Unsupported("the endpoint " + req.method + " " + req.path));
}

std::vector<Route> AllRoutes() {
  std::vector<Route> all;
  for (auto part : {SystemRoutes(), ContainerRoutes(), ImageRoutes(), ExecRoutes(), VolumeRoutes(),
                    NetworkRoutes()})
    all.insert(all.end(), part.begin(), part.end());
  return all;
}

}  // namespace berth::runtime
