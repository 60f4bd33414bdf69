// IPv4 address management for bridge networks: subnets, the gateway, and the
// container addresses handed out on one network. Not thread-safe; the
// network manager guards it.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "base/status.h"

namespace berth::runtime {

struct Subnet {
  uint32_t base = 0;  // network address, host byte order
  int prefix = 0;
  uint32_t Mask() const { return prefix == 0 ? 0 : ~0u << (32 - prefix); }
  bool Contains(uint32_t ip) const { return (ip & Mask()) == base; }
  bool Overlaps(const Subnet& o) const;
  std::string ToString() const;  // "172.18.0.0/16"
};

// "172.18.0.0/16"; host bits must be zero; prefix 8..30.
Result<Subnet> ParseSubnet(const std::string& cidr);

// The first of 172.18.0.0/16 .. 172.31.0.0/16, then 192.168.0.0/20 ..
// 192.168.240.0/20, that overlaps none of `used` (Docker's default pools).
Result<Subnet> PickSubnet(const std::vector<Subnet>& used);

class Ipam {
 public:
  // `gateway` must lie inside `subnet` and is never handed out.
  Ipam(Subnet subnet, uint32_t gateway) : subnet_(subnet), gateway_(gateway) {}
  // The lowest free address above the network address (not the gateway, not
  // the broadcast address). Unavailable when the subnet is full.
  Result<uint32_t> Allocate();
  // Takes a specific address (docker run --ip); InvalidArgument when outside
  // the subnet, AlreadyExists when taken.
  Status Reserve(uint32_t ip);
  void Release(uint32_t ip) { used_.erase(ip); }
  const Subnet& subnet() const { return subnet_; }
  uint32_t gateway() const { return gateway_; }

 private:
  Subnet subnet_;
  uint32_t gateway_;
  std::set<uint32_t> used_;
};

}  // namespace berth::runtime
