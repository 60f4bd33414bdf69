#include "scenarios/checks.h"

#include <gtest/gtest.h>

#include "scenarios/sim_lab.h"

namespace berth::scenarios {
namespace {

// A synthetic history: http probe over a:80 and b:80, one request per 100 ms
// per target for 10 s; b fails between 3 s and 6 s; latency 10 ms, except
// 200 ms for a between 7 s and 8 s.
struct Synthetic {
  std::vector<Event> events;
  std::vector<StepRecord> steps;
  std::vector<ProbeSpec> probes;
  Synthetic() {
    ProbeSpec http;
    http.name = "http";
    http.targets = {"a:80", "b:80"};
    ProbeSpec kv;
    kv.name = "kv";
    kv.type = ProbeType::kKv;
    kv.targets = {"a:2379"};
    probes = {http, kv};
    for (int i = 0; i < 100; ++i) {
      double t = i * 0.1;
      for (const std::string target : {"a:80", "b:80"}) {
        bool fail = target == "b:80" && t >= 3 && t < 6;
        double lat = target == "a:80" && t >= 7 && t < 8 ? 200 : 10;
        Event inv{t, "http:" + target, "op", EventType::kInvoke, "get", {}, -1};
        Event done{t + lat / 1000,
                   "http:" + target,
                   "op",
                   fail ? EventType::kFail : EventType::kOk,
                   "get",
                   {},
                   lat};
        events.push_back(inv);
        events.push_back(done);
      }
    }
    StepRecord kill{"kill b", "machine.kill", 3.0, 3.0, 3.01, true, false, ""};
    StepRecord start{"start b", "machine.start", 5.0, 5.2, 5.21, true, false, ""};
    steps = {kill, start};
  }
  RunView View() { return RunView{events, steps, probes, 10.0}; }
};

CheckSpec Availability(std::vector<std::string> targets, double min) {
  CheckSpec c;
  c.name = "avail";
  c.type = CheckSpec::Type::kAvailability;
  c.probe = "http";
  c.targets = std::move(targets);
  c.min_ratio = min;
  return c;
}

TEST(ChecksTest, AvailabilityOverTargetsAndWindows) {
  Synthetic s;
  SimLab lab;
  auto r = EvaluateCheck(Availability({"a:80"}, 1.0), s.View(), lab);
  EXPECT_TRUE(r.passed) << r.summary;
  r = EvaluateCheck(Availability({"b:80"}, 0.8), s.View(), lab);
  EXPECT_FALSE(r.passed);
  EXPECT_NEAR(r.details["availability"].get<double>(), 0.7, 1e-9);
  EXPECT_NE(r.summary.find("70.00%"), std::string::npos) << r.summary;
  // Both targets: 170 of 200.
  r = EvaluateCheck(Availability({}, 0.85), s.View(), lab);
  EXPECT_TRUE(r.passed) << r.summary;
  // Window from the start step + 1s to the end: b fails 5.0..6.0 of 6.0..10
  auto c = Availability({"b:80"}, 1.0);
  c.from = {TimeRef::Kind::kStep, "start b", Millis(750)};  // 5.95 s
  r = EvaluateCheck(c, s.View(), lab);
  EXPECT_TRUE(r.passed) << r.summary;
  c.from = {TimeRef::Kind::kOffset, "", Millis(4950)};
  r = EvaluateCheck(c, s.View(), lab);
  EXPECT_FALSE(r.passed) << r.summary;
  EXPECT_NEAR(r.details["availability"].get<double>(), 40.0 / 50, 1e-9);
}

TEST(ChecksTest, EmptyWindowAndUnknownStepFail) {
  Synthetic s;
  SimLab lab;
  auto c = Availability({}, 0.5);
  c.from = {TimeRef::Kind::kOffset, "", Millis(20000)};
  auto r = EvaluateCheck(c, s.View(), lab);
  EXPECT_FALSE(r.passed);
  EXPECT_NE(r.summary.find("no operations"), std::string::npos);
  c.from = {TimeRef::Kind::kStep, "never", Millis(0)};
  r = EvaluateCheck(c, s.View(), lab);
  EXPECT_FALSE(r.passed);
  EXPECT_NE(r.summary.find("never ran"), std::string::npos);
}

TEST(ChecksTest, LatencyPercentile) {
  Synthetic s;
  SimLab lab;
  CheckSpec c;
  c.name = "lat";
  c.type = CheckSpec::Type::kLatency;
  c.probe = "http";
  c.targets = {"a:80"};
  c.percentile = 50;
  c.max_latency = Millis(20);
  EXPECT_TRUE(EvaluateCheck(c, s.View(), lab).passed);
  c.percentile = 95;  // 10 of 100 requests took 200 ms
  auto r = EvaluateCheck(c, s.View(), lab);
  EXPECT_FALSE(r.passed);
  EXPECT_DOUBLE_EQ(r.details["latency_ms"].get<double>(), 200);
  c.from = {TimeRef::Kind::kOffset, "", Millis(8050)};
  EXPECT_TRUE(EvaluateCheck(c, s.View(), lab).passed);
  EXPECT_DOUBLE_EQ(Percentile({1, 2, 3, 4}, 50), 2);
  EXPECT_DOUBLE_EQ(Percentile({1, 2, 3, 4}, 100), 4);
  EXPECT_DOUBLE_EQ(Percentile({5}, 1), 5);
}

TEST(ChecksTest, RecoversWithinBound) {
  Synthetic s;
  SimLab lab;
  CheckSpec c;
  c.name = "rec";
  c.type = CheckSpec::Type::kRecovers;
  c.probe = "http";
  c.targets = {"b:80"};
  c.after_step = "start b";  // fired at 5.2; b answers from 6.0
  c.within = Millis(1000);
  auto r = EvaluateCheck(c, s.View(), lab);
  EXPECT_TRUE(r.passed) << r.summary;
  EXPECT_NEAR(r.details["recovered_after_s"]["b:80"].get<double>(), 0.81, 1e-6);
  c.within = Millis(500);
  r = EvaluateCheck(c, s.View(), lab);
  EXPECT_FALSE(r.passed);
  EXPECT_NE(r.summary.find("b:80"), std::string::npos);
}

TEST(ChecksTest, NoLostWrites) {
  Synthetic s;
  SimLab lab;
  CheckSpec c;
  c.name = "lost";
  c.type = CheckSpec::Type::kNoLostWrites;
  c.probe = "kv";
  EXPECT_FALSE(EvaluateCheck(c, s.View(), lab).passed);  // no final read at all
  s.events.push_back({10, "kv", "op", EventType::kOk, "final-read",
                      Json{{"acknowledged_keys", 40}, {"unreadable", 0}, {"lost", Json::array()}},
                      -1});
  auto r = EvaluateCheck(c, s.View(), lab);
  EXPECT_TRUE(r.passed) << r.summary;
  s.events.back().value["lost"].push_back({{"key", "berth/3"}});
  r = EvaluateCheck(c, s.View(), lab);
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.summary, "1 of 40 acknowledged keys lost");
}

TEST(ChecksTest, CommandOnHost) {
  Synthetic s;
  SimLab lab;
  CheckSpec c;
  c.name = "cmd";
  c.type = CheckSpec::Type::kCommand;
  c.command = {"sh", "-c", "exit 0"};
  EXPECT_TRUE(EvaluateCheck(c, s.View(), lab).passed);
  c.command = {"sh", "-c", "echo nope; exit 3"};
  auto r = EvaluateCheck(c, s.View(), lab);
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.details["exit_code"], 3);
  EXPECT_EQ(r.details["output"], "nope\n");
}

}  // namespace
}  // namespace berth::scenarios
