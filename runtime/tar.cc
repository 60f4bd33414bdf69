#include "runtime/tar.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/fd.h"
#include "base/file_util.h"

namespace berth::runtime {
namespace {

constexpr size_t kBlock = 512;

uint64_t ParseNumeric(const char* p, size_t n) {
  if (n > 0 && (static_cast<unsigned char>(p[0]) & 0x80)) {  // base-256
    uint64_t v = static_cast<unsigned char>(p[0]) & 0x7f;
    for (size_t i = 1; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
    return v;
  }
  uint64_t v = 0;
  for (size_t i = 0; i < n && p[i]; ++i) {
    if (p[i] == ' ') continue;
    if (p[i] < '0' || p[i] > '7') break;
    v = v * 8 + (p[i] - '0');
  }
  return v;
}

std::string Field(const char* p, size_t n) { return std::string(p, strnlen(p, n)); }

// Parses pax records "LEN key=value\n" into path/linkpath/size overrides.
void ApplyPax(const std::string& data, std::string* path, std::string* link, uint64_t* size) {
  size_t pos = 0;
  while (pos < data.size()) {
    size_t sp = data.find(' ', pos);
    if (sp == std::string::npos) break;
    size_t len = std::strtoull(data.c_str() + pos, nullptr, 10);
    if (len == 0 || pos + len > data.size()) break;
    std::string rec = data.substr(sp + 1, pos + len - sp - 2);  // drop trailing '\n'
    size_t eq = rec.find('=');
    if (eq != std::string::npos) {
      std::string k = rec.substr(0, eq), v = rec.substr(eq + 1);
      if (k == "path") *path = v;
      if (k == "linkpath") *link = v;
      if (k == "size") *size = std::strtoull(v.c_str(), nullptr, 10);
    }
    pos += len;
  }
}

}  // namespace

Status TarReader::ReadExact(char* buf, size_t n) {
  while (n > 0) {
    BERTH_ASSIGN_OR_RETURN(size_t got, src_->Read(buf, n));
    if (got == 0) return InvalidArgument("tar archive is truncated");
    buf += got;
    n -= got;
    pos_ += got;
  }
  return Status::Ok();
}

Status TarReader::Skip(uint64_t n) {
  char buf[16384];
  while (n > 0) {
    size_t k = n < sizeof(buf) ? n : sizeof(buf);
    BERTH_RETURN_IF_ERROR(ReadExact(buf, k));
    n -= k;
  }
  return Status::Ok();
}

Result<bool> TarReader::Next(TarEntry* e) {
  BERTH_RETURN_IF_ERROR(Skip(data_left_ + pad_left_));
  data_left_ = pad_left_ = 0;
  std::string long_name, long_link;
  uint64_t pax_size = UINT64_MAX;
  for (;;) {
    char h[kBlock];
    // A clean end of input where a header would start is accepted as the end.
    BERTH_ASSIGN_OR_RETURN(size_t first, src_->Read(h, kBlock));
    if (first == 0) return false;
    pos_ += first;
    if (first < kBlock) BERTH_RETURN_IF_ERROR(ReadExact(h + first, kBlock - first));
    bool zero = true;
    for (char c : h) zero = zero && c == 0;
    if (zero) return false;
    unsigned sum = 0;
    for (size_t i = 0; i < kBlock; ++i)
      sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(h[i]);
    if (sum != ParseNumeric(h + 148, 8)) return InvalidArgument("tar header checksum mismatch");
    *e = TarEntry{};
    e->type = h[156] ? h[156] : '0';
    e->size = ParseNumeric(h + 124, 12);
    uint64_t padded = (e->size + kBlock - 1) / kBlock * kBlock;
    if (e->type == 'L' || e->type == 'K' || e->type == 'x' || e->type == 'g') {
      if (e->size > (1 << 20)) return InvalidArgument("tar extended header is too large");
      std::string data(e->size, '\0');
      BERTH_RETURN_IF_ERROR(ReadExact(data.data(), e->size));
      BERTH_RETURN_IF_ERROR(Skip(padded - e->size));
      if (e->type == 'L') long_name = Field(data.data(), data.size());
      if (e->type == 'K') long_link = Field(data.data(), data.size());
      if (e->type == 'x') ApplyPax(data, &long_name, &long_link, &pax_size);
      continue;
    }
    std::string prefix = memcmp(h + 257, "ustar", 5) == 0 ? Field(h + 345, 155) : "";
    e->name = Field(h, 100);
    if (!prefix.empty()) e->name = prefix + "/" + e->name;
    if (!long_name.empty()) e->name = long_name;
    e->linkname = long_link.empty() ? Field(h + 157, 100) : long_link;
    if (pax_size != UINT64_MAX) e->size = pax_size;
    padded = (e->size + kBlock - 1) / kBlock * kBlock;
    e->mode = static_cast<uint32_t>(ParseNumeric(h + 100, 8)) & 07777;
    e->uid = static_cast<uint32_t>(ParseNumeric(h + 108, 8));
    e->gid = static_cast<uint32_t>(ParseNumeric(h + 116, 8));
    e->mtime = static_cast<int64_t>(ParseNumeric(h + 136, 12));
    e->devmajor = static_cast<uint32_t>(ParseNumeric(h + 329, 8));
    e->devminor = static_cast<uint32_t>(ParseNumeric(h + 337, 8));
    if (e->type == '7') e->type = '0';  // contiguous file
    bool has_data = e->type == '0';
    data_left_ = has_data ? e->size : 0;
    pad_left_ = has_data ? padded - e->size : padded;  // skip data of non-files too
    e->data_offset = pos_;
    return true;
  }
}

Status TarReader::ReadData(const std::function<Status(const char*, size_t)>& sink) {
  char buf[65536];
  while (data_left_ > 0) {
    size_t k = data_left_ < sizeof(buf) ? data_left_ : sizeof(buf);
    BERTH_RETURN_IF_ERROR(ReadExact(buf, k));
    data_left_ -= k;
    BERTH_RETURN_IF_ERROR(sink(buf, k));
  }
  return Status::Ok();
}

Result<std::string> TarReader::ReadDataToString(uint64_t limit) {
  if (data_left_ > limit) return InvalidArgument("tar member is too large");
  std::string out;
  BERTH_RETURN_IF_ERROR(ReadData([&](const char* p, size_t n) {
    out.append(p, n);
    return Status::Ok();
  }));
  return out;
}

Result<std::string> CleanTarPath(const std::string& name) {
  std::string out;
  size_t pos = 0;
  while (pos <= name.size()) {
    size_t end = name.find('/', pos);
    if (end == std::string::npos) end = name.size();
    std::string part = name.substr(pos, end - pos);
    pos = end + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") return InvalidArgument("archive member '" + name + "' climbs out with '..'");
    if (!out.empty()) out += '/';
    out += part;
  }
  return out;
}

namespace {

// Makes sure every parent folder of `rel` below `dest` is a real directory
// (creating missing ones); a symlink on the way is an escape attempt.
Status PrepareParents(const std::string& dest, const std::string& rel) {
  std::string cur = dest;
  size_t pos = 0;
  for (;;) {
    size_t slash = rel.find('/', pos);
    if (slash == std::string::npos) return Status::Ok();
    cur += "/" + rel.substr(pos, slash - pos);
    pos = slash + 1;
    struct stat st;
    if (lstat(cur.c_str(), &st) == 0) {
      if (S_ISLNK(st.st_mode))
        return InvalidArgument("archive member '" + rel + "' goes through symlink '" +
                               cur.substr(dest.size() + 1) + "' (symlink escape)");
      if (!S_ISDIR(st.st_mode))
        return InvalidArgument("archive member '" + rel + "': parent is not a directory");
    } else if (mkdir(cur.c_str(), 0755) != 0) {
      return ErrnoStatus("mkdir " + cur, errno);
    }
  }
}

// Removes whatever is at `path` unless it is a directory and `keep_dir`.
Status ClearPath(const std::string& path, bool keep_dir) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) return Status::Ok();
  if (S_ISDIR(st.st_mode)) return keep_dir ? Status::Ok() : RemoveAll(path);
  if (unlink(path.c_str()) != 0) return ErrnoStatus("unlink " + path, errno);
  return Status::Ok();
}

}  // namespace

