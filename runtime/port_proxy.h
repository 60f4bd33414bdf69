// PortProxy: publishes container ports (-p HOST:CONTAINER) without NAT.
// berthd listens on the host port and relays each connection into the
// container's network namespace (setns in the relay thread) to
// 127.0.0.1:CONTAINER. TCP only.
#pragma once

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "base/fd.h"
#include "base/status.h"
#include "runtime/container.h"

namespace berth::runtime {

class PortProxy {
 public:
  // Binds every host port (fails if one is taken) and starts accepting.
  static Result<std::unique_ptr<PortProxy>> Start(int container_pid,
                                                  const std::vector<PortBinding>& ports);
  // Stops accepting; relays already running end with their connections.
  ~PortProxy();

 private:
  PortProxy() = default;
  UniqueFd netns_;
  std::vector<UniqueFd> listeners_;
  std::vector<std::thread> threads_;
};

}  // namespace berth::runtime
