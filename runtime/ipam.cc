#include "runtime/ipam.h"

#include "runtime/netlink.h"

namespace berth::runtime {

bool Subnet::Overlaps(const Subnet& o) const {
  uint32_t m = prefix < o.prefix ? Mask() : o.Mask();
  return (base & m) == (o.base & m);
}

std::string Subnet::ToString() const { return FormatIpv4(base) + "/" + std::to_string(prefix); }

Result<Subnet> ParseSubnet(const std::string& cidr) {
  size_t slash = cidr.find('/');
  if (slash == std::string::npos) return InvalidArgument("invalid subnet " + cidr + ": no /prefix");
  BERTH_ASSIGN_OR_RETURN(uint32_t ip, ParseIpv4(cidr.substr(0, slash)));
  std::string p = cidr.substr(slash + 1);
  if (p.empty() || p.size() > 2 || p.find_first_not_of("0123456789") != std::string::npos)
    return InvalidArgument("invalid subnet " + cidr);
  Subnet s{ip, std::stoi(p)};
  if (s.prefix < 8 || s.prefix > 30)
    return InvalidArgument("invalid subnet " + cidr + ": prefix must be between 8 and 30");
  if ((ip & s.Mask()) != ip)
    return InvalidArgument("invalid subnet " + cidr + ": host bits set (did you mean " +
                           FormatIpv4(ip & s.Mask()) + "/" + p + "?)");
  return s;
}

Result<Subnet> PickSubnet(const std::vector<Subnet>& used) {
  std::vector<Subnet> pool;
  for (uint32_t b = 18; b <= 31; ++b) pool.push_back({(172u << 24) | (b << 16), 16});
  for (uint32_t c = 0; c < 256; c += 16)
    pool.push_back({(192u << 24) | (168u << 16) | (c << 8), 20});
  for (const auto& cand : pool) {
    bool free = true;
    for (const auto& u : used) free = free && !cand.Overlaps(u);
    if (free) return cand;
  }
  return Unavailable("all predefined address pools have been fully subnetted");
}

Result<uint32_t> Ipam::Allocate() {
  uint32_t last = subnet_.base | ~subnet_.Mask();  // broadcast
  for (uint32_t ip = subnet_.base + 1; ip < last; ++ip)
    if (ip != gateway_ && !used_.count(ip)) {
      used_.insert(ip);
      return ip;
    }
  return Unavailable("no free address left in " + subnet_.ToString());
}

Status Ipam::Reserve(uint32_t ip) {
  uint32_t last = subnet_.base | ~subnet_.Mask();
  if (!subnet_.Contains(ip) || ip == subnet_.base || ip == last)
    return InvalidArgument("address " + FormatIpv4(ip) + " is not usable in " + subnet_.ToString());
  if (ip == gateway_ || used_.count(ip))
    return AlreadyExists("Address already in use: " + FormatIpv4(ip));
  used_.insert(ip);
  return Status::Ok();
}

}  // namespace berth::runtime
