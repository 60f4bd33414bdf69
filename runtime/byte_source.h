// Byte sources for streaming archive input: a file descriptor range, a string,
// and a gzip decoder over another source. Used by the tar reader, so layer
// archives never have to sit in memory whole.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <memory>
#include <string>

#include "base/fd.h"
#include "base/status.h"

namespace berth::runtime {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Reads up to `n` bytes; 0 means end of input.
  virtual Result<size_t> Read(char* buf, size_t n) = 0;
};

// Reads bytes [offset, offset+length) of an open file with pread; does not own
// the fd. length < 0 means "to the end of the file".
class FdRangeSource : public ByteSource {
 public:
  FdRangeSource(int fd, int64_t offset, int64_t length) : fd_(fd), pos_(offset), left_(length) {}
  Result<size_t> Read(char* buf, size_t n) override;

 private:
  int fd_;
  int64_t pos_;
  int64_t left_;
};

class StringSource : public ByteSource {
 public:
  explicit StringSource(std::string data) : data_(std::move(data)) {}
  Result<size_t> Read(char* buf, size_t n) override;

 private:
  std::string data_;
  size_t pos_ = 0;
};

// Decompresses gzip from `inner`. Not thread-safe.
class GzipSource : public ByteSource {
 public:
  explicit GzipSource(std::unique_ptr<ByteSource> inner);
  ~GzipSource() override;
  GzipSource(const GzipSource&) = delete;
  GzipSource& operator=(const GzipSource&) = delete;
  Result<size_t> Read(char* buf, size_t n) override;

 private:
  std::unique_ptr<ByteSource> inner_;
  z_stream zs_{};
  std::string in_buf_;
  bool done_ = false;
};

// Opens bytes [offset, offset+length) of `fd` as a source, transparently
// gunzipping when the range starts with the gzip magic.
Result<std::unique_ptr<ByteSource>> OpenMaybeGzip(int fd, int64_t offset, int64_t length);

}  // namespace berth::runtime
