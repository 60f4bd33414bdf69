// TLS material for the engines (Docker Machine's layout): one CA and one
// client certificate per $BERTH_HOME (certs/ca.pem, cert.pem, key.pem), and a
// server certificate per machine whose names cover 127.0.0.1, localhost, the
// lab address and the machine name, so it never breaks when something
// changes (ANCHORS.md, complaint 1). Made with the `openssl` tool; keys 0600.
#pragma once

#include <string>

#include "base/status.h"
#include "machine/config.h"
#include "machine/store.h"

namespace berth::provisioners {

struct ClientCerts {
  std::string dir;  // DOCKER_CERT_PATH
  std::string ca, cert, key;
};

// Creates the CA and client certificate on first use; returns their paths.
// Safe against concurrent callers (store lock).
Result<ClientCerts> EnsureClientCerts(const machine::Store& store);

// (Re)generates machines/NAME/server.pem and server-key.pem signed by the CA.
Status MakeServerCert(const machine::Store& store, const machine::MachineConfig& config);

}  // namespace berth::provisioners
