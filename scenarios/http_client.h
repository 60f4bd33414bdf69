// A minimal blocking HTTP GET over libcurl, for probes and conditions.
#pragma once

#include <string>

#include "scenarios/lab.h"

namespace berth::scenarios {

// GETs `url` within `timeout` (connect + transfer). Never throws; transport
// errors are reported in HttpResult::error with curl's message. Thread-safe
// (one easy handle per call; curl_global_init runs once).
HttpResult CurlHttpGet(const std::string& url, Millis timeout);

}  // namespace berth::scenarios
