#include "scenarios/library.h"

#include <gtest/gtest.h>

#include "scenarios/parser.h"

namespace berth::scenarios {
namespace {

TEST(LibraryTest, EveryLibraryScenarioValidatesAndIsDescribed) {
  auto entries = ListLibrary(std::string(BERTH_SOURCE_DIR) + "/scenarios");
  ASSERT_TRUE(entries.ok()) << entries.status().message();
  std::set<std::string> names;
  for (const auto& e : *entries) {
    EXPECT_TRUE(e.error.empty()) << e.path << ": " << e.error;
    EXPECT_FALSE(e.description.empty()) << e.path;
    auto s = LoadScenario(e.path);
    ASSERT_TRUE(s.ok()) << s.status().message();
    EXPECT_FALSE(s->checks.empty()) << e.path;
    names.insert(e.name);
  }
  for (const char* want : {"quickstart", "etcd-partition", "slow-network", "random-faults-soak"})
    EXPECT_TRUE(names.count(want)) << want;
}

TEST(LibraryTest, ResolvesLibraryNames) {
  setenv("BERTH_SCENARIOS", (std::string(BERTH_SOURCE_DIR) + "/scenarios").c_str(), 1);
  EXPECT_EQ(ResolveScenarioPath("quickstart"),
            std::string(BERTH_SOURCE_DIR) + "/scenarios/quickstart.yaml");
  EXPECT_EQ(ResolveScenarioPath("./nope.yaml"), "./nope.yaml");
  unsetenv("BERTH_SCENARIOS");
}

TEST(LibraryTest, QuickstartShape) {
  auto s = LoadScenario(std::string(BERTH_SOURCE_DIR) + "/scenarios/quickstart.yaml");
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->lab.machines.size(), 3u);
  EXPECT_EQ(s->containers.size(), 3u);
  ASSERT_EQ(s->probes.size(), 1u);
  EXPECT_EQ(s->probes[0].targets.size(), 3u);
  EXPECT_EQ(s->timeline[0].action.type, "machine.kill");
  EXPECT_EQ(s->timeline[1].action.type, "machine.start");
}

}  // namespace
}  // namespace berth::scenarios
