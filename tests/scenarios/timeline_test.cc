#include "scenarios/timeline.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <thread>

#include "base/file_util.h"
#include "scenarios/parser.h"
#include "scenarios/sim_lab.h"

namespace berth::scenarios {
namespace {

MachineSpec Named(const std::string& name) {
  MachineSpec m;
  m.name = name;
  return m;
}

// Parses a timeline over machines a and b (with a web container on :80).
std::vector<Step> Steps(const std::string& timeline) {
  auto out = ParseScenario(
      "name: t\nlab: {machines: [{name: a}, {name: b}]}\ntimeline:\n" + timeline, "t.yaml");
  EXPECT_TRUE(out.ok()) << out.FormatErrors();
  return out.scenario.timeline;
}

struct Rig {
  SimLab lab;
  History history;
  Nemesis nemesis{lab, history, {"a", "b"}, 1};
  Rig() {
    EXPECT_TRUE(lab.CreateMachine(Named("a")).ok());
    EXPECT_TRUE(lab.CreateMachine(Named("b")).ok());
  }
};

TEST(TimelineTest, AbsoluteAndRelativeStepsFireInOrderOnTime) {
  Rig rig;
  auto steps = Steps(R"(
  - {name: one, at: 100ms, do: machine.kill, machine: a}
  - {name: two, at: 300ms, do: machine.start, machine: a}
  - {name: three, after: 150ms, do: mark}
  - {name: four, at: 200ms, do: mark}
)");
  Timeline t(steps, rig.lab, rig.nemesis, rig.history, 1, nullptr);
  ASSERT_TRUE(t.Run().ok());
  const auto& r = t.records();
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0].name, "one");
  EXPECT_NEAR(r[0].planned, 0.1, 1e-6);
  EXPECT_NEAR(r[1].planned, 0.3, 1e-6);
  // `after` counts from the previous step's end.
  EXPECT_NEAR(r[2].planned, r[1].finished + 0.15, 1e-3);
  // An `at` whose moment has passed fires at once, in file order.
  EXPECT_NEAR(r[3].planned, 0.2, 1e-6);
  EXPECT_GE(r[3].actual, r[2].finished);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_TRUE(r[i].ok) << r[i].error;
    EXPECT_GE(r[i].actual, r[i].planned);
    EXPECT_LT(r[i].lateness_ms(), 500) << r[i].name;
  }
  for (size_t i = 1; i < r.size(); ++i) EXPECT_GE(r[i].actual, r[i - 1].finished);
  EXPECT_EQ(rig.lab.Log()[2], "machine.kill a");
  EXPECT_EQ(rig.lab.Log()[3], "machine.start a");
}

TEST(TimelineTest, StepsFireWithin50msOfPlan) {
  Rig rig;
  std::string text;
  for (int i = 1; i <= 40; ++i) text += "  - {at: " + std::to_string(i * 20) + "ms, do: mark}\n";
  auto steps = Steps(text);
  Timeline t(steps, rig.lab, rig.nemesis, rig.history, 1, nullptr);
  ASSERT_TRUE(t.Run().ok());
  std::vector<double> late;
  for (const auto& r : t.records()) {
    EXPECT_GE(r.lateness_ms(), 0);  // never early
    late.push_back(r.lateness_ms());
  }
  std::sort(late.begin(), late.end());
  std::printf("timeline precision over %zu steps: median %.3f ms, max %.3f ms late\n", late.size(),
              late[late.size() / 2], late.back());
  // The target is 50 ms; on a host loaded by other jobs a single wake-up can
  // be late, so the bound on the worst step is looser (docs/PERFORMANCE.md
  // has the measured figures).
  EXPECT_LT(late[late.size() / 2], 50);
  EXPECT_LT(late.back(), 500);
}

