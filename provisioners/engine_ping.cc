#include "provisioners/engine_ping.h"

#include <thread>

#include "provisioners/engine_client.h"

namespace berth::provisioners {

Status PingEngine(const std::string& host, int port, const ClientCerts& certs) {
  return EngineClient(host, port, certs).Ping();
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