Result<ExtractStats> ExtractLayer(ByteSource* src, const std::string& dest) {
  TarReader reader(src);
  ExtractStats stats;
  bool root = geteuid() == 0;
  for (;;) {
    TarEntry e;
    BERTH_ASSIGN_OR_RETURN(bool more, reader.Next(&e));
    if (!more) break;
    BERTH_ASSIGN_OR_RETURN(std::string rel, CleanTarPath(e.name));
    if (rel.empty()) continue;  // the archive's "./"
    BERTH_RETURN_IF_ERROR(PrepareParents(dest, rel));
    std::string path = dest + "/" + rel;
    std::string base = rel.substr(rel.rfind('/') + 1);
    std::string dir = path.substr(0, path.size() - base.size() - 1);
    ++stats.entries;
    if (base == ".wh..wh..opq") {
      if (setxattr(dir.c_str(), "trusted.overlay.opaque", "y", 1, 0) != 0)
        return ErrnoStatus("mark " + dir + " opaque", errno);
      continue;
    }
    if (base.rfind(".wh.", 0) == 0) {
      std::string target = dir + "/" + base.substr(4);
      BERTH_RETURN_IF_ERROR(ClearPath(target, false));
      if (mknod(target.c_str(), S_IFCHR | 0, makedev(0, 0)) != 0)
        return ErrnoStatus("create whiteout " + target, errno);
      continue;
    }
    BERTH_RETURN_IF_ERROR(ClearPath(path, e.type == '5'));
    switch (e.type) {
      case '5':
        if (mkdir(path.c_str(), e.mode) != 0 && errno != EEXIST)
          return ErrnoStatus("mkdir " + path, errno);
        break;
      case '0': {
        UniqueFd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (!fd) return ErrnoStatus("create " + path, errno);
        BERTH_RETURN_IF_ERROR(reader.ReadData([&](const char* p, size_t n) -> Status {
          while (n > 0) {
            ssize_t w = write(fd.get(), p, n);
            if (w < 0 && errno == EINTR) continue;
            if (w < 0) return ErrnoStatus("write " + path, errno);
            p += w;
            n -= w;
          }
          return Status::Ok();
        }));
        stats.bytes += e.size;
        break;
      }
      case '1': {
        BERTH_ASSIGN_OR_RETURN(std::string target, CleanTarPath(e.linkname));
        BERTH_RETURN_IF_ERROR(PrepareParents(dest, target));
        std::string tpath = dest + "/" + target;
        struct stat st;
        if (lstat(tpath.c_str(), &st) != 0 || S_ISDIR(st.st_mode))
          return InvalidArgument("hard link '" + rel + "' points at missing '" + e.linkname + "'");
        if (link(tpath.c_str(), path.c_str()) != 0) return ErrnoStatus("link " + path, errno);
        continue;  // attributes belong to the target
      }
      case '2':
        if (symlink(e.linkname.c_str(), path.c_str()) != 0)
          return ErrnoStatus("symlink " + path, errno);
        break;
      case '3':
      case '4':
      case '6': {
        mode_t kind = e.type == '3' ? S_IFCHR : e.type == '4' ? S_IFBLK : S_IFIFO;
        if (mknod(path.c_str(), kind | e.mode, makedev(e.devmajor, e.devminor)) != 0)
          return ErrnoStatus("mknod " + path, errno);
        break;
      }
      default:
        return InvalidArgument("archive member '" + rel + "' has unsupported type '" +
                               std::string(1, e.type) + "'");
    }
    if (root && lchown(path.c_str(), e.uid, e.gid) != 0) return ErrnoStatus("chown " + path, errno);
    if (e.type != '2' && chmod(path.c_str(), e.mode) != 0)
      return ErrnoStatus("chmod " + path, errno);
    if (e.type != '5') {
      struct timespec ts[2] = {{e.mtime, 0}, {e.mtime, 0}};
      utimensat(AT_FDCWD, path.c_str(), ts, AT_SYMLINK_NOFOLLOW);
    }
  }
  return stats;
}

