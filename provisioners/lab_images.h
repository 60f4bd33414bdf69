// The container images berth builds itself, and their archives: each is made
// on the host from Debian packages by a script in images/ (`docker save`
// layout) and cached. Scenarios load them into every machine; `berth
// registry start` seeds the lab registry with busybox.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"

namespace berth::provisioners {

// The image names the real lab knows ("busybox:latest", "etcd:latest"); a
// name without a tag means ":latest".
std::vector<std::string> KnownLabImages();
bool IsKnownLabImage(const std::string& image);

// Returns the path of `image`'s archive under `cache_dir`/images, building it
// first when the builder script or its inputs changed. Safe against
// concurrent callers (build to a temporary file, rename).
Result<std::string> EnsureImageArchive(const std::string& image, const std::string& cache_dir);

}  // namespace berth::provisioners
