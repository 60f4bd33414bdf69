#include "runtime/byte_source.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace berth::runtime {

Result<size_t> FdRangeSource::Read(char* buf, size_t n) {
  if (left_ == 0) return size_t{0};
  if (left_ > 0 && static_cast<int64_t>(n) > left_) n = static_cast<size_t>(left_);
  for (;;) {
    ssize_t r = pread(fd_, buf, n, pos_);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return ErrnoStatus("read archive", errno);
    pos_ += r;
    if (left_ > 0) left_ -= r;
    if (r == 0 && left_ > 0) return InvalidArgument("archive is truncated");
    return static_cast<size_t>(r);
  }
}

Result<size_t> StringSource::Read(char* buf, size_t n) {
  size_t k = std::min(n, data_.size() - pos_);
  memcpy(buf, data_.data() + pos_, k);
  pos_ += k;
  return k;
}

GzipSource::GzipSource(std::unique_ptr<ByteSource> inner) : inner_(std::move(inner)) {
  inflateInit2(&zs_, 16 + MAX_WBITS);  // 16: expect a gzip header
  in_buf_.resize(64 * 1024);
}

GzipSource::~GzipSource() { inflateEnd(&zs_); }

Result<size_t> GzipSource::Read(char* buf, size_t n) {
  if (done_) return size_t{0};
  zs_.next_out = reinterpret_cast<Bytef*>(buf);
  zs_.avail_out = static_cast<uInt>(n);
  while (zs_.avail_out == n) {
    if (zs_.avail_in == 0) {
      BERTH_ASSIGN_OR_RETURN(size_t got, inner_->Read(in_buf_.data(), in_buf_.size()));
      if (got == 0) return InvalidArgument("gzip stream is truncated");
      zs_.next_in = reinterpret_cast<Bytef*>(in_buf_.data());
      zs_.avail_in = static_cast<uInt>(got);
    }
    int rc = inflate(&zs_, Z_NO_FLUSH);
    if (rc == Z_STREAM_END) {
      done_ = true;
      break;
    }
    if (rc != Z_OK)
      return InvalidArgument(std::string("gzip: ") + (zs_.msg ? zs_.msg : "bad data"));
  }
  return n - zs_.avail_out;
}

Result<std::unique_ptr<ByteSource>> OpenMaybeGzip(int fd, int64_t offset, int64_t length) {
  unsigned char magic[2] = {0, 0};
  ssize_t r = pread(fd, magic, 2, offset);
  if (r < 0) return ErrnoStatus("read archive", errno);
  auto raw = std::make_unique<FdRangeSource>(fd, offset, length);
  if (r == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
    return std::unique_ptr<ByteSource>(std::make_unique<GzipSource>(std::move(raw)));
  }
  return std::unique_ptr<ByteSource>(std::move(raw));
}

}  // namespace berth::runtime