Status TarWriter::WriteHeader(const TarEntry& e) {
  if (e.name.size() >= 100) {
    std::string rec = " path=" + e.name + "\n";
    size_t len = rec.size() + 1;
    while (std::to_string(len).size() + rec.size() != len)
      len = std::to_string(len).size() + rec.size();
    std::string pax = std::to_string(len) + rec;
    TarEntry x;
    x.name = "PaxHeader";
    x.type = 'x';
    x.size = pax.size();
    BERTH_RETURN_IF_ERROR(WriteHeader(x));
    BERTH_RETURN_IF_ERROR(out_(pax.data(), pax.size()));
    BERTH_RETURN_IF_ERROR(Pad(pax.size()));
  }
  char h[kBlock] = {};
  memcpy(h, e.name.data(), std::min<size_t>(e.name.size(), 99));
  snprintf(h + 100, 8, "%07o", e.mode);
  snprintf(h + 108, 8, "%07o", e.uid);
  snprintf(h + 116, 8, "%07o", e.gid);
  snprintf(h + 124, 12, "%011llo", static_cast<unsigned long long>(e.size));
  snprintf(h + 136, 12, "%011llo", static_cast<unsigned long long>(e.mtime));
  h[156] = e.type;
  memcpy(h + 257, "ustar", 6);
  memcpy(h + 263, "00", 2);
  memset(h + 148, ' ', 8);
  unsigned sum = 0;
  for (char c : h) sum += static_cast<unsigned char>(c);
  snprintf(h + 148, 8, "%06o", sum);
  return out_(h, kBlock);
}

