// Unit tests for the pieces of user-defined networks: IPAM, the name
// registry, DNS wire format and the resolver's policy, endpoint decoding.
#include <gtest/gtest.h>

#include "runtime/container_request.h"
#include "runtime/dns_server.h"
#include "runtime/ipam.h"
#include "runtime/name_registry.h"
#include "runtime/netlink.h"

namespace berth::runtime {
namespace {

uint32_t Ip(const char* s) { return *ParseIpv4(s); }

TEST(IpamTest, ParsesSubnetsStrictly) {
  auto s = ParseSubnet("172.20.0.0/16");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->ToString(), "172.20.0.0/16");
  EXPECT_TRUE(s->Contains(Ip("172.20.255.1")));
  EXPECT_FALSE(s->Contains(Ip("172.21.0.1")));
  EXPECT_FALSE(ParseSubnet("172.20.0.1/16").ok());  // host bits
  EXPECT_NE(ParseSubnet("172.20.0.1/16").status().message().find("172.20.0.0/16"),
            std::string::npos);
  EXPECT_FALSE(ParseSubnet("172.20.0.0").ok());
  EXPECT_FALSE(ParseSubnet("172.20.0.0/31").ok());
  EXPECT_FALSE(ParseSubnet("300.1.0.0/16").ok());
  EXPECT_FALSE(ParseSubnet("10.0.0.0/x").ok());
}

TEST(IpamTest, PicksFirstFreePool) {
  auto a = PickSubnet({});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->ToString(), "172.18.0.0/16");
  auto b = PickSubnet({*a, *ParseSubnet("172.19.128.0/24")});
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->ToString(), "172.20.0.0/16");
  std::vector<Subnet> all = {*ParseSubnet("172.16.0.0/12"), *ParseSubnet("192.168.0.0/16")};
  EXPECT_EQ(PickSubnet(all).status().code(), Code::kUnavailable);
}

TEST(IpamTest, AllocatesSkippingGatewayAndReleases) {
  Ipam ipam(*ParseSubnet("10.9.0.0/30"), Ip("10.9.0.1"));  // usable: .1 (gateway), .2
  auto a = ipam.Allocate();
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(FormatIpv4(*a), "10.9.0.2");
  EXPECT_EQ(ipam.Allocate().status().code(), Code::kUnavailable);  // .3 is broadcast
  ipam.Release(*a);
  EXPECT_EQ(FormatIpv4(*ipam.Allocate()), "10.9.0.2");
}

TEST(IpamTest, ReserveChecksRangeAndConflicts) {
  Ipam ipam(*ParseSubnet("10.9.0.0/24"), Ip("10.9.0.1"));
  EXPECT_TRUE(ipam.Reserve(Ip("10.9.0.50")).ok());
  EXPECT_EQ(ipam.Reserve(Ip("10.9.0.50")).code(), Code::kAlreadyExists);
  EXPECT_EQ(ipam.Reserve(Ip("10.9.0.1")).code(), Code::kAlreadyExists);  // gateway
  EXPECT_EQ(ipam.Reserve(Ip("10.9.1.5")).code(), Code::kInvalidArgument);
  EXPECT_EQ(ipam.Reserve(Ip("10.9.0.255")).code(), Code::kInvalidArgument);
  EXPECT_EQ(FormatIpv4(*ipam.Allocate()), "10.9.0.2");
}

TEST(NameRegistryTest, ScopesNamesToTheAskersNetworks) {
  NameRegistry r;
  r.Add("netA", "c1", {"web", "www"}, Ip("172.18.0.2"));
  r.Add("netA", "c2", {"client"}, Ip("172.18.0.3"));
  r.Add("netB", "c3", {"db"}, Ip("172.19.0.2"));
  r.Add("netB", "c1", {"web"}, Ip("172.19.0.3"));
  EXPECT_EQ(r.Lookup("c2", "web"), std::vector<uint32_t>{Ip("172.18.0.2")});
  EXPECT_EQ(r.Lookup("c2", "WWW."), std::vector<uint32_t>{Ip("172.18.0.2")});
  EXPECT_TRUE(r.Lookup("c2", "db").empty());  // not on netB
  EXPECT_EQ(r.Lookup("c3", "web"), std::vector<uint32_t>{Ip("172.19.0.3")});
  EXPECT_EQ(r.Lookup("c1", "web").size(), 2u);  // on both networks
  EXPECT_EQ(r.Reverse("c2", Ip("172.18.0.2")).value_or(""), "web");
  EXPECT_FALSE(r.Reverse("c2", Ip("172.19.0.2")).has_value());
  r.Remove("netA", "c1");
  EXPECT_TRUE(r.Lookup("c2", "web").empty());
  EXPECT_TRUE(r.Lookup("nobody", "client").empty());  // unknown askers see nothing
}

