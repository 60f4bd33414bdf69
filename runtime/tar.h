// Tar archives: a streaming reader (ustar, GNU long names, pax), a safe
// extractor for image layers, and a small writer for `docker save`.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/status.h"
#include "runtime/byte_source.h"

namespace berth::runtime {

struct TarEntry {
  std::string name;  // as stored (pax/GNU long names applied)
  char type = '0';   // '0' file, '1' hardlink, '2' symlink, '3' chr, '4' blk, '5' dir, '6' fifo
  uint32_t mode = 0644;
  uint32_t uid = 0, gid = 0;
  uint64_t size = 0;
  int64_t mtime = 0;
  std::string linkname;
  uint32_t devmajor = 0, devminor = 0;
  uint64_t data_offset = 0;  // offset of the data in the (uncompressed) stream
};

// Reads entries one by one. After Next() returns an entry, its data may be
// read with ReadData(); unread data is skipped by the next Next().
class TarReader {
 public:
  explicit TarReader(ByteSource* src) : src_(src) {}
  // False at the end of the archive.
  Result<bool> Next(TarEntry* entry);
  // Calls `sink` with the current entry's data in chunks.
  Status ReadData(const std::function<Status(const char*, size_t)>& sink);
  Result<std::string> ReadDataToString(uint64_t limit = 64 << 20);

 private:
  Status ReadExact(char* buf, size_t n);
  Status Skip(uint64_t n);
  ByteSource* src_;
  uint64_t pos_ = 0;
  uint64_t data_left_ = 0;
  uint64_t pad_left_ = 0;
};

// Normalises an archive member name to a relative path with no ".", "" or
// leading "/" components. Fails on any ".." component (path traversal).
Result<std::string> CleanTarPath(const std::string& name);

struct ExtractStats {
  uint64_t entries = 0;
  uint64_t bytes = 0;
};

// Extracts a layer archive into `dest` (an existing directory). Refuses
// members whose path climbs out with "..", whose parent path runs through a
// symlink (a symlink escape), and hard links whose target is outside `dest`.
// Docker whiteouts (".wh.NAME", ".wh..wh..opq") become overlayfs whiteouts.
// Ownership is kept when running as root.
Result<ExtractStats> ExtractLayer(ByteSource* src, const std::string& dest);

// Writes a tar stream through `out` (called with consecutive chunks).
class TarWriter {
 public:
  explicit TarWriter(std::function<Status(const char*, size_t)> out) : out_(std::move(out)) {}
  Status AddFile(const std::string& name, const std::string& data, uint32_t mode = 0644);
  Status AddDir(const std::string& name);
  // Adds a regular file `name` whose content is read from `path` on disk.
  Status AddFileFromPath(const std::string& name, const std::string& path);
  Status Finish();

 private:
  Status WriteHeader(const TarEntry& e);
  Status Pad(uint64_t size);
  std::function<Status(const char*, size_t)> out_;
};

}  // namespace berth::runtime
