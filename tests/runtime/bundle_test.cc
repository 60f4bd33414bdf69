// OCI bundle generation.
#include "runtime/bundle.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace berth::runtime {
namespace {

bool Has(const Json& arr, const std::string& v) {
  return std::find(arr.begin(), arr.end(), v) != arr.end();
}

TEST(Bundle, LimitsReadOnlyAndNamespaces) {
  ContainerSpec spec;
  spec.memory = 64 << 20;
  spec.nano_cpus = 500000000;
  spec.pids_limit = 100;
  spec.read_only = true;
  spec.tty = true;
  BundleInput in;
  in.args = {"sh", "-c", "true"};
  in.env = {"A=1"};
  in.rootfs = "/r";
  in.hostname = "h";
  in.cgroups_path = "/berth/x";
  in.extra_mounts = {{"/v", "/data", true, "vol"}};
  auto c = BuildOciConfig(spec, in);
  ASSERT_TRUE(c.ok());
  const Json& j = *c;
  EXPECT_EQ(j["linux"]["resources"]["memory"]["limit"], 64 << 20);
  EXPECT_EQ(j["linux"]["resources"]["cpu"]["quota"], 50000);
  EXPECT_EQ(j["linux"]["resources"]["cpu"]["period"], 100000);
  EXPECT_EQ(j["linux"]["resources"]["pids"]["limit"], 100);
  EXPECT_TRUE(j["root"]["readonly"].get<bool>());
  EXPECT_TRUE(j["process"]["terminal"].get<bool>());
  EXPECT_EQ(j["linux"]["cgroupsPath"], "/berth/x");
  // Containers get ASLR back when berthd runs crun without it.
  EXPECT_EQ(j["linux"]["personality"]["domain"], "LINUX");
  std::vector<std::string> ns;
  for (const auto& n : j["linux"]["namespaces"]) ns.push_back(n["type"]);
  for (const char* want : {"pid", "ipc", "uts", "mount", "network"})
    EXPECT_NE(std::find(ns.begin(), ns.end(), want), ns.end()) << want;
  const Json& last = j["mounts"].back();
  EXPECT_EQ(last["destination"], "/data");
  EXPECT_TRUE(Has(last["options"], "ro"));
}

TEST(Bundle, DockerDefaultCapabilities) {
  auto caps = EffectiveCapabilities({}, {});
  ASSERT_TRUE(caps.ok());
  EXPECT_EQ(caps->size(), 14u);
  EXPECT_EQ(std::count(caps->begin(), caps->end(), "CAP_SYS_ADMIN"), 0);
  EXPECT_EQ(std::count(caps->begin(), caps->end(), "CAP_NET_ADMIN"), 0);
  auto more = EffectiveCapabilities({"NET_ADMIN"}, {"chown"});
  ASSERT_TRUE(more.ok());
  EXPECT_EQ(std::count(more->begin(), more->end(), "CAP_NET_ADMIN"), 1);
  EXPECT_EQ(std::count(more->begin(), more->end(), "CAP_CHOWN"), 0);
  EXPECT_TRUE(EffectiveCapabilities({}, {"ALL"})->empty());
  EXPECT_FALSE(EffectiveCapabilities({"NOPE"}, {}).ok());
}

TEST(Bundle, HostNetworkJoinsNoNamespace) {
  ContainerSpec spec;
  BundleInput in;
  in.args = {"true"};
  in.netns_path = "host";
  auto c = BuildOciConfig(spec, in);
  ASSERT_TRUE(c.ok());
  for (const auto& n : (*c)["linux"]["namespaces"]) EXPECT_NE(n["type"], "network");
  in.args.clear();
  EXPECT_FALSE(BuildOciConfig(spec, in).ok());
}

TEST(Bundle, MergeEnvOverrides) {
  auto env = MergeEnv({"PATH=/bin", "A=1"}, {"A=2", "B=3"});
  EXPECT_EQ(env, (std::vector<std::string>{"PATH=/bin", "A=2", "B=3"}));
}

}  // namespace
}  // namespace berth::runtime
