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
  auto back = FromJson(ToJson(c), "config.json");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(ToJson(*back), ToJson(c));
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
