// EtcdKv: the kv probe's client for etcd, over etcd v3's JSON gateway
// (POST /v3/kv/put and /v3/kv/range, keys and values in base64), so it needs
// no gRPC. Like etcd's own client it spreads requests over the endpoints and
// avoids one that just failed for a while (a partitioned member), so the
// probe measures what a real client sees.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "scenarios/lab.h"

namespace berth::scenarios {

class EtcdKv : public KvClient {
 public:
  // `endpoints`: base URLs such as "http://127.0.0.1:40123"; `timeout` per
  // request; an endpoint that failed is skipped for `avoid` or until it
  // answers again (when all failed, the one that failed longest ago is used).
  EtcdKv(std::vector<std::string> endpoints, Millis timeout, Millis avoid = Millis(10000));

  // Ok only on etcd's acknowledgement. kDeadlineExceeded/kUnavailable when
  // the write may or may not have happened (timeout, 5xx, connection lost);
  // kFailedPrecondition when it certainly did not (a 4xx, no connection).
  Status Put(const std::string& key, const std::string& value) override;
  Result<std::optional<std::string>> Get(const std::string& key) override;

 private:
  using Clock = std::chrono::steady_clock;
  size_t Pick();
  void Failed(size_t i);    // avoid endpoint i for `avoid_`
  void Answered(size_t i);  // endpoint i works: no longer avoided

  std::vector<std::string> endpoints_;
  Millis timeout_, avoid_;
  std::mutex mu_;
  size_t next_ = 0;
  std::vector<Clock::time_point> avoid_until_;
};

std::string Base64Encode(const std::string& in);
Result<std::string> Base64Decode(const std::string& in);

}  // namespace berth::scenarios
