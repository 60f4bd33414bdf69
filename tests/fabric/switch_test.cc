// Drives a real fabric Server with synthetic frames over loopback UDP.
#include <algorithm>
#include <cstdlib>
#include <set>

#include "base/subprocess.h"
#include "tests/fabric/harness.h"

namespace berth::fabric::testing {
namespace {

class SwitchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    h_.StartServer();
    for (int i = 0; i < 3; ++i) {
      m_.push_back(
          std::make_unique<FakeMachine>(std::string("m") + char('1' + i), 0x10 + i, h_.port()));
    }
  }
  void AttachAll(bool with_mac) {
    for (auto& m : m_) h_.MustCall(m->AttachRequest(with_mac));
  }
  FakeMachine& a() { return *m_[0]; }
  FakeMachine& b() { return *m_[1]; }
  FakeMachine& c() { return *m_[2]; }

  FabricHarness h_;
  std::vector<std::unique_ptr<FakeMachine>> m_;
};

TEST_F(SwitchTest, FloodsUnknownAndBroadcastThenForwardsLearnedUnicast) {
  AttachAll(/*with_mac=*/false);
  a().Send(MakeFrame(kBroadcast, a().mac(), 1));
  EXPECT_TRUE(b().Receive(1000));
  EXPECT_TRUE(c().Receive(1000));
  EXPECT_FALSE(a().Receive(50));  // never back to the sender
  // b is unknown yet: a unicast to it is flooded to b and c.
  a().SendTo(b(), 2);
  EXPECT_TRUE(b().Receive(1000));
  EXPECT_TRUE(c().Receive(1000));
  // b speaks, the switch learns it; now only b gets a's frames.
  b().SendTo(a(), 3);
  auto got = a().Receive(1000);
  ASSERT_TRUE(got);
  EXPECT_EQ(FrameSeq(*got), 3u);  // a was learned from its broadcast: no flood
  EXPECT_FALSE(c().Receive(50));
  a().SendTo(b(), 4);
  got = b().Receive(1000);
  ASSERT_TRUE(got);
  EXPECT_EQ(FrameSeq(*got), 4u);
  EXPECT_FALSE(c().Receive(50));
  Json stats = h_.MustCall({{"op", "stats"}});
  EXPECT_EQ(stats["network"]["flooded"], 2);
  EXPECT_EQ(stats["machines"]["m1"]["rx_frames"], 3);
}

// Bursts reach the fabric several frames per recvmmsg and leave batched in
// one sendmmsg: every frame must still arrive alone, whole and in order,
// whatever the mix of sizes and machines.
TEST_F(SwitchTest, BurstsOfMixedSizesArriveFrameByFrameInOrder) {
  AttachAll(true);
  const size_t sizes[] = {64, 64, 64, 1500, 1500, 80, 64, 1500, 60, 60, 9000, 64};
  constexpr int kFrames = 600;
  std::vector<size_t> want_b, want_c;
  for (int i = 0; i < kFrames; ++i) {
    size_t size = sizes[i % 12];
    FakeMachine& to = (i / 40) % 3 == 2 ? c() : b();  // runs to b, then a run to c
    (&to == &b() ? want_b : want_c).push_back(size);
    a().SendTo(to, i, size);
  }
  auto check = [&](FakeMachine& m, const std::vector<size_t>& want) {
    std::vector<std::string> got = m.Drain(200);
    ASSERT_EQ(got.size(), want.size()) << m.name();
    uint64_t last = 0;
    for (size_t k = 0; k < got.size(); ++k) {
      EXPECT_EQ(got[k].size(), want[k]) << m.name() << " frame " << k;
      if (k > 0) {
        EXPECT_GT(FrameSeq(got[k]), last) << m.name() << " frame " << k;
      }
      last = FrameSeq(got[k]);
    }
  };
  check(b(), want_b);
  check(c(), want_c);
  EXPECT_EQ(h_.MustCall({{"op", "stats"}})["network"]["send_errors"], 0);
}

