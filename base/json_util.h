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

// Reads field `key` of the object `j` into *out. A missing key is an error
// ("PATH: missing field 'KEY'"); a value that does not convert to T is an
// error ("PATH: field 'KEY' has the wrong type") and leaves *out untouched.
// Never throws.
template <typename T>
Status GetField(const Json& j, const char* key, T* out, const std::string& path);

// Like GetField, but a missing key (or a `j` that is not an object) leaves
// *out untouched and is not an error.
template <typename T>
Status GetOptionalField(const Json& j, const char* key, T* out, const std::string& path) {
  if (!j.is_object() || !j.contains(key)) return Status::Ok();
  try {
    *out = j.at(key).get<T>();
  } catch (const Json::exception&) {
    return InvalidArgument(path + ": field '" + key + "' has the wrong type");
  }
  return Status::Ok();
}

template <typename T>
Status GetField(const Json& j, const char* key, T* out, const std::string& path) {
  if (!j.is_object() || !j.contains(key))
    return InvalidArgument(path + ": missing field '" + key + "'");
  return GetOptionalField(j, key, out, path);
}

}  // namespace berth
