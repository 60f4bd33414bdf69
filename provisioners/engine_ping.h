// Talking to a machine's engine from the host over mutual TLS (libcurl).
#pragma once

#include <chrono>
#include <string>

#include "base/status.h"
#include "provisioners/certs.h"

namespace berth::provisioners {

// GET https://HOST:PORT/_ping with the client certificate; Ok on "OK".
Status PingEngine(const std::string& host, int port, const ClientCerts& certs);

// Retries PingEngine until it answers or `timeout` passes; the error says
// what was tried last.
Status WaitForEngine(const std::string& host, int port, const ClientCerts& certs,
                     std::chrono::seconds timeout);

}  // namespace berth::provisioners
