#include "fabric/partition.h"

#include "gtest/gtest.h"

namespace berth::fabric {
namespace {

const std::vector<std::string> kFive = {"n1", "n2", "n3", "n4", "n5"};

bool Drops(const Grudge& g, const std::string& node, const std::string& from) {
  auto it = g.find(node);
  return it != g.end() && it->second.count(from);
}

TEST(PartitionTest, IsolateCutsOneNodeBothWays) {
  auto g = BuildPartition(Json{{"shape", "isolate"}, {"node", "n3"}}, kFive);
  ASSERT_TRUE(g.ok()) << g.status().message();
  for (const auto& n : kFive) {
    if (n == "n3") continue;
    EXPECT_TRUE(Drops(*g, "n3", n));
    EXPECT_TRUE(Drops(*g, n, "n3"));
    EXPECT_FALSE(Drops(*g, n, n == "n1" ? "n2" : "n1"));
  }
}

TEST(PartitionTest, HalvesAndMajority) {
  auto h = BuildPartition(Json{{"shape", "halves"}}, {"a", "b", "c", "d"});
  ASSERT_TRUE(h.ok());
  EXPECT_TRUE(Drops(*h, "a", "c"));
  EXPECT_FALSE(Drops(*h, "a", "b"));
  EXPECT_FALSE(Drops(*h, "c", "d"));
  auto m = BuildPartition(Json{{"shape", "majority"}}, {"a", "b", "c", "d"});
  ASSERT_TRUE(m.ok());
  // Minority {a}, majority {b, c, d}.
  EXPECT_TRUE(Drops(*m, "a", "b"));
  EXPECT_FALSE(Drops(*m, "b", "d"));
  EXPECT_EQ(m->at("a").size(), 3u);
}

TEST(PartitionTest, MajoritiesRingGivesEveryNodeADifferentMajority) {
  auto g = BuildPartition(Json{{"shape", "majorities-ring"}}, kFive);
  ASSERT_TRUE(g.ok());
  std::set<std::set<std::string>> seen_sets;
  for (const auto& n : kFive) {
    std::set<std::string> sees;
    for (const auto& m : kFive)
      if (!Drops(*g, n, m)) sees.insert(m);
    EXPECT_EQ(sees.size(), 3u) << n;  // itself and two neighbours
    EXPECT_TRUE(sees.count(n));
    seen_sets.insert(sees);
  }
  EXPECT_EQ(seen_sets.size(), 5u);
}

TEST(PartitionTest, BridgeKeepsTheMiddleNodeConnected) {
  auto g = BuildPartition(Json{{"shape", "bridge"}}, kFive);
  ASSERT_TRUE(g.ok());
  EXPECT_FALSE(g->count("n3"));
  for (const auto& n : {"n1", "n2", "n4", "n5"}) EXPECT_FALSE(Drops(*g, n, "n3"));
  EXPECT_TRUE(Drops(*g, "n1", "n4"));
  EXPECT_TRUE(Drops(*g, "n5", "n2"));
  EXPECT_FALSE(Drops(*g, "n1", "n2"));
}

TEST(PartitionTest, ExplicitGrudgeIsAsymmetric) {
  auto g = BuildPartition(Json{{"shape", "grudge"}, {"grudge", {{"n1", {"n2"}}}}}, kFive);
  ASSERT_TRUE(g.ok());
  EXPECT_TRUE(Drops(*g, "n1", "n2"));
  EXPECT_FALSE(Drops(*g, "n2", "n1"));
  auto groups =
      BuildPartition(Json{{"shape", "groups"}, {"groups", {{"n1"}, {"n2", "n3"}}}}, kFive);
  ASSERT_TRUE(groups.ok());
  EXPECT_TRUE(Drops(*groups, "n2", "n1"));
  EXPECT_FALSE(Drops(*groups, "n4", "n1"));  // not in any group: untouched
}

TEST(PartitionTest, ImpossiblePartitionsAreRejected) {
  const std::vector<std::string> two = {"a", "b"};
  EXPECT_EQ(BuildPartition(Json{{"shape", "bridge"}}, two).status().code(),
            Code::kFailedPrecondition);
  EXPECT_FALSE(BuildPartition(Json{{"shape", "majorities-ring"}}, two).ok());
  EXPECT_FALSE(BuildPartition(Json{{"shape", "isolate"}, {"node", "zz"}}, two).ok());
  EXPECT_FALSE(BuildPartition(Json{{"shape", "isolate"}}, two).ok());
  EXPECT_FALSE(BuildPartition(Json{{"shape", "halves"}}, {"a"}).ok());
  EXPECT_FALSE(BuildPartition(Json{{"shape", "triangle"}}, two).ok());
  EXPECT_FALSE(
      BuildPartition(Json{{"shape", "groups"}, {"groups", {{"a"}, {"a", "b"}}}}, two).ok());
  EXPECT_FALSE(BuildPartition(Json{{"shape", "grudge"}, {"grudge", {{"a", {"a"}}}}}, two).ok());
  EXPECT_FALSE(BuildPartition(Json{{"shape", "grudge"}, {"grudge", {{"a", {"q"}}}}}, two).ok());
  EXPECT_FALSE(BuildPartition(Json{{"shape", "halves"}, {"nodes", {"a", "x"}}}, two).ok());
  EXPECT_FALSE(BuildPartition(Json{{"shape", "grudge"}, {"grudge", {{"a", {"b"}}}}}, {}).ok());
}

}  // namespace
}  // namespace berth::fabric
