#include "runtime/dns_message.h"

namespace berth::runtime {
namespace {

uint16_t U16(std::string_view p, size_t off) {
  return static_cast<uint16_t>((static_cast<uint8_t>(p[off]) << 8) |
                               static_cast<uint8_t>(p[off + 1]));
}

void PutU16(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 255));
}

void PutU32(std::string& out, uint32_t v) {
  PutU16(out, static_cast<uint16_t>(v >> 16));
  PutU16(out, static_cast<uint16_t>(v & 0xffff));
}

void PutName(std::string& out, const std::string& name) {
  size_t pos = 0;
  while (pos < name.size()) {
    size_t dot = name.find('.', pos);
    if (dot == std::string::npos) dot = name.size();
    out.push_back(static_cast<char>(dot - pos));
    out.append(name, pos, dot - pos);
    pos = dot + 1;
  }
  out.push_back('\0');
}

constexpr size_t kHeader = 12;

}  // namespace

Result<DnsQuery> ParseDnsQuery(std::string_view p) {
  if (p.size() < kHeader) return InvalidArgument("dns: packet shorter than its header");
  DnsQuery q;
  q.id = U16(p, 0);
  q.flags = U16(p, 2);
  if (q.flags & 0x8000) return InvalidArgument("dns: not a query");
  if (U16(p, 4) != 1) return InvalidArgument("dns: expected exactly one question");
  size_t off = kHeader;
  for (;;) {
    if (off >= p.size()) return InvalidArgument("dns: truncated name");
    uint8_t len = static_cast<uint8_t>(p[off++]);
    if (len == 0) break;
    if (len & 0xc0) return InvalidArgument("dns: compressed or extended label in question");
    if (off + len > p.size()) return InvalidArgument("dns: truncated label");
    if (!q.name.empty()) q.name.push_back('.');
    q.name.append(p.substr(off, len));
    off += len;
    if (q.name.size() > 253) return InvalidArgument("dns: name longer than 253 bytes");
  }
  if (off + 4 > p.size()) return InvalidArgument("dns: truncated question");
  q.qtype = U16(p, off);
  q.qclass = U16(p, off + 2);
  q.question_end = off + 4;
  return q;
}

std::string EncodeDnsResponse(std::string_view query, const DnsQuery& q, const DnsAnswer& ans) {
  std::string out;
  PutU16(out, q.id);
  uint16_t opcode = q.flags & 0x7800;
  uint16_t rd = q.flags & 0x0100;
  PutU16(out, static_cast<uint16_t>(0x8000 | opcode | 0x0400 | rd | 0x0080 | (ans.rcode & 15)));
  size_t count = ans.a.size() + (ans.ptr.empty() ? 0 : 1);
  PutU16(out, 1);
  PutU16(out, static_cast<uint16_t>(count));
  PutU16(out, 0);
  PutU16(out, 0);
  out.append(query.substr(kHeader, q.question_end - kHeader));
  for (uint32_t ip : ans.a) {
    PutU16(out, 0xc000 | kHeader);  // the name: a pointer to the question's
    PutU16(out, kDnsTypeA);
    PutU16(out, kDnsClassIn);
    PutU32(out, ans.ttl);
    PutU16(out, 4);
    PutU32(out, ip);
  }
  if (!ans.ptr.empty()) {
    PutU16(out, 0xc000 | kHeader);
    PutU16(out, kDnsTypePtr);
    PutU16(out, kDnsClassIn);
    PutU32(out, ans.ttl);
    std::string target;
    PutName(target, ans.ptr);
    PutU16(out, static_cast<uint16_t>(target.size()));
    out += target;
  }
  return out;
}

std::string EncodeDnsQuery(uint16_t id, const std::string& name, uint16_t qtype) {
  std::string out;
  PutU16(out, id);
  PutU16(out, 0x0100);
  PutU16(out, 1);
  PutU16(out, 0);
  PutU16(out, 0);
  PutU16(out, 0);
  PutName(out, name);
  PutU16(out, qtype);
  PutU16(out, kDnsClassIn);
  return out;
}

bool ParseReverseName(const std::string& name, uint32_t* ip) {
  std::string n = name;
  for (auto& c : n) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  const std::string suffix = ".in-addr.arpa";
  if (n.size() <= suffix.size() || n.compare(n.size() - suffix.size(), suffix.size(), suffix) != 0)
    return false;
  n.resize(n.size() - suffix.size());
  std::vector<uint32_t> parts;
  size_t pos = 0;
  for (;;) {
    size_t dot = n.find('.', pos);
    std::string part = n.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos);
    if (part.empty() || part.size() > 3 ||
        part.find_first_not_of("0123456789") != std::string::npos)
      return false;
    parts.push_back(static_cast<uint32_t>(std::stoi(part)));
    if (parts.back() > 255 || parts.size() > 4) return false;
    if (dot == std::string::npos) break;
    pos = dot + 1;
  }
  if (parts.size() != 4) return false;
  *ip = (parts[3] << 24) | (parts[2] << 16) | (parts[1] << 8) | parts[0];
  return true;
}

}  // namespace berth::runtime
