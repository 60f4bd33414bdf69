// NetworkManager: user-defined bridge networks for containers. The container
// manager asks it for a network namespace at start and releases it at exit.
#pragma once

#include <string>
#include <vector>

#include "base/json_util.h"
#include "base/status.h"
#include "runtime/container.h"

namespace berth::runtime {

struct NetworkAttachment {
  std::string netns_path;              // the container joins this namespace
  std::vector<std::string> addresses;  // its IPv4 addresses
};

class NetworkManager {
 public:
  virtual ~NetworkManager() = default;
  // Creates the container's namespace and connects it to its networks.
  virtual Result<NetworkAttachment> Attach(const std::string& container_id,
                                           const ContainerSpec& spec) = 0;
  // Tears down what Attach set up; safe to call twice.
  virtual void Detach(const std::string& container_id) = 0;
};

}  // namespace berth::runtime
