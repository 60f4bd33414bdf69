// PcapWriter: writes Ethernet frames to a classic pcap file (microsecond
// timestamps, link type 1), which tshark, tcpdump and Wireshark read.
// Buffered; Flush() makes everything written so far visible to readers.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "base/status.h"

namespace berth::fabric {

class PcapWriter {
 public:
  // Creates (truncates) `path` and writes the pcap file header.
  static Result<std::unique_ptr<PcapWriter>> Open(const std::string& path);
  ~PcapWriter();
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;

  // Appends one frame with the wall-clock time `unix_ns`.
  void Write(const uint8_t* frame, size_t len, int64_t unix_ns);
  Status Flush();

  const std::string& path() const { return path_; }
  uint64_t frames() const { return frames_; }

 private:
  PcapWriter(std::string path, FILE* file) : path_(std::move(path)), file_(file) {}
  std::string path_;
  FILE* file_;
  uint64_t frames_ = 0;
};

}  // namespace berth::fabric
