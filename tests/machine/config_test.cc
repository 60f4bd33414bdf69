#include "machine/config.h"

#include <gtest/gtest.h>

namespace berth::machine {
namespace {

TEST(NameTest, AcceptsHostnameLabels) {
  for (const char* n : {"node1", "a", "web-2", "0abc"}) EXPECT_TRUE(ValidateName(n).ok()) << n;
}

TEST(NameTest, RejectsWithReason) {
  EXPECT_NE(ValidateName("").message().find("empty"), std::string::npos);
  EXPECT_NE(ValidateName("Node1").message().find("'N'"), std::string::npos);
  EXPECT_NE(ValidateName("a_b").message().find("'_'"), std::string::npos);
  EXPECT_NE(ValidateName("../x").message().find("'.'"), std::string::npos);
  EXPECT_FALSE(ValidateName("-a").ok());
  EXPECT_FALSE(ValidateName("a-").ok());
  EXPECT_FALSE(ValidateName(std::string(64, 'a')).ok());
  EXPECT_TRUE(ValidateName(std::string(63, 'a')).ok());
}

TEST(ResourcesTest, Ranges) {
  EXPECT_TRUE(ValidateResources({1, 256, 2048}).ok());
  Status s = ValidateResources({0, 256, 2048});
  EXPECT_NE(s.message().find("--cpus 0"), std::string::npos);
  s = ValidateResources({1, 64, 2048});
  EXPECT_NE(s.message().find("--memory 64MiB"), std::string::npos);
  EXPECT_FALSE(ValidateResources({1, 256, 1}).ok());
  EXPECT_FALSE(ValidateResources({65, 256, 2048}).ok());
}

TEST(SizeTest, Parses) {
  EXPECT_EQ(ParseSizeMb("512").value(), 512);
  EXPECT_EQ(ParseSizeMb("512M").value(), 512);
  EXPECT_EQ(ParseSizeMb("1G").value(), 1024);
  EXPECT_EQ(ParseSizeMb("2GiB").value(), 2048);
  EXPECT_FALSE(ParseSizeMb("").ok());
  EXPECT_FALSE(ParseSizeMb("G").ok());
  EXPECT_FALSE(ParseSizeMb("12T").ok());
  EXPECT_FALSE(ParseSizeMb("-5").ok());
  EXPECT_FALSE(ParseSizeMb("99999999999").ok());
}

TEST(ConfigJsonTest, RoundTrips) {
  MachineConfig c;
  c.name = "node1";
  c.domain = "berth-node1";
  c.ssh_port = 41000;
  c.engine_port = 41001;
  c.lab.address = "10.77.0.11";
  c.lab.local_port = 41002;
  c.lab.fabric_port = 40000;
  c.forwards = {{8080, 41003}, {2379, 41004}};
  c.registry_port = 49000;
  auto back = FromJson(ToJson(c), "config.json");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(ToJson(*back), ToJson(c));
  EXPECT_EQ(back->HostPortFor(2379), 41004);
  EXPECT_EQ(back->HostPortFor(9999), 0);
}

TEST(ConfigJsonTest, ConfigsWithoutForwardsStillLoad) {
  MachineConfig c;
  c.name = "node1";
  Json j = ToJson(c);
  j.erase("forwards");  // written before forwards existed
  auto back = FromJson(j, "config.json");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_TRUE(back->forwards.empty());
  j["forwards"] = {{{"guest_port", "x"}, {"host_port", 1}}};
  EXPECT_FALSE(FromJson(j, "config.json").ok());
}

TEST(ForwardTest, ParsesGuestAndHostGuest) {
  EXPECT_EQ(*ParseForward("8080"), (PortForward{8080, 0}));
  EXPECT_EQ(*ParseForward("18080:80"), (PortForward{80, 18080}));
  for (const char* bad : {"", "0", "65536", "http", "1:", ":80", "a:80", "80:b", "-1", "1:2:3"}) {
    auto r = ParseForward(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("HOST:GUEST"), std::string::npos) << bad;
  }
  auto own = ParseForward("2376");
  ASSERT_FALSE(own.ok());
  EXPECT_NE(own.status().message().find("berth's own"), std::string::npos);
  EXPECT_FALSE(ParseForward("5022:22").ok());
}

TEST(ConfigJsonTest, RefusesNewerVersionAndMissingFields) {
  MachineConfig c;
  c.name = "node1";
  Json j = ToJson(c);
  j["version"] = kConfigVersion + 1;
  auto r = FromJson(j, "/x/config.json");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("newer berth"), std::string::npos);
  j = ToJson(c);
  j.erase("ssh_port");
  r = FromJson(j, "/x/config.json");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("ssh_port"), std::string::npos);
  j = ToJson(c);
  j["cpus"] = "two";
  EXPECT_FALSE(FromJson(j, "c").ok());
}

}  // namespace
}  // namespace berth::machine
