#include "scenarios/actions.h"

#include <gtest/gtest.h>

#include "scenarios/nemesis.h"
#include "scenarios/sim_lab.h"

namespace berth::scenarios {
namespace {

MachineSpec Named(const std::string& name) {
  MachineSpec m;
  m.name = name;
  return m;
}

const std::vector<std::string> kFive = {"n1", "n2", "n3", "n4", "n5"};

// Machines `m` can talk to (both directions allowed), itself included.
std::set<std::string> Sees(const Grudge& g, const std::string& m) {
  std::set<std::string> out;
  for (const auto& o : kFive) {
    bool drop = (g.count(m) && g.at(m).count(o)) || (g.count(o) && g.at(o).count(m));
    if (!drop) out.insert(o);
  }
  return out;
}

TEST(PartitionTest, Isolate) {
  Rng rng(1);
  auto g = PlanPartition("isolate", kFive, "n3", rng);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(Sees(*g, "n3"), (std::set<std::string>{"n3"}));
  EXPECT_EQ(Sees(*g, "n1").size(), 4u);
}

TEST(PartitionTest, HalvesAndMajorityMinority) {
  for (const char* shape : {"halves", "majority-minority"}) {
    Rng rng(7);
    auto g = PlanPartition(shape, kFive, "", rng);
    ASSERT_TRUE(g.ok());
    std::map<size_t, int> sizes;
    for (const auto& m : kFive) sizes[Sees(*g, m).size()]++;
    // Two components: 2 machines that see 2, 3 that see 3.
    EXPECT_EQ(sizes, (std::map<size_t, int>{{2, 2}, {3, 3}})) << shape;
  }
}

TEST(PartitionTest, MajoritiesRing) {
  Rng rng(3);
  auto g = PlanPartition("majorities-ring", kFive, "", rng);
  ASSERT_TRUE(g.ok());
  std::set<std::set<std::string>> views;
  for (const auto& m : kFive) {
    auto v = Sees(*g, m);
    EXPECT_EQ(v.size(), 3u);  // each sees a majority...
    views.insert(v);
  }
  EXPECT_EQ(views.size(), 5u);  // ...but no two the same one
}

TEST(PartitionTest, Bridge) {
  Rng rng(5);
  auto g = PlanPartition("bridge", kFive, "", rng);
  ASSERT_TRUE(g.ok());
  int bridges = 0;
  for (const auto& m : kFive) {
    auto v = Sees(*g, m);
    if (v.size() == 5)
      ++bridges;
    else
      EXPECT_EQ(v.size(), 3u);
  }
  EXPECT_EQ(bridges, 1);
}

TEST(PartitionTest, Errors) {
  Rng rng(1);
  EXPECT_FALSE(PlanPartition("halves", {"a"}, "", rng).ok());
  EXPECT_FALSE(PlanPartition("triangle", kFive, "", rng).ok());
  EXPECT_FALSE(PlanPartition("isolate", kFive, "zz", rng).ok());
}

TEST(ActionTableTest, EveryFaultHasAKnownRecovery) {
  for (const auto& def : ActionTable()) {
    std::string rec = def.recovery;
    if (!rec.empty()) {
      EXPECT_NE(FindAction(rec), nullptr) << def.type;
    }
  }
  for (const auto& t : RandomFaultTypes()) EXPECT_NE(FindAction(t), nullptr) << t;
}

TEST(NemesisTest, HealAllUndoesEveryFaultInForce) {
  SimLab lab;
  History history;
  for (const auto& m : {"a", "b", "c"}) ASSERT_TRUE(lab.CreateMachine(Named(m)).ok());
  Nemesis nemesis(lab, history, {"a", "b", "c"}, 1);
  Action kill{"machine.kill", {{"machine", "a"}}, {}, {}, {}};
  Action pause{"machine.pause", {{"machine", "b"}}, {}, {}, {}};
  Action part{"net.partition", {{"shape", "halves"}}, {}, {}, {}};
  Action skew{"clock.skew", {{"machine", "c"}, {"offset", "-5000"}}, {}, {}, {}};
  for (const auto& a : {kill, pause, part, skew}) ASSERT_TRUE(nemesis.Apply(a, "s").ok());
  ASSERT_TRUE(nemesis.HealAll().ok());
  auto log = lab.Log();
  auto has = [&](const std::string& s) {
    return std::find(log.begin(), log.end(), s) != log.end();
  };
  EXPECT_TRUE(has("net.heal"));
  EXPECT_TRUE(has("machine.resume b"));
  EXPECT_TRUE(has("machine.start a"));
  EXPECT_TRUE(has("clock.reset c"));
  auto periods = nemesis.Periods(history.Now());
  EXPECT_EQ(periods.size(), 4u);
  for (const auto& p : periods) EXPECT_GE(p.end, p.start);
  // Nothing left to heal a second time.
  size_t before = lab.Log().size();
  ASSERT_TRUE(nemesis.HealAll().ok());
  EXPECT_EQ(lab.Log().size(), before);
}

}  // namespace
}  // namespace berth::scenarios
