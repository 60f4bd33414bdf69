// The engine bundle uploaded into every machine: berthd (stripped), crun, and
// the shared libraries both need (the guest has no glibc of its own beyond
// what its image carries). Built on the host and cached by content hash.
#pragma once

#include <string>

#include "base/status.h"

namespace berth::provisioners {

struct EngineBundle {
  std::string version;  // content hash of berthd + crun; names the folder in the guest
  std::string tarball;  // path of the .tar.gz on the host
};

// berthd next to this berth (../runtime/berthd from the CLI's folder), then
// $BERTH_BERTHD, then PATH. Empty when none is found.
std::string FindBerthd();

// Builds (or finds in `cache_dir`) the bundle for the berthd and crun installed here.
Result<EngineBundle> EnsureEngineBundle(const std::string& cache_dir);

}  // namespace berth::provisioners
