// berth-fabric: the simulated lab network, one process per network.
//   berth-fabric --home DIR --network NAME
// Normally started by berth (fabric::EnsureNetwork); exits cleanly on SIGTERM.
#include <cstring>
#include <iostream>
#include <string>

#include "fabric/server.h"

int main(int argc, char** argv) {
  berth::fabric::ServerOptions options;
  options.handle_signals = true;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if ((a == "--home" || a == "--network") && i + 1 < argc) {
      (a == "--home" ? options.home : options.network) = argv[++i];
    } else if (a == "--help" || a == "-h") {
      std::cout << "usage: berth-fabric --home DIR --network NAME\n";
      return 0;
    } else {
      std::cerr << "berth-fabric: unknown argument '" << a << "'\n";
      return 2;
    }
  }
  if (options.home.empty() || options.network.empty()) {
    std::cerr << "usage: berth-fabric --home DIR --network NAME\n";
    return 2;
  }
  auto server = berth::fabric::Server::Start(options);
  if (!server.ok()) {
    std::cerr << "berth-fabric: " << server.status().message() << "\n";
    return 1;
  }
  std::cerr << "berth-fabric: network '" << options.network << "' on UDP port " << (*server)->port()
            << "\n";
  berth::Status st = (*server)->Run();
  if (!st.ok()) {
    std::cerr << "berth-fabric: " << st.message() << "\n";
    return 1;
  }
  std::cerr << "berth-fabric: network '" << options.network << "' stopped\n";
  return 0;
}
