#include "runtime/digest.h"

#include <unistd.h>

#include <cerrno>

namespace berth::runtime {

Sha256::Sha256() : ctx_(EVP_MD_CTX_new(), EVP_MD_CTX_free) {
  EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr);
}

void Sha256::Update(const char* p, size_t n) { EVP_DigestUpdate(ctx_.get(), p, n); }

std::string Sha256::Finish() {
  unsigned char md[32];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx_.get(), md, &len);
  static const char* hex = "0123456789abcdef";
  std::string out = "sha256:";
  for (unsigned i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

std::string Sha256Digest(const std::string& data) {
  Sha256 h;
  h.Update(data.data(), data.size());
  return h.Finish();
}

bool IsDigest(const std::string& s) {
  if (s.size() != 71 || s.rfind("sha256:", 0) != 0) return false;
  for (size_t i = 7; i < s.size(); ++i)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return false;
  return true;
}

Result<size_t> TeeSource::Read(char* buf, size_t n) {
  BERTH_ASSIGN_OR_RETURN(size_t got, inner_->Read(buf, n));
  hash_.Update(buf, got);
  size_ += got;
  for (size_t off = 0; copy_fd_ >= 0 && off < got;) {
    ssize_t w = write(copy_fd_, buf + off, got - off);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return ErrnoStatus("write layer copy", errno);
    off += w;
  }
  return got;
}

Result<std::string> TeeSource::Finish() {
  char buf[65536];
  for (;;) {
    BERTH_ASSIGN_OR_RETURN(size_t n, Read(buf, sizeof(buf)));
    if (n == 0) break;
  }
  return hash_.Finish();
}

}  // namespace berth::runtime
