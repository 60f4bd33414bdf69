// The guest image every machine boots (kernel + initramfs), built by
// images/build-guest-image from Debian packages and cached by content hash
// under $BERTH_HOME/cache.
#pragma once

#include <string>

#include "base/status.h"

namespace berth::machine {

struct GuestImage {
  std::string kernel;
  std::string initrd;
  std::string cmdline;
  std::string hash;
};

// Path of images/build-guest-image: $BERTH_IMAGES_DIR, else the source tree
// berth was built from, else <exe>/../share/berth/images.
std::string GuestImageBuilder();

// Builds the image if its inputs changed (a cache hit is cheap) and returns it.
Result<GuestImage> EnsureGuestImage(const std::string& home);

}  // namespace berth::machine
