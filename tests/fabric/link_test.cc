#include "fabric/link.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"

namespace berth::fabric {
namespace {

Link MakeLink(const Json& spec, uint64_t seed = 7) {
  Link l;
  auto imp = ParseImpairment(spec);
  EXPECT_TRUE(imp.ok()) << imp.status().message();
  l.Configure(*imp, seed);
  return l;
}

// Delivers every held frame at once so the queue never fills.
int DecideAndRelease(Link& l, int64_t now, size_t bytes, Delivery out[2]) {
  int n = l.Decide(now, bytes, out);
  for (int i = 0; i < n; ++i) l.Delivered(bytes, out[i].at_ns > now);
  return n;
}

TEST(LinkTest, PassthroughDeliversAtOnce) {
  Link l = MakeLink(Json::object());
  EXPECT_TRUE(l.passthrough());
  Delivery d[2];
  EXPECT_EQ(l.Decide(1000, 64, d), 1);
  EXPECT_EQ(d[0].at_ns, 1000);
}

TEST(LinkTest, RandomLossIsWithinOnePercentOverTenThousandFrames) {
  for (double pct : {1.0, 10.0, 50.0}) {
    Link l = MakeLink(Json{{"loss", std::to_string(pct) + "%"}});
    Delivery d[2];
    int delivered = 0;
    for (int i = 0; i < 10000; ++i) delivered += DecideAndRelease(l, i, 64, d);
    double lost = 1.0 - delivered / 10000.0;
    EXPECT_NEAR(lost, pct / 100, 0.01) << pct << "%";
    EXPECT_EQ(l.stats().dropped_loss, static_cast<uint64_t>(10000 - delivered));
  }
}

TEST(LinkTest, GilbertElliottLossIsBurstyAtTheStationaryRate) {
  // p=2%, r=20%, lose everything in the bad state: loss = p/(p+r) = 9.1%.
  Link l = MakeLink(Json{{"loss_ge", "2%,20%"}});
  Delivery d[2];
  int lost = 0, bursts = 0;
  bool prev_lost = false;
  for (int i = 0; i < 100000; ++i) {
    bool now_lost = DecideAndRelease(l, i, 64, d) == 0;
    lost += now_lost;
    if (now_lost && !prev_lost) ++bursts;
    prev_lost = now_lost;
  }
  EXPECT_NEAR(lost / 100000.0, 0.02 / 0.22, 0.01);
  EXPECT_NEAR(static_cast<double>(lost) / bursts, 1 / 0.20, 1.0);  // mean burst 1/r
}

TEST(LinkTest, DelayMeanAndJitterFollowTheDistribution) {
  for (const char* dist : {"uniform", "normal", "pareto"}) {
    Link l = MakeLink(Json{{"delay", "20ms"}, {"jitter", "3ms"}, {"distribution", dist}});
    Delivery d[2];
    double sum = 0, sq = 0;
    const int n = 10000;
    for (int i = 0; i < n; ++i) {
      ASSERT_EQ(DecideAndRelease(l, 0, 64, d), 1);
      sum += d[0].at_ns;
      sq += static_cast<double>(d[0].at_ns) * d[0].at_ns;
    }
    double mean = sum / n, sd = std::sqrt(sq / n - mean * mean);
    EXPECT_NEAR(mean, 20e6, 0.5e6) << dist;
    double want_sd = std::string(dist) == "uniform" ? 3e6 / std::sqrt(3.0) : 3e6;
    EXPECT_NEAR(sd, want_sd, 0.3e6) << dist;
  }
}

TEST(LinkTest, SameSeedSameDecisionsOtherSeedDifferent) {
  auto run = [](uint64_t seed) {
    Link l = MakeLink(
        Json{{"loss", "30%"}, {"delay", "1ms"}, {"jitter", "1ms"}, {"duplicate", "5%"}}, seed);
    std::vector<int64_t> trace;
    Delivery d[2];
    for (int i = 0; i < 2000; ++i) {
      int n = DecideAndRelease(l, i, 100, d);
      trace.push_back(n);
      for (int k = 0; k < n; ++k) trace.push_back(d[k].at_ns);
    }
    return trace;
  };
  EXPECT_EQ(run(42), run(42));
  EXPECT_NE(run(42), run(43));
  EXPECT_NE(LinkSeed(1, "a", "b"), LinkSeed(1, "b", "a"));
}

TEST(LinkTest, DuplicationReorderAndCorruption) {
  Link l = MakeLink(
      Json{{"duplicate", "10%"}, {"corrupt", "10%"}, {"delay", "5ms"}, {"reorder", "20%"}});
  Delivery d[2];
  int copies = 0, corrupted = 0, immediate = 0;
  for (int i = 0; i < 10000; ++i) {
    int n = DecideAndRelease(l, 0, 64, d);
    copies += n;
    for (int k = 0; k < n; ++k) {
      if (d[k].corrupt_bit >= 0) {
        ++corrupted;
        EXPECT_LT(d[k].corrupt_bit, 64 * 8);
      }
      if (d[k].at_ns == 0) ++immediate;
    }
  }
  EXPECT_NEAR(copies / 10000.0, 1.10, 0.01);
  EXPECT_NEAR(corrupted / static_cast<double>(copies), 0.10, 0.01);
  EXPECT_NEAR(immediate / static_cast<double>(copies), 0.20, 0.01);
  EXPECT_EQ(l.stats().reordered, static_cast<uint64_t>(immediate));
}

TEST(LinkTest, RateSerialisesFramesAndTheQueueLimitDrops) {
  // 1500-byte frames at 12 mbit: 1 ms each.
  Link l = MakeLink(Json{{"rate", "12mbit"}, {"limit", 5}});
  Delivery d[2];
  std::vector<int64_t> at;
  for (int i = 0; i < 8; ++i) {
    if (l.Decide(0, 1500, d) == 1) at.push_back(d[0].at_ns);
  }
  ASSERT_EQ(at.size(), 5u);  // the queue holds 5; 3 dropped
  for (int i = 0; i < 5; ++i) EXPECT_EQ(at[i], (i + 1) * 1'000'000);
  EXPECT_EQ(l.stats().dropped_queue, 3u);
  EXPECT_EQ(l.stats().queue_depth, 5);
  l.Delivered(1500, true);
  EXPECT_EQ(l.stats().queue_depth, 4);
  EXPECT_EQ(l.Decide(0, 1500, d), 1);
  EXPECT_EQ(d[0].at_ns, 6'000'000);  // after the last queued frame
}

}  // namespace
}  // namespace berth::fabric
