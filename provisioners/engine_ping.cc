#include "provisioners/engine_ping.h"

#include <curl/curl.h>

#include <memory>
#include <thread>

namespace berth::provisioners {
namespace {

size_t Append(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};

}  // namespace

Status PingEngine(const std::string& host, int port, const ClientCerts& certs) {
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) return Internal("curl_easy_init failed");
  std::string url = "https://" + host + ":" + std::to_string(port) + "/_ping";
  std::string body;
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CAINFO, certs.ca.c_str());
  curl_easy_setopt(c, CURLOPT_SSLCERT, certs.cert.c_str());
  curl_easy_setopt(c, CURLOPT_SSLKEY, certs.key.c_str());
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, Append);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
  CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) return Unavailable("GET " + url + ": " + curl_easy_strerror(rc));
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  if (code != 200 || body != "OK")
    return Unavailable("GET " + url + ": HTTP " + std::to_string(code) + " " + body);
  return Status::Ok();
}

Status WaitForEngine(const std::string& host, int port, const ClientCerts& certs,
                     std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  Status last;
  do {
    last = PingEngine(host, port, certs);
    if (last.ok()) return last;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  } while (std::chrono::steady_clock::now() < deadline);
  return DeadlineExceeded("the engine did not answer within " + std::to_string(timeout.count()) +
                          "s; last try: " + last.message());
}

}  // namespace berth::provisioners