TEST_F(SwitchTest, LearnedEntriesAgeOut) {
  FabricHarness aging(/*mac_age_ns=*/400'000'000);
  aging.StartServer();
  FakeMachine x("x", 1, aging.port()), y("y", 2, aging.port()), z("z", 3, aging.port());
  for (auto* m : {&x, &y, &z}) aging.MustCall(m->AttachRequest(false));
  y.SendTo(x, 1);  // learn y
  x.Drain();
  z.Drain();
  x.SendTo(y, 2);
  EXPECT_TRUE(y.Receive(1000));
  EXPECT_FALSE(z.Receive(50));
  std::this_thread::sleep_for(std::chrono::milliseconds(450));
  x.SendTo(y, 3);  // y's entry expired: flooded again
  EXPECT_TRUE(y.Receive(1000));
  EXPECT_TRUE(z.Receive(1000));
}

TEST_F(SwitchTest, FramesFromUnattachedPortsAreDropped) {
  AttachAll(true);
  FakeMachine stranger("stranger", 9, h_.port());
  stranger.SendTo(a(), 1);
  EXPECT_FALSE(a().Receive(100));
  EXPECT_EQ(h_.MustCall({{"op", "stats"}})["network"]["unknown_source"], 1);
}

TEST_F(SwitchTest, LossOverTenThousandFramesIsWithinOnePercent) {
  AttachAll(true);
  h_.MustCall({{"op", "impair"}, {"from", "m1"}, {"to", "m2"}, {"impairment", {{"loss", "10%"}}}});
  int received = 0;
  for (int chunk = 0; chunk < 20; ++chunk) {
    for (int i = 0; i < 500; ++i) a().SendTo(b(), chunk * 500 + i);
    received += static_cast<int>(b().Drain(30).size());
  }
  received += static_cast<int>(b().Drain(300).size());  // stragglers on a loaded host
  EXPECT_NEAR(1.0 - received / 10000.0, 0.10, 0.01) << received;
  Json stats = h_.MustCall({{"op", "stats"}});
  for (const auto& l : stats["links"]) {
    if (l["from"] == "m1" && l["to"] == "m2") {
      EXPECT_EQ(l["frames"], received);
      EXPECT_EQ(l["dropped"]["loss"], 10000 - received);
    }
  }
  // The other direction is not impaired.
  for (int i = 0; i < 200; ++i) b().SendTo(a(), i);
  EXPECT_EQ(a().Drain(30).size(), 200u);
}

TEST_F(SwitchTest, DelayMeanIsWithinHalfAMillisecond) {
  AttachAll(true);
  // One frame in flight at a time; the median resists scheduling outliers
  // of a loaded host, and the undelayed reverse link is the baseline.
  auto median_latency = [](FakeMachine& from, FakeMachine& to) {
    std::vector<int64_t> lat;
    for (int i = 0; i < 30; ++i) {
      from.SendTo(to, i);
      auto f = to.Receive(1000);
      EXPECT_TRUE(f);
      if (f) lat.push_back(MonotonicNs() - FrameSentNs(*f));
    }
    std::sort(lat.begin(), lat.end());
    return lat.empty() ? int64_t{0} : lat[lat.size() / 2];
  };
  h_.MustCall(
      {{"op", "impair"}, {"from", "m1"}, {"to", "m2"}, {"impairment", {{"delay", "10ms"}}}});
  int64_t base = median_latency(b(), a());
  EXPECT_LT(base, 5'000'000);  // frames wait in the fabric, not elsewhere
  int64_t delayed = median_latency(a(), b());
  EXPECT_NEAR(delayed - base, 10e6, 0.5e6) << "base " << base << " delayed " << delayed;
  Json stats = h_.MustCall({{"op", "stats"}});
  for (const auto& l : stats["links"]) {
    if (l["from"] == "m1" && l["to"] == "m2") {
      EXPECT_EQ(l["delayed"], 30);
    }
  }
}

