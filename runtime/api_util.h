// Helpers shared by the per-resource API files: strict request decoding,
// Docker's filters, times and human durations.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "base/json_util.h"
#include "runtime/api_types.h"

namespace berth::runtime {

// Parses the request body as a JSON object ("{}" when empty).
Result<Json> BodyJson(const ApiRequest& req);

// Strict decoding in Docker's terms: Docker ignores unknown keys but berthd
// must not silently ignore a setting it does not implement. Every key of
// `obj` that is not in `supported` and carries a non-default value (not
// null/false/0/""/[]/{}) is an error naming it: "berthd does not support
// HostConfig.Privileged".
Status RejectUnsupported(const Json& obj, const std::set<std::string>& supported,
                         const std::string& prefix);

// True when `v` is null, false, 0, "", [] or {}.
bool IsDefault(const Json& v);

// Docker's `filters` query parameter: {"key": {"value": true}} or
// {"key": ["value"]} -> key -> values.
Result<std::map<std::string, std::vector<std::string>>> ParseFilters(const ApiRequest& req);

// Seconds since the epoch of an RFC 3339 time (0 when unparsable).
int64_t ParseTime(const std::string& rfc3339);
// "3 seconds", "About a minute", "2 hours" (Docker's HumanDuration).
std::string HumanDuration(int64_t seconds);

std::vector<std::string> JsonStrings(const Json& j);  // array or single string

struct ContainerRecord;
// A container's NetworkSettings.Networks for inspect (api_networks.cc).
Json ContainerNetworksJson(Engine& e, const ContainerRecord& c);

// Streams `body` to the connection as the HTTP body of a streaming response.
ApiResponse StreamJsonLines(std::function<void(Conn&)> fn);

}  // namespace berth::runtime
