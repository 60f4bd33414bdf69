// A TCP port on 127.0.0.1 chosen by the kernel, for tests that need a port
// that is in use (keep the fd) or one that nothing listens on (close it).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "base/fd.h"

namespace berth::testing {

// Binds a fresh TCP socket to 127.0.0.1:0 and stores the port in *port.
// The returned fd holds the port until it is closed; invalid on failure.
inline UniqueFd BindLoopbackTcp(int* port) {
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (!fd || bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      getsockname(fd.get(), reinterpret_cast<sockaddr*>(&a), &len) != 0)
    return UniqueFd();
  *port = ntohs(a.sin_port);
  return fd;
}

}  // namespace berth::testing
