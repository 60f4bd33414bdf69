#include "fabric/pcap.h"

#include <cerrno>

namespace berth::fabric {
namespace {

constexpr uint32_t kSnapLen = 65535;

struct FileHeader {
  uint32_t magic = 0xa1b2c3d4;  // microsecond timestamps, host byte order
  uint16_t version_major = 2;
  uint16_t version_minor = 4;
  int32_t thiszone = 0;
  uint32_t sigfigs = 0;
  uint32_t snaplen = kSnapLen;
  uint32_t linktype = 1;  // LINKTYPE_ETHERNET
};

struct RecordHeader {
  uint32_t ts_sec;
  uint32_t ts_usec;
  uint32_t incl_len;
  uint32_t orig_len;
};

}  // namespace

Result<std::unique_ptr<PcapWriter>> PcapWriter::Open(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "wbe");
  if (!f) return ErrnoStatus("create capture file " + path, errno);
  FileHeader h;
  if (std::fwrite(&h, sizeof h, 1, f) != 1) {
    int e = errno;
    std::fclose(f);
    return ErrnoStatus("write capture file " + path, e);
  }
  return std::unique_ptr<PcapWriter>(new PcapWriter(path, f));
}

PcapWriter::~PcapWriter() { std::fclose(file_); }

void PcapWriter::Write(const uint8_t* frame, size_t len, int64_t unix_ns) {
  uint32_t incl = len > kSnapLen ? kSnapLen : static_cast<uint32_t>(len);
  RecordHeader r{static_cast<uint32_t>(unix_ns / 1000000000),
                 static_cast<uint32_t>((unix_ns % 1000000000) / 1000), incl,
                 static_cast<uint32_t>(len)};
  std::fwrite(&r, sizeof r, 1, file_);
  std::fwrite(frame, 1, incl, file_);
  ++frames_;
}

Status PcapWriter::Flush() {
  if (std::fflush(file_) != 0) return ErrnoStatus("write capture file " + path_, errno);
  return Status::Ok();
}

}  // namespace berth::fabric