Status TarWriter::Pad(uint64_t size) {
  static const char zeros[kBlock] = {};
  size_t rem = size % kBlock;
  return rem ? out_(zeros, kBlock - rem) : Status::Ok();
}

Status TarWriter::AddFile(const std::string& name, const std::string& data, uint32_t mode) {
  TarEntry e;
  e.name = name;
  e.mode = mode;
  e.size = data.size();
  BERTH_RETURN_IF_ERROR(WriteHeader(e));
  BERTH_RETURN_IF_ERROR(out_(data.data(), data.size()));
  return Pad(data.size());
}

Status TarWriter::AddDir(const std::string& name) {
  TarEntry e;
  e.name = name.back() == '/' ? name : name + "/";
  e.type = '5';
  e.mode = 0755;
  return WriteHeader(e);
}

Status TarWriter::AddFileFromPath(const std::string& name, const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return ErrnoStatus("open " + path, errno);
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return ErrnoStatus("stat " + path, errno);
  TarEntry e;
  e.name = name;
  e.size = st.st_size;
  BERTH_RETURN_IF_ERROR(WriteHeader(e));
  FdRangeSource src(fd.get(), 0, st.st_size);
  char buf[65536];
  uint64_t total = 0;
  for (;;) {
    BERTH_ASSIGN_OR_RETURN(size_t n, src.Read(buf, sizeof(buf)));
    if (n == 0) break;
    total += n;
    BERTH_RETURN_IF_ERROR(out_(buf, n));
  }
  if (total != e.size) return Internal(path + " changed while being archived");
  return Pad(e.size);
}

Status TarWriter::Finish() {
  static const char zeros[2 * kBlock] = {};
  return out_(zeros, sizeof(zeros));
}

}  // namespace berth::runtime
