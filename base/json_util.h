// JSON helpers over nlohmann::json: parsing without exceptions, versioned
// state files.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "base/status.h"

namespace berth {

using Json = nlohmann::json;

// Parses `text`; the error names `what` (e.g. a file path) and the position.
Result<Json> ParseJson(const std::string& text, const std::string& what);

Result<Json> ReadJsonFile(const std::string& path);

// Writes `j` pretty-printed, atomically (see WriteFileAtomic).
Status WriteJsonFileAtomic(const std::string& path, const Json& j, mode_t mode = 0644);

// Checks the integer "version" field of a state file: refuses files written by
// a newer berth ("...was written by a newer berth (version 3; this berth reads
// up to 2): upgrade berth"). Missing version counts as 1.
Result<int> CheckStateVersion(const Json& j, int max_supported, const std::string& path);

}  // namespace berth
