// Decoding `POST /containers/create` strictly into a ContainerSpec.
#pragma once

#include <string>

#include "base/json_util.h"
#include "runtime/container.h"

namespace berth::runtime {

// Decodes the create body (Config + HostConfig + NetworkingConfig) and the
// ?name= parameter. Settings berthd does not implement are rejected by name.
Result<ContainerSpec> DecodeCreateRequest(const Json& body, const std::string& name);

// Parses a -v spec "SRC:DST[:ro|rw]" (SRC a volume name or an absolute path).
Result<Mount> ParseBind(const std::string& bind);

}  // namespace berth::runtime
