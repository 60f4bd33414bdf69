// The engine's HTTP server: Boost.Beast over a unix socket and over TCP with
// mutual TLS. One thread per connection (synchronous Beast), which keeps
// hijacked and streaming connections simple; the engine is thread-safe.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "runtime/api_router.h"

namespace berth::runtime {

struct TlsOptions {
  std::string listen;   // "0.0.0.0:2376"; empty: no TCP listener
  std::string ca_cert;  // client certificates must chain to this CA
  std::string cert;
  std::string key;
};

class HttpServer {
 public:
  HttpServer(Engine& engine, const Router& router);
  ~HttpServer();
  // Listens on `socket_path` (mode 0660, replaced if stale). Call before Run.
  Status ListenUnix(const std::string& socket_path);
  // Listens on TCP with TLS; clients without a certificate from the CA fail
  // the handshake.
  Status ListenTls(const TlsOptions& tls);
  // Logs every request and TLS handshake with its duration to stderr.
  void SetDebug(bool debug);
  // Serves until Stop(); blocks.
  void Run();
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace berth::runtime