TEST(DnsMessageTest, QueryRoundTrip) {
  std::string pkt = EncodeDnsQuery(0x1234, "web.example", kDnsTypeA);
  auto q = ParseDnsQuery(pkt);
  ASSERT_TRUE(q.ok()) << q.status().message();
  EXPECT_EQ(q->id, 0x1234);
  EXPECT_EQ(q->name, "web.example");
  EXPECT_EQ(q->qtype, kDnsTypeA);
  EXPECT_EQ(q->qclass, kDnsClassIn);
  EXPECT_EQ(q->question_end, pkt.size());
}

TEST(DnsMessageTest, RejectsMalformedQueries) {
  std::string pkt = EncodeDnsQuery(1, "web", kDnsTypeA);
  EXPECT_FALSE(ParseDnsQuery(pkt.substr(0, 11)).ok());              // short header
  EXPECT_FALSE(ParseDnsQuery(pkt.substr(0, pkt.size() - 2)).ok());  // truncated question
  std::string resp = pkt;
  resp[2] = static_cast<char>(resp[2] | 0x80);  // QR: a response
  EXPECT_FALSE(ParseDnsQuery(resp).ok());
  std::string two = pkt;
  two[5] = 2;  // QDCOUNT 2
  EXPECT_FALSE(ParseDnsQuery(two).ok());
  std::string ptr = pkt;
  ptr[12] = static_cast<char>(0xc0);  // compression pointer in the question
  EXPECT_FALSE(ParseDnsQuery(ptr).ok());
  std::string overrun = pkt;
  overrun[12] = 60;  // label longer than the packet
  EXPECT_FALSE(ParseDnsQuery(overrun).ok());
}

TEST(DnsMessageTest, EncodesARecords) {
  std::string pkt = EncodeDnsQuery(0xbeef, "web", kDnsTypeA);
  auto q = ParseDnsQuery(pkt);
  ASSERT_TRUE(q.ok());
  DnsAnswer a;
  a.a = {Ip("172.18.0.2"), Ip("10.0.0.1")};
  std::string out = EncodeDnsResponse(pkt, *q, a);
  auto u8 = [&](size_t i) { return static_cast<uint8_t>(out[i]); };
  EXPECT_EQ(u8(0), 0xbe);
  EXPECT_EQ(u8(1), 0xef);
  EXPECT_EQ(u8(2), 0x85);  // QR, AA, RD
  EXPECT_EQ(u8(3), 0x80);  // RA, rcode 0
  EXPECT_EQ(u8(7), 2);     // ANCOUNT
  size_t off = pkt.size();
  ASSERT_EQ(out.size(), off + 2 * 16);
  EXPECT_EQ(u8(off), 0xc0);  // name: pointer to offset 12
  EXPECT_EQ(u8(off + 1), 12);
  EXPECT_EQ(u8(off + 3), kDnsTypeA);
  EXPECT_EQ(u8(off + 11), 4);  // rdlength
  EXPECT_EQ(u8(off + 12), 172);
  EXPECT_EQ(u8(off + 13), 18);
  EXPECT_EQ(u8(off + 15), 2);
  EXPECT_EQ(u8(off + 16 + 12), 10);
}

