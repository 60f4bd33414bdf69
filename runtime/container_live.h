// Internal to the container manager: the in-memory side of a container and
// of an exec session. Guarded by ContainerManager::mu_.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/fd.h"
#include "runtime/container_manager.h"
#include "runtime/port_proxy.h"

namespace berth::runtime {

struct ContainerManager::Live {
  ContainerRecord rec;
  std::shared_ptr<IoPump> pump;                       // while running
  std::vector<std::shared_ptr<OutputSink>> attached;  // handed to the next pump
  UniqueFd stdin_r, stdin_w;                          // container stdin pipe (OpenStdin, no tty)
  UniqueFd pty;                                       // pty master (Tty)
  std::string pending_input;                          // tty input that arrived before the pty
  std::unique_ptr<PortProxy> proxy;                   // published ports, while running
  uint64_t exits = 0;                                 // bumped at each exit
  bool starting = false;
  bool removed = false;
};

struct ContainerManager::ExecSession {
  std::string id;
  std::string container_id;
  ExecSpec spec;
  bool running = false;
  bool started = false;
  int exit_code = 0;
  bool has_exit = false;
  int pid = 0;
  UniqueFd pty;
};

}  // namespace berth::runtime
