// The container images the real lab can seed into machines, and their
// archives. There is no registry in the lab yet, so each image a scenario
// names is built on the host from Debian packages by a script in images/
// (`docker save` layout), cached, and loaded into every machine.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"

namespace berth::scenarios {

// The image names the real lab knows ("busybox:latest", "etcd:latest"); a
// name without a tag means ":latest".
std::vector<std::string> KnownLabImages();
bool IsKnownLabImage(const std::string& image);

// Returns the path of `image`'s archive under `cache_dir`/images, building it
// first when the builder script or its inputs changed. Safe against
// concurrent callers (build to a temporary file, rename).
Result<std::string> EnsureImageArchive(const std::string& image, const std::string& cache_dir);

}  // namespace berth::scenarios
