#include "scenarios/etcd_kv.h"

#include <openssl/evp.h>

#include "base/json_util.h"
#include "scenarios/http_client.h"

namespace berth::scenarios {

std::string Base64Encode(const std::string& in) {
  std::string out(4 * ((in.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  out.resize(n);
  return out;
}

Result<std::string> Base64Decode(const std::string& in) {
  if (in.size() % 4 != 0) return InvalidArgument("invalid base64 '" + in + "'");
  std::string out(3 * in.size() / 4, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  if (n < 0) return InvalidArgument("invalid base64 '" + in + "'");
  // EVP_DecodeBlock keeps the bytes that padding stands for: drop them.
  size_t pad = 0;
  for (size_t i = in.size(); i > 0 && in[i - 1] == '=' && pad < 2; --i) ++pad;
  out.resize(n - pad);
  return out;
}

EtcdKv::EtcdKv(std::vector<std::string> endpoints, Millis timeout, Millis avoid)
    : endpoints_(std::move(endpoints)),
      timeout_(timeout),
      avoid_(avoid),
      avoid_until_(endpoints_.size()) {}

size_t EtcdKv::Pick() {
  std::lock_guard<std::mutex> lock(mu_);
  const auto now = Clock::now();
  for (size_t k = 0; k < endpoints_.size(); ++k) {
    size_t i = (next_ + k) % endpoints_.size();
    if (avoid_until_[i] <= now) {
      next_ = i + 1;
      return i;
    }
  }
  // Every endpoint failed lately: the one that failed longest ago is the
  // likeliest to be back (a member of the majority after an election).
  size_t oldest = 0;
  for (size_t i = 1; i < endpoints_.size(); ++i)
    if (avoid_until_[i] < avoid_until_[oldest]) oldest = i;
  return oldest;
}

void EtcdKv::Failed(size_t i) {
  std::lock_guard<std::mutex> lock(mu_);
  avoid_until_[i] = Clock::now() + avoid_;
}

void EtcdKv::Answered(size_t i) {
  std::lock_guard<std::mutex> lock(mu_);
  avoid_until_[i] = Clock::time_point();
}

Status EtcdKv::Put(const std::string& key, const std::string& value) {
  if (endpoints_.empty()) return FailedPrecondition("etcd: no endpoints");
  size_t i = Pick();
  const std::string url = endpoints_[i] + "/v3/kv/put";
  Json req = {{"key", Base64Encode(key)}, {"value", Base64Encode(value)}};
  HttpExchange x = CurlHttpPost(url, req.dump(), timeout_);
  if (x.result.status == 200) {
    Answered(i);
    return Status::Ok();
  }
  Failed(i);
  if (x.timed_out) return DeadlineExceeded("put " + key + " via " + url + ": timed out");
  if (x.result.status == 0) {
    std::string what = "put " + key + " via " + url + ": " + x.result.error;
    return x.connected ? Unavailable(what) : FailedPrecondition(what);
  }
  std::string what = "put " + key + " via " + url + ": HTTP " + std::to_string(x.result.status) +
                     " " + x.body.substr(0, 200);
  // etcd answers 5xx for "request timed out", "no leader", "leader changed":
  // the proposal may still be applied.
  return x.result.status >= 500 ? Unavailable(what) : FailedPrecondition(what);
}

Result<std::optional<std::string>> EtcdKv::Get(const std::string& key) {
  if (endpoints_.empty()) return FailedPrecondition("etcd: no endpoints");
  size_t i = Pick();
  const std::string url = endpoints_[i] + "/v3/kv/range";
  HttpExchange x = CurlHttpPost(url, Json{{"key", Base64Encode(key)}}.dump(), timeout_);
  if (x.result.status != 200) {
    Failed(i);
    return Unavailable(
        "get " + key + " via " + url + ": " +
        (x.result.status ? "HTTP " + std::to_string(x.result.status) + " " + x.body.substr(0, 200)
                         : x.result.error));
  }
  Answered(i);
  BERTH_ASSIGN_OR_RETURN(Json j, ParseJson(x.body, "etcd range reply from " + url));
  if (!j.is_object() || !j.contains("kvs") || !j["kvs"].is_array() || j["kvs"].empty())
    return std::optional<std::string>();
  const Json& kv = j["kvs"][0];
  if (!kv.is_object() || !kv.contains("value")) return std::optional<std::string>(std::string());
  if (!kv["value"].is_string()) return Internal("etcd range reply from " + url + ": bad value");
  BERTH_ASSIGN_OR_RETURN(std::string v, Base64Decode(kv["value"].get<std::string>()));
  return std::optional<std::string>(v);
}

}  // namespace berth::scenarios
