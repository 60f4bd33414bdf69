// berthd: the berth container engine. Serves a Docker Engine API subset on a
// unix socket and, optionally, on TCP with mutual TLS.
#include <signal.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <thread>

#include "base/file_util.h"
#include "runtime/engine.h"
#include "runtime/host_ops.h"
#include "runtime/http_server.h"

using namespace berth;
using namespace berth::runtime;

int main(int argc, char** argv) {
  CLI::App app{"berthd: the berth container engine (Docker Engine API subset)"};
  EngineOptions opts;
  std::string socket = "/var/run/berthd.sock";
  TlsOptions tls;
  bool private_mounts = true;
  bool debug = false;
  bool no_runtime_aslr = false;
  app.add_option("--root", opts.root, "engine state folder")->capture_default_str();
  app.add_option("--exec-root", opts.exec_root,
                 "runtime folder for sockets and crun state (short path)")
      ->capture_default_str();
  app.add_option("-H,--host", socket, "unix socket path (unix:// prefix allowed)")
      ->capture_default_str();
  app.add_option("--crun", opts.crun, "OCI runtime binary")->capture_default_str();
  app.add_option("--cgroup-parent", opts.cgroup_parent, "cgroup under which containers go")
      ->capture_default_str();
  app.add_option("--name", opts.name, "engine name reported by docker info");
  app.add_option("--default-registry", opts.default_registry,
                 "HOST:PORT serving Docker Hub names (docker pull busybox); none: refused");
  app.add_option("--tls-listen", tls.listen,
                 "HOST:PORT for the mutual-TLS listener, e.g. 0.0.0.0:2376");
  app.add_option("--tlscacert", tls.ca_cert, "CA that client certificates must chain to");
  app.add_option("--tlscert", tls.cert, "server certificate");
  app.add_option("--tlskey", tls.key, "server key");
  app.add_flag("!--no-private-mounts", private_mounts,
               "do not run in a private mount namespace (mounts then outlive berthd)");
  app.add_flag("-D,--debug", debug, "log every request and TLS handshake with its duration");
  app.add_flag("--no-runtime-aslr", no_runtime_aslr,
               "run crun (and berthd's other helpers) without address space randomization; "
               "containers keep theirs. For TCG guests, where every randomized exec makes QEMU "
               "translate the program's code again");
  CLI11_PARSE(app, argc, argv);
  if (socket.rfind("unix://", 0) == 0) socket = socket.substr(7);
  if (!tls.listen.empty() && (tls.ca_cert.empty() || tls.cert.empty() || tls.key.empty())) {
    std::cerr << "berthd: --tls-listen needs --tlscacert, --tlscert and --tlskey\n";
    return 2;
  }

  // Before any thread: namespaces and signal dispositions are per process.
  if (private_mounts) {
    Status st = PrivatizeMounts();
    if (!st.ok()) {
      std::cerr << "berthd: " << st.message() << "\n";
      return 1;
    }
    auto pinned = PinReadOnlyRuntime(opts.crun, opts.exec_root + "/bin");
    if (pinned.ok())
      opts.crun = *pinned;
    else
      std::cerr << "berthd: " << pinned.status().message()
                << " (crun then copies itself at every call: slower container starts)\n";
  }
  // Inherited by every child, and reset to plain PER_LINUX by each
  // container's bundle (linux.personality) before its process starts.
  if (no_runtime_aslr && personality(personality(0xffffffff) | ADDR_NO_RANDOMIZE) == -1) {
    std::cerr << "berthd: personality(ADDR_NO_RANDOMIZE): " << std::strerror(errno) << "\n";
    return 1;
  }
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  signal(SIGPIPE, SIG_IGN);
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  umask(022);

  auto engine = Engine::Open(opts);
  if (!engine.ok()) {
    std::cerr << "berthd: " << engine.status().message() << "\n";
    return 1;
  }
  Router router(AllRoutes());
  HttpServer server(**engine, router);
  server.SetDebug(debug);
  Status st = server.ListenUnix(socket);
  if (st.ok() && !tls.listen.empty()) st = server.ListenTls(tls);
  if (!st.ok()) {
    std::cerr << "berthd: " << st.message() << "\n";
    return 1;
  }
  std::cerr << "berthd " BERTH_VERSION " listening on unix://" << socket
            << (tls.listen.empty() ? "" : " and tcp://" + tls.listen + " (mutual TLS)") << "\n";
  std::thread io([&] { server.Run(); });
  int sig = 0;
  sigwait(&stop_signals, &sig);
  std::cerr << "berthd: signal " << sig << ", stopping containers\n";
  server.Stop();
  io.join();
  (*engine)->containers().Shutdown();
  unlink(socket.c_str());
  // Every state change is already on disk; skip destructors, which would wait
  // for handler threads still blocked on clients (e.g. a pending `docker wait`).
  _exit(0);
}
