// DNS wire format (RFC 1035), just what the embedded resolver needs: decode
// a query's header and single question, encode an answer with A or PTR
// records. Pure functions over bytes, no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace berth::runtime {

inline constexpr uint16_t kDnsTypeA = 1;
inline constexpr uint16_t kDnsTypePtr = 12;
inline constexpr uint16_t kDnsTypeAaaa = 28;
inline constexpr uint16_t kDnsClassIn = 1;
inline constexpr int kDnsNoError = 0, kDnsFormErr = 1, kDnsServFail = 2, kDnsNxDomain = 3,
                     kDnsNotImp = 4, kDnsRefused = 5;

struct DnsQuery {
  uint16_t id = 0;
  uint16_t flags = 0;
  std::string name;  // dotted, without the trailing dot ("" for the root)
  uint16_t qtype = 0, qclass = 0;
  size_t question_end = 0;  // offset just past the question in the packet
};

// Decodes a standard query with exactly one question. InvalidArgument for a
// response, a truncated packet, compression in the question or bad labels.
Result<DnsQuery> ParseDnsQuery(std::string_view packet);

struct DnsAnswer {
  int rcode = kDnsNoError;
  std::vector<uint32_t> a;  // A records (host byte order)
  std::string ptr;          // a PTR record's target name when not empty
  uint32_t ttl = 600;
};

// The response to `query` (whose decoded form is `q`): the question echoed,
// QR/AA/RA set, RD copied, then the answer records.
std::string EncodeDnsResponse(std::string_view query, const DnsQuery& q, const DnsAnswer& answer);

// Encodes a query (for tests and clients): one question, RD set.
std::string EncodeDnsQuery(uint16_t id, const std::string& name, uint16_t qtype);

// "2.0.18.172.in-addr.arpa" -> 172.18.0.2; false when `name` is not one.
bool ParseReverseName(const std::string& name, uint32_t* ip);

}  // namespace berth::runtime
