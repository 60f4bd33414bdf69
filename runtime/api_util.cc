#include "runtime/api_util.h"

#include <time.h>

#include <chrono>

#include "runtime/api_router.h"

namespace berth::runtime {

Result<Json> BodyJson(const ApiRequest& req) {
  if (req.body.empty()) return Json::object();
  BERTH_ASSIGN_OR_RETURN(Json j, ParseJson(req.body, "request body"));
  if (!j.is_object()) return InvalidArgument("request body must be a JSON object");
  return j;
}

bool IsDefault(const Json& v) {
  if (v.is_null()) return true;
  if (v.is_boolean()) return !v.get<bool>();
  if (v.is_number()) return v.get<double>() == 0;
  if (v.is_string()) return v.get<std::string>().empty();
  if (v.is_array() || v.is_object()) return v.empty();
  return false;
}

Status RejectUnsupported(const Json& obj, const std::set<std::string>& supported,
                         const std::string& prefix) {
  if (!obj.is_object()) return Status::Ok();
  for (auto& [k, v] : obj.items()) {
    if (supported.count(k) || IsDefault(v)) continue;
    return Unsupported(prefix + k + " (value " + v.dump() + ")");
  }
  return Status::Ok();
}

Result<std::map<std::string, std::vector<std::string>>> ParseFilters(const ApiRequest& req) {
  std::map<std::string, std::vector<std::string>> out;
  std::string f = req.Query("filters");
  if (f.empty()) return out;
  BERTH_ASSIGN_OR_RETURN(Json j, ParseJson(f, "filters"));
  if (!j.is_object()) return InvalidArgument("filters must be a JSON object");
  for (auto& [k, v] : j.items()) {
    if (v.is_object()) {
      for (auto& [val, on] : v.items())
        if (on.is_boolean() && on.get<bool>()) out[k].push_back(val);
    } else if (v.is_array()) {
      for (const auto& val : v) out[k].push_back(val.get<std::string>());
    }
  }
  return out;
}

int64_t ParseTime(const std::string& s) {
  struct tm tm {};
  if (s.size() < 19 || !strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) return 0;
  return timegm(&tm);
}

std::string HumanDuration(int64_t s) {
  auto plural = [](int64_t n, const char* unit) {
    return std::to_string(n) + " " + unit + (n == 1 ? "" : "s");
  };
  if (s < 1) return "Less than a second";
  if (s == 1) return "1 second";
  if (s < 60) return plural(s, "second");
  int64_t m = s / 60;
  if (m == 1) return "About a minute";
  if (m < 60) return plural(m, "minute");
  int64_t h = (s + 1800) / 3600;
  if (h == 1) return "About an hour";
  if (h < 48) return plural(h, "hour");
  if (h < 24 * 7 * 2) return plural(h / 24, "day");
  return plural(h / 24 / 7, "week");
}

std::vector<std::string> JsonStrings(const Json& j) {
  std::vector<std::string> out;
  if (j.is_string()) out.push_back(j.get<std::string>());
  if (j.is_array())
    for (const auto& s : j)
      if (s.is_string()) out.push_back(s.get<std::string>());
  return out;
}

ApiResponse StreamJsonLines(std::function<void(Conn&)> fn) {
  ApiResponse r;
  r.stream = std::move(fn);
  r.content_type = "application/json";
  return r;
}

}  // namespace berth::runtime
