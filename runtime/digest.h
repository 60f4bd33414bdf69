// SHA-256 digests in the "sha256:HEX" form the image formats use.
#pragma once

#include <openssl/evp.h>

#include <memory>
#include <string>

#include "runtime/byte_source.h"

namespace berth::runtime {

class Sha256 {
 public:
  Sha256();
  void Update(const char* p, size_t n);
  // "sha256:<64 hex>"; call once.
  std::string Finish();

 private:
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx_;
};

std::string Sha256Digest(const std::string& data);

// True for "sha256:" followed by 64 lowercase hex digits.
bool IsDigest(const std::string& s);

// The hex part of a digest ("sha256:abc" -> "abc").
inline std::string DigestHex(const std::string& d) { return d.substr(d.find(':') + 1); }

// Passes bytes through from `inner`, hashing them and appending them to
// `copy_fd` when it is >= 0.
class TeeSource : public ByteSource {
 public:
  TeeSource(ByteSource* inner, int copy_fd) : inner_(inner), copy_fd_(copy_fd) {}
  Result<size_t> Read(char* buf, size_t n) override;
  // Drains what the reader left unread (tar padding), then returns the digest.
  Result<std::string> Finish();
  uint64_t size() const { return size_; }

 private:
  ByteSource* inner_;
  int copy_fd_;
  Sha256 hash_;
  uint64_t size_ = 0;
};

}  // namespace berth::runtime
