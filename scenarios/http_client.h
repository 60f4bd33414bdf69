// A minimal blocking HTTP client over libcurl, for probes, conditions and
// the etcd kv client.
#pragma once

#include <string>

#include "scenarios/lab.h"

namespace berth::scenarios {

// GETs `url` within `timeout` (connect + transfer). Never throws; transport
// errors are reported in HttpResult::error with curl's message. Thread-safe
// (one easy handle per call; curl_global_init runs once).
HttpResult CurlHttpGet(const std::string& url, Millis timeout);

// What a request with a body saw. `connected` tells whether the request may
// have reached the server (false: it certainly did not, e.g. refused).
struct HttpExchange {
  HttpResult result;
  std::string body;
  bool connected = false;
  bool timed_out = false;
};

// POSTs `body` as application/json to `url` within `timeout`; same contract
// as CurlHttpGet, and the reply body is kept.
HttpExchange CurlHttpPost(const std::string& url, const std::string& body, Millis timeout);

}  // namespace berth::scenarios