TEST(DnsMessageTest, EncodesPtrAndErrors) {
  std::string pkt = EncodeDnsQuery(7, "2.0.18.172.in-addr.arpa", kDnsTypePtr);
  auto q = ParseDnsQuery(pkt);
  ASSERT_TRUE(q.ok());
  uint32_t ip = 0;
  ASSERT_TRUE(ParseReverseName(q->name, &ip));
  EXPECT_EQ(FormatIpv4(ip), "172.18.0.2");
  EXPECT_FALSE(ParseReverseName("1.2.3.in-addr.arpa", &ip));
  EXPECT_FALSE(ParseReverseName("1.2.3.4.5.in-addr.arpa", &ip));
  EXPECT_FALSE(ParseReverseName("1.2.3.256.in-addr.arpa", &ip));
  DnsAnswer a;
  a.ptr = "web";
  std::string out = EncodeDnsResponse(pkt, *q, a);
  EXPECT_EQ(out.substr(out.size() - 5), std::string("\x03web\x00", 5));
  DnsAnswer nx;
  nx.rcode = kDnsNxDomain;
  std::string err = EncodeDnsResponse(pkt, *q, nx);
  EXPECT_EQ(static_cast<uint8_t>(err[3]) & 15, kDnsNxDomain);
  EXPECT_EQ(err.size(), pkt.size());  // question only
}

TEST(DnsResolverTest, Policy) {
  NameRegistry r;
  r.Add("n", "c1", {"web"}, Ip("172.18.0.2"));
  r.Add("n", "c2", {"client"}, Ip("172.18.0.3"));
  auto ask = [&](const std::string& name, uint16_t type) {
    return ResolveQuery(r, "c2", *ParseDnsQuery(EncodeDnsQuery(1, name, type)));
  };
  auto a = ask("web", kDnsTypeA);
  EXPECT_EQ(a.rcode, kDnsNoError);
  EXPECT_EQ(a.a, std::vector<uint32_t>{Ip("172.18.0.2")});
  auto aaaa = ask("web", kDnsTypeAaaa);  // exists, no IPv6: NODATA
  EXPECT_EQ(aaaa.rcode, kDnsNoError);
  EXPECT_TRUE(aaaa.a.empty());
  EXPECT_EQ(ask("nosuch", kDnsTypeA).rcode, kDnsNxDomain);
  EXPECT_EQ(ask("example.com", kDnsTypeA).rcode, kDnsRefused);  // never forwarded
  EXPECT_EQ(ask("2.0.18.172.in-addr.arpa", kDnsTypePtr).ptr, "web");
  EXPECT_EQ(ask("9.0.18.172.in-addr.arpa", kDnsTypePtr).rcode, kDnsNxDomain);
}

TEST(EndpointDecodeTest, NetworkModeAndAliases) {
  auto s = DecodeCreateRequest(Json::parse(R"({"Image": "busybox",
      "HostConfig": {"NetworkMode": "net1"},
      "NetworkingConfig": {"EndpointsConfig": {"net1": {"Aliases": ["web", "www"],
          "IPAMConfig": {"IPv4Address": "172.18.0.9"}}}}})"),
                               "c");
  ASSERT_TRUE(s.ok()) << s.status().message();
  ASSERT_EQ(s->endpoints.size(), 1u);
  EXPECT_EQ(s->endpoints[0].network, "net1");
  EXPECT_EQ(s->endpoints[0].aliases, (std::vector<std::string>{"web", "www"}));
  EXPECT_EQ(s->endpoints[0].ipv4, "172.18.0.9");
  // Docker 28 names the default network "default" in EndpointsConfig.
  auto plain = DecodeCreateRequest(Json::parse(R"({"Image": "busybox",
      "HostConfig": {"NetworkMode": "default"},
      "NetworkingConfig": {"EndpointsConfig": {"default": {"Aliases": null}}}})"),
                                   "c");
  ASSERT_TRUE(plain.ok());
  EXPECT_TRUE(plain->endpoints.empty());
  auto bad = DecodeCreateRequest(Json::parse(R"({"Image": "busybox",
      "HostConfig": {"NetworkMode": "bridge"},
      "NetworkingConfig": {"EndpointsConfig": {"bridge": {"Aliases": ["x"]}}}})"),
                                 "c");
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("user defined networks"), std::string::npos);
  auto mac = DecodeCreateRequest(Json::parse(R"({"Image": "busybox",
      "HostConfig": {"NetworkMode": "n"},
      "NetworkingConfig": {"EndpointsConfig": {"n": {"MacAddress": "02:42:00:00:00:01"}}}})"),
                                 "c");
  EXPECT_FALSE(mac.ok());
  EXPECT_NE(mac.status().message().find("MacAddress"), std::string::npos);
}

}  // namespace
}  // namespace berth::runtime
