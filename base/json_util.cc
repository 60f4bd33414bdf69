#include "base/json_util.h"

#include "base/file_util.h"

namespace berth {

Result<Json> ParseJson(const std::string& text, const std::string& what) {
  try {
    return Json::parse(text);
  } catch (const Json::parse_error& e) {
    return InvalidArgument("parse " + what + ": " + e.what());
  }
}

Result<Json> ReadJsonFile(const std::string& path) {
  BERTH_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return ParseJson(text, path);
}

Status WriteJsonFileAtomic(const std::string& path, const Json& j, mode_t mode) {
  return WriteFileAtomic(path, j.dump(2) + "\n", mode);
}

Result<int> CheckStateVersion(const Json& j, int max_supported, const std::string& path) {
  int version = 1;
  if (j.is_object() && j.contains("version")) {
    if (!j["version"].is_number_integer())
      return InvalidArgument(path + ": field 'version' must be an integer");
    version = j["version"].get<int>();
  }
  if (version > max_supported)
    return FailedPrecondition(path + " was written by a newer berth (format version " +
                              std::to_string(version) + "; this berth reads up to " +
                              std::to_string(max_supported) +
                              "): upgrade berth, or remove the file to start over");
  if (version < 1) return InvalidArgument(path + ": invalid format version " + std::to_string(version));
  return version;
}

}  // namespace berth