TEST(TimelineTest, ConditionWaitsUntilItHolds) {
  Rig rig;
  char dir[] = "/tmp/berth-timeline-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  std::string flag = std::string(dir) + "/flag";
  auto steps = Steps("  - {name: ready, when: {exec: \"test -f " + flag +
                     "\"}, timeout: 5s, poll: 20ms, do: mark}\n  - {name: next, after: 0s, do: "
                     "mark}\n");
  std::thread maker([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    ASSERT_TRUE(WriteFileAtomic(flag, "x").ok());
  });
  Timeline t(steps, rig.lab, rig.nemesis, rig.history, 1, nullptr);
  Status st = t.Run();
  maker.join();
  ASSERT_TRUE(st.ok()) << st.message();
  const auto& r = t.records();
  ASSERT_EQ(r.size(), 2u);
  EXPECT_FALSE(r[0].condition_timed_out);
  EXPECT_GE(r[0].planned, 0.3);
  EXPECT_LT(r[0].planned, 0.3 + 0.5);
  EXPECT_TRUE(r[1].ok);
  ASSERT_TRUE(RemoveAll(dir).ok());
}

TEST(TimelineTest, ConditionTimeoutIsRecordedAndTheRunGoesOn) {
  Rig rig;
  auto steps = Steps(R"(
  - {name: never, when: {http: "a:80"}, timeout: 200ms, poll: 20ms, do: machine.kill, machine: b}
  - {name: after, after: 10ms, do: mark}
)");
  Timeline t(steps, rig.lab, rig.nemesis, rig.history, 1, nullptr);
  ASSERT_TRUE(t.Run().ok());
  const auto& r = t.records();
  ASSERT_EQ(r.size(), 2u);
  EXPECT_TRUE(r[0].condition_timed_out);
  EXPECT_LT(r[0].actual, 0);  // its action never ran
  EXPECT_NEAR(r[0].planned, 0.2, 0.05);
  for (const auto& line : rig.lab.Log()) EXPECT_NE(line, "machine.kill b");
  EXPECT_TRUE(r[1].ok);
}

TEST(TimelineTest, FailingActionStopsTheTimeline) {
  SimLab::Options o;
  o.fail_action = "machine.pause";
  SimLab lab(o);
  ASSERT_TRUE(lab.CreateMachine(Named("a")).ok());
  History history;
  Nemesis nemesis(lab, history, {"a"}, 1);
  auto steps = Steps(R"(
  - {name: p, at: 10ms, do: machine.pause, machine: a}
  - {name: q, after: 10ms, do: machine.kill, machine: a}
)");
  Timeline t(steps, lab, nemesis, history, 1, nullptr);
  Status st = t.Run();
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("step 'p'"), std::string::npos) << st.message();
  EXPECT_EQ(t.records().size(), 1u);
}

TEST(TimelineTest, CancelStopsWaiting) {
  Rig rig;
  auto steps = Steps("  - {at: 30s, do: mark}\n");
  std::atomic<bool> cancel{false};
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    cancel = true;
  });
  auto t0 = std::chrono::steady_clock::now();
  Timeline t(steps, rig.lab, rig.nemesis, rig.history, 1, &cancel);
  Status st = t.Run();
  canceller.join();
  EXPECT_EQ(st.code(), Code::kCancelled);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
}

TEST(TimelineTest, RandomFaultsAreSeededAndRecovered) {
  auto steps = Steps(
      "  - {name: chaos, at: 0s, do: random, every: 100ms, for: 500ms, recover_after: 50ms}\n");
  std::vector<std::string> logs[3];
  for (int run = 0; run < 3; ++run) {
    Rig rig;
    Timeline t(steps, rig.lab, rig.nemesis, rig.history, run < 2 ? 42 : 43, nullptr);
    ASSERT_TRUE(t.Run().ok());
    EXPECT_EQ(t.records().size(), 10u);  // 5 faults, each with its recovery
    for (const auto& r : t.records()) {
      EXPECT_TRUE(r.ok) << r.name << ": " << r.error;
      EXPECT_LT(r.lateness_ms(), 500);
    }
    logs[run] = rig.lab.Log();
  }
  EXPECT_EQ(logs[0], logs[1]);  // same seed, same faults
  EXPECT_NE(logs[0], logs[2]);
}

}  // namespace
}  // namespace berth::scenarios
