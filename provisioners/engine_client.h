// EngineClient: a small Docker Engine API client for a machine's berthd, over
// mutual TLS with libcurl (the CA and client certificate of $BERTH_HOME,
// certs.h). It covers what the host side needs: ping, image load, and the
// container lifecycle (create, start, stop, kill, remove, inspect).
//
// Errors: transport failures are kUnavailable (kDeadlineExceeded on a
// timeout); HTTP errors map from the status (404 kNotFound, 409
// kAlreadyExists, 400 kInvalidArgument, else kInternal) with the engine's
// "message". Thread-safety: a const EngineClient may be used from several
// threads (one curl handle per request).
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "base/json_util.h"
#include "base/status.h"
#include "machine/config.h"
#include "provisioners/certs.h"

namespace berth::provisioners {

struct EngineReply {
  long code = 0;
  std::string body;
};

// What `docker create` sends, reduced to what berth's callers use.
struct ContainerCreate {
  std::string name;
  std::string image;
  std::vector<std::string> entrypoint;  // empty: the image's
  std::vector<std::string> cmd;         // empty: the image's
  std::vector<std::string> env;         // "KEY=VALUE"
  std::string hostname;                 // empty: the engine's default
  // Published ports: host port on the machine -> container port (TCP).
  std::vector<std::pair<int, int>> ports;
  std::vector<std::string> binds;     // "NAME:/path[:ro]" or "/machine/path:/path[:ro]"
  std::string network;                // empty: the engine's default; "host", "none", a name
  std::string restart_policy = "no";  // no, always, unless-stopped, on-failure
};

// The part of `docker inspect` the callers look at.
struct ContainerState {
  std::string id;
  std::string status;  // "created", "running", "exited", ...
  bool running = false;
  int exit_code = 0;
  int pid = 0;
};

// Builds the create request body (Docker Engine API /containers/create).
Json ContainerCreateJson(const ContainerCreate& spec);

class EngineClient {
 public:
  EngineClient(std::string host, int port, ClientCerts certs)
      : host_(std::move(host)), port_(port), certs_(std::move(certs)) {}
  // The engine of a machine: its forwarded engine port on config.host.
  static EngineClient ForMachine(const machine::MachineConfig& config, const ClientCerts& certs) {
    return EngineClient(config.host, config.engine_port, certs);
  }

  // One request. `body_file` (when set) is streamed as the body instead of
  // `body`. Any HTTP status is a reply; only transport errors fail.
  Result<EngineReply> Call(const std::string& method, const std::string& path,
                           const std::string& body = "", const std::string& body_file = "",
                           std::chrono::seconds timeout = std::chrono::seconds(60)) const;

  // GET /_ping; Ok when the engine answers "OK".
  Status Ping(std::chrono::seconds timeout = std::chrono::seconds(10)) const;
  // POST /images/load with a `docker save` or OCI archive.
  Status LoadImage(const std::string& archive) const;
  // POST /containers/create; returns the new container's id.
  Result<std::string> CreateContainer(const ContainerCreate& spec) const;
  // Start and stop are Ok when the container is already in that state.
  Status StartContainer(const std::string& ref) const;
  Status StopContainer(const std::string& ref, int grace_s = 10) const;
  Status KillContainer(const std::string& ref, const std::string& signal = "KILL") const;
  Status RemoveContainer(const std::string& ref, bool force) const;
  Result<ContainerState> InspectContainer(const std::string& ref) const;

  std::string base_url() const { return "https://" + host_ + ":" + std::to_string(port_); }

 private:
  // Ok for a 2xx reply (and for 304 when `not_modified_ok`); else the mapped error.
  Status Expect(const std::string& what, const Result<EngineReply>& reply,
                bool not_modified_ok = false) const;

  std::string host_;
  int port_;
  ClientCerts certs_;
};

}  // namespace berth::provisioners
