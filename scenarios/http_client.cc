#include "scenarios/http_client.h"

#include <curl/curl.h>

#include <chrono>
#include <memory>
#include <mutex>

namespace berth::scenarios {
namespace {

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

size_t Discard(char*, size_t size, size_t nmemb, void*) { return size * nmemb; }
size_t Append(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// One request: a GET when `post` is null, else a JSON POST of *post.
HttpExchange Perform(const std::string& url, const std::string* post, Millis timeout) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  HttpExchange x;
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) {
    x.result.error = "curl_easy_init failed";
    return x;
  }
  CURL* c = curl.get();
  std::unique_ptr<curl_slist, SlistDeleter> headers;
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);  // safe in threads
  curl_easy_setopt(c, CURLOPT_NOPROXY, "*");  // lab traffic never goes through a proxy
  curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
  if (post) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, post->c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(post->size()));
    headers.reset(curl_slist_append(nullptr, "Content-Type: application/json"));
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, Append);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &x.body);
  } else {
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, Discard);
  }
  auto t0 = std::chrono::steady_clock::now();
  CURLcode rc = curl_easy_perform(c);
  x.result.latency_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  curl_off_t connect_us = 0;
  curl_easy_getinfo(c, CURLINFO_CONNECT_TIME_T, &connect_us);
  x.connected = rc == CURLE_OK || connect_us > 0;
  if (rc != CURLE_OK) {
    x.timed_out = rc == CURLE_OPERATION_TIMEDOUT;
    x.result.error = curl_easy_strerror(rc);
    return x;
  }
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  x.result.status = static_cast<int>(code);
  return x;
}

}  // namespace

HttpResult CurlHttpGet(const std::string& url, Millis timeout) {
  return Perform(url, nullptr, timeout).result;
}

HttpExchange CurlHttpPost(const std::string& url, const std::string& body, Millis timeout) {
  return Perform(url, &body, timeout);
}

}  // namespace berth::scenarios
