// File helpers: whole-file reads and crash-safe writes.
#pragma once

#include <sys/types.h>

#include <string>

#include "base/status.h"

namespace berth {

Result<std::string> ReadFile(const std::string& path);

// Writes `data` to `path` atomically: a temp file in the same folder is
// written, fsync'ed, given `mode`, renamed over `path`, and the folder is
// fsync'ed. A reader sees the old content or the new, never a mix.
Status WriteFileAtomic(const std::string& path, const std::string& data, mode_t mode = 0644);

// mkdir -p with `mode` for the folders it creates.
Status MakeDirs(const std::string& path, mode_t mode = 0755);

// rm -rf; ok when `path` does not exist.
Status RemoveAll(const std::string& path);

bool PathExists(const std::string& path);

}  // namespace berth