TEST_F(SwitchTest, PartitionDropsExactlyTheGrudgedDirections) {
  AttachAll(true);
  // m2 drops frames from m1; nothing else.
  h_.MustCall({{"op", "partition"}, {"shape", "grudge"}, {"grudge", {{"m2", {"m1"}}}}});
  auto delivered = [](FakeMachine& from, FakeMachine& to) {
    from.SendTo(to, 1);
    return to.Receive(200).has_value();
  };
  EXPECT_FALSE(delivered(a(), b()));
  EXPECT_TRUE(delivered(b(), a()));
  EXPECT_TRUE(delivered(a(), c()));
  EXPECT_TRUE(delivered(c(), a()));
  EXPECT_TRUE(delivered(b(), c()));
  EXPECT_TRUE(delivered(c(), b()));
  // A broadcast from m1 reaches m3 only.
  a().Send(MakeFrame(kBroadcast, a().mac(), 5));
  EXPECT_TRUE(c().Receive(500));
  EXPECT_FALSE(b().Receive(100));

  h_.MustCall({{"op", "partition"}, {"shape", "isolate"}, {"node", "m3"}});
  EXPECT_TRUE(delivered(a(), b()));  // replaced, not added
  EXPECT_FALSE(delivered(a(), c()));
  EXPECT_FALSE(delivered(c(), b()));

  auto start = MonotonicNs();
  h_.MustCall({{"op", "heal"}});
  EXPECT_TRUE(delivered(c(), a()));
  EXPECT_LT(MonotonicNs() - start, 1'000'000'000);
}

TEST_F(SwitchTest, SeededRunsDropTheSameFrames) {
  AttachAll(true);
  h_.MustCall({{"op", "impair"}, {"from", "m1"}, {"to", "m2"}, {"impairment", {{"loss", "30%"}}}});
  auto run = [&](uint64_t seed) {
    h_.MustCall({{"op", "seed"}, {"seed", seed}});  // restarts every link's stream
    std::set<uint64_t> got;
    for (int i = 0; i < 1000; ++i) a().SendTo(b(), i);
    for (const auto& f : b().Drain(300)) got.insert(FrameSeq(f));
    return got;
  };
  auto first = run(42);
  EXPECT_EQ(first, run(42));
  EXPECT_NE(first, run(43));
  EXPECT_GT(first.size(), 600u);
  EXPECT_LT(first.size(), 800u);
}

TEST_F(SwitchTest, BadInputIsRejectedAndChangesNothing) {
  AttachAll(true);
  h_.MustCall({{"op", "impair"}, {"from", "m1"}, {"to", "m2"}, {"impairment", {{"delay", "5ms"}}}});
  h_.MustCall({{"op", "partition"}, {"shape", "isolate"}, {"node", "m3"}});
  std::string path = PathsFor(h_.home(), "lab").state;
  auto before_file = ReadFile(path);
  Json before = h_.MustCall({{"op", "show"}});
  const Json bad[] = {
      {{"op", "impair"}, {"from", "ghost"}, {"impairment", {{"delay", "5ms"}}}},
      {{"op", "impair"}, {"from", "m1"}, {"to", "m2"}, {"impairment", {{"delay", "5 parsecs"}}}},
      {{"op", "impair"}, {"from", "m1"}, {"to", "m1"}, {"impairment", {{"delay", "5ms"}}}},
      {{"op", "partition"}, {"shape", "isolate"}, {"node", "ghost"}},
      {{"op", "partition"}, {"shape", "groups"}, {"groups", {{"m1"}, {"m1", "m2"}}}},
      {{"op", "partition"}, {"shape", "hexagon"}},
      {{"op", "clear"}, {"from", "ghost"}},
      {{"op", "attach"}, {"machine", "m4"}, {"host", "127.0.0.1"}, {"port", 70000}},
      {{"op", "attach"}, {"machine", "m4"}, {"host", "not-an-ip"}, {"port", 4000}},
      {{"op", "attach"}, {"machine", "m4"}, {"host", "127.0.0.1"}, {"port", a().port()}},
      {{"op", "capture_start"}, {"file", "relative.pcap"}},
      {{"op", "frobnicate"}},
  };
  for (const auto& r : bad) {
    auto reply = h_.Call(r);
    EXPECT_FALSE(reply.ok()) << r.dump();
    EXPECT_FALSE(reply.status().message().empty());
  }
  Json after = h_.MustCall({{"op", "show"}});
  EXPECT_EQ(before["machines"], after["machines"]);
  EXPECT_EQ(before["impairments"], after["impairments"]);
  EXPECT_EQ(before["grudge"], after["grudge"]);
  EXPECT_EQ(*before_file, *ReadFile(path));
}

TEST_F(SwitchTest, RestartReloadsStateAndRebindsThePort) {
  AttachAll(true);
  int port = h_.port();
  h_.MustCall({{"op", "impair"}, {"from", "m1"}, {"to", "m2"}, {"impairment", {{"loss", "100%"}}}});
  h_.MustCall({{"op", "partition"}, {"shape", "grudge"}, {"grudge", {{"m1", {"m3"}}}}});
  Json before = h_.MustCall({{"op", "show"}});
  h_.StopServer();
  h_.StartServer();
  EXPECT_EQ(h_.port(), port);
  Json after = h_.MustCall({{"op", "show"}});
  EXPECT_EQ(before["machines"], after["machines"]);
  EXPECT_EQ(before["impairments"], after["impairments"]);
  EXPECT_EQ(before["grudge"], after["grudge"]);
  // The machines' sockets were never touched, and the rules apply again.
  a().SendTo(b(), 1);
  EXPECT_FALSE(b().Receive(100));  // 100% loss
  c().SendTo(a(), 2);
  EXPECT_FALSE(a().Receive(100));  // m1 drops m3
  a().SendTo(c(), 3);
  EXPECT_TRUE(c().Receive(1000));
}

TEST_F(SwitchTest, DetachForgetsTheMachineAndItsRules) {
  AttachAll(true);
  h_.MustCall({{"op", "impair"}, {"from", "m1"}, {"to", "m3"}, {"impairment", {{"loss", "5%"}}}});
  h_.MustCall({{"op", "partition"}, {"shape", "isolate"}, {"node", "m3"}});
  EXPECT_EQ(h_.MustCall({{"op", "detach"}, {"machine", "m3"}})["changed"], true);
  Json show = h_.MustCall({{"op", "show"}});
  EXPECT_FALSE(show["machines"].contains("m3"));
  EXPECT_TRUE(show["impairments"].empty());
  EXPECT_TRUE(show["grudge"].empty());
  c().SendTo(a(), 1);
  EXPECT_FALSE(a().Receive(100));
  EXPECT_EQ(h_.MustCall({{"op", "detach"}, {"machine", "m3"}})["changed"], false);
}

TEST_F(SwitchTest, CaptureIsReadableByTshark) {
  if (FindProgram("tshark").empty()) GTEST_FAIL() << "tshark is not installed";
  AttachAll(true);
  std::string whole = h_.home() + "/all.pcap", link = h_.home() + "/m2.pcap";
  h_.MustCall({{"op", "capture_start"}, {"file", whole}});
  h_.MustCall({{"op", "capture_start"}, {"file", link}, {"machine", "m2"}});
  // An ARP request from m1 for 10.77.0.12 (broadcast), then two unicasts.
  std::string arp(42, '\0');
  std::memcpy(&arp[0], kBroadcast.data(), 6);
  std::memcpy(&arp[6], a().mac().data(), 6);
  const uint8_t hdr[] = {0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1};
  std::memcpy(&arp[12], hdr, sizeof hdr);
  std::memcpy(&arp[22], a().mac().data(), 6);
  const uint8_t spa[] = {10, 77, 0, 11}, tpa[] = {10, 77, 0, 12};
  std::memcpy(&arp[28], spa, 4);
  std::memcpy(&arp[38], tpa, 4);
  a().Send(arp);
  a().SendTo(c(), 1);  // not on m2's link
  b().SendTo(a(), 2);
  for (auto& m : m_) m->Drain(50);
  Json stopped = h_.MustCall({{"op", "capture_stop"}});
  ASSERT_EQ(stopped["stopped"].size(), 2u);

  auto out = RunChecked(
      {"tshark", "-r", whole, "-T", "fields", "-e", "eth.src", "-e", "arp.dst.proto_ipv4"});
  ASSERT_TRUE(out.ok()) << out.status().message();
  std::vector<std::string> lines;
  for (size_t s = 0, e; s < out->size(); s = e + 1) {
    e = out->find('\n', s);
    if (e == std::string::npos) e = out->size();
    if (e > s) lines.push_back(out->substr(s, e - s));
  }
  ASSERT_EQ(lines.size(), 3u) << *out;
  EXPECT_EQ(lines[0], MacString(a().mac()) + "\t10.77.0.12");
  EXPECT_EQ(lines[2].substr(0, 17), MacString(b().mac()));
  // m2's link saw the ARP arriving and its own frame leaving, not m1 -> m3.
  auto link_out = RunChecked({"tshark", "-r", link, "-T", "fields", "-e", "eth.src"});
  ASSERT_TRUE(link_out.ok()) << link_out.status().message();
  EXPECT_EQ(*link_out, MacString(a().mac()) + "\n" + MacString(b().mac()) + "\n");
}

}  // namespace
}  // namespace berth::fabric::testing
