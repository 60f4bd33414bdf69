#include "scenarios/runner.h"

#include <gtest/gtest.h>

#include "base/file_util.h"
#include "scenarios/parser.h"
#include "scenarios/report.h"
#include "scenarios/sim_lab.h"

namespace berth::scenarios {
namespace {

// quickstart's shape, in milliseconds.
const char* kPassing = R"(name: fast-quickstart
seed: 3
lab: {machines: [{name: web1}, {name: web2}, {name: web3}]}
images: [busybox]
containers:
  - {name: web, machines: [web1, web2, web3], image: busybox, command: "httpd -f -p 8080",
     ports: ["8080:8080"]}
workload:
  probes:
    - {name: http, type: http, rate: 60, targets: [web1:8080, web2:8080, web3:8080],
       timeout: 200ms}
    - {name: kv, type: kv, rate: 50, targets: [web1:2379, web2:2379, web3:2379]}
timeline:
  - {name: kill web2, at: 300ms, do: machine.kill, machine: web2}
  - {name: isolate web3, at: 400ms, do: net.partition, shape: isolate, machine: web3}
  - {name: start web2, after: 300ms, do: machine.start, machine: web2}
  - {name: web2 answers, when: {http: "web2:8080"}, timeout: 5s, poll: 20ms, do: mark}
  - {name: settle, after: 300ms, do: mark}
checks:
  - {name: survivors keep answering, type: availability, probe: http,
     targets: [web1:8080, web3:8080], min: 100%}
  - {name: web2 back, type: recovers, probe: http, targets: [web2:8080], after: start web2,
     within: 2s}
  - {name: fast, type: latency, probe: http, targets: [web1:8080], percentile: 99, max: 100ms}
  - {name: no lost writes, type: no-lost-writes, probe: kv}
  - {name: host ok, type: command, command: "true"}
)";

Scenario Load(const std::string& text) {
  auto out = ParseScenario(text, "test.yaml");
  EXPECT_TRUE(out.ok()) << out.FormatErrors();
  return out.scenario;
}

TEST(RunnerTest, PassingScenarioExitsZeroAndCleansUp) {
  Scenario s = Load(kPassing);
  SimLab::Options o;
  o.boot_delay = Millis(100);
  SimLab lab(o);
  std::ostringstream progress;
  RunnerOptions options;
  options.progress = &progress;
  options.progress_interval_s = 0.2;
  RunOutcome out = RunScenario(s, lab, options);
  std::string summary = SummaryTable(s, out);
  EXPECT_EQ(out.exit_code, kExitPassed) << summary << progress.str();
  EXPECT_EQ(out.checks.size(), 5u);
  EXPECT_EQ(out.passed(), 5) << summary;
  EXPECT_TRUE(out.error.empty());
  EXPECT_TRUE(lab.Machines().empty());  // torn down
  EXPECT_EQ(lab.Log().back(), "teardown");
  // Every step ran, in order, close to its plan.
  ASSERT_EQ(out.steps.size(), 5u);
  for (const auto& st : out.steps) {
    EXPECT_TRUE(st.ok) << st.name;
    EXPECT_LT(st.lateness_ms(), 500) << st.name;  // 50 ms on an idle host; see timeline_test
  }
  // The run ended by healing the partition (the final heal).
  bool healed = false;
  for (const auto& e : out.events)
    healed = healed || (e.f == "net.heal" && e.type == EventType::kOk &&
                        e.value.value("step", "") == "final heal");
  EXPECT_TRUE(healed);
  // Jepsen-shaped history: every completion follows an invoke of its process.
  std::map<std::string, int> open;
  for (const auto& e : out.events) {
    if (e.kind != "op" || e.f == "final-read") continue;
    if (e.type == EventType::kInvoke)
      EXPECT_EQ(open[e.process]++, 0) << e.process;
    else
      EXPECT_EQ(open[e.process]--, 1) << e.process;
  }
  EXPECT_NE(progress.str().find("step 'kill web2': machine.kill ok"), std::string::npos)
      << progress.str();
  EXPECT_NE(progress.str().find("probes: http"), std::string::npos) << progress.str();
}

TEST(RunnerTest, ScenarioBuiltToFailExitsOneNamingTheCheck) {
  auto s = LoadScenario(std::string(SCENARIO_TEST_DATA) + "/must-fail.yaml");
  ASSERT_TRUE(s.ok()) << s.status().message();
  SimLab lab;
  RunOutcome out = RunScenario(*s, lab, {});
  EXPECT_EQ(out.exit_code, kExitCheckFailed) << SummaryTable(*s, out);
  ASSERT_EQ(out.checks.size(), 2u);
  EXPECT_TRUE(out.checks[0].passed) << out.checks[0].summary;
  EXPECT_FALSE(out.checks[1].passed);
  std::string summary = SummaryTable(*s, out);
  EXPECT_NE(summary.find("b never fails"), std::string::npos);
  EXPECT_NE(summary.find("FAILED"), std::string::npos);
  std::string junit = JunitXml(*s, out);
  auto failure = junit.find("<failure");
  ASSERT_NE(failure, std::string::npos);
  EXPECT_NE(junit.rfind("name=\"b never fails\"", failure), std::string::npos);
  EXPECT_NE(junit.find("failures=\"1\""), std::string::npos);
}

TEST(RunnerTest, LabThatCannotBeBuiltExitsTwoAndRemovesWhatWasMade) {
  Scenario s = Load(kPassing);
  SimLab::Options o;
  o.fail_create = "web3";
  SimLab lab(o);
  RunOutcome out = RunScenario(s, lab, {});
  EXPECT_EQ(out.exit_code, kExitBroken);
  EXPECT_NE(out.error.find("lab could not be built"), std::string::npos) << out.error;
  EXPECT_NE(out.error.find("web3"), std::string::npos) << out.error;
  EXPECT_TRUE(lab.Machines().empty());
  EXPECT_TRUE(out.checks.empty());
}

TEST(RunnerTest, ActionFailureBreaksTheRunButStillHealsAndTearsDown) {
  Scenario s = Load(kPassing);
  SimLab::Options o;
  o.fail_action = "machine.start";  // web2 can never come back
  SimLab lab(o);
  RunOutcome out = RunScenario(s, lab, {});
  EXPECT_EQ(out.exit_code, kExitBroken);
  EXPECT_NE(out.error.find("step 'start web2'"), std::string::npos) << out.error;
  auto log = lab.Log();
  EXPECT_NE(std::find(log.begin(), log.end(), "net.heal"), log.end());
  EXPECT_EQ(log.back(), "teardown");
  // The report still shows the run.
  Json result = ResultJson(s, out);
  EXPECT_EQ(result["verdict"], "BROKEN");
  EXPECT_EQ(result["exit_code"], 2);
}

TEST(RunnerTest, LostWritesAreCaught) {
  Scenario s = Load(kPassing);
  SimLab::Options o;
  o.lose_acked_writes = true;
  SimLab lab(o);
  RunOutcome out = RunScenario(s, lab, {});
  EXPECT_EQ(out.exit_code, kExitCheckFailed);
  for (const auto& c : out.checks)
    if (c.name == "no lost writes") {
      EXPECT_FALSE(c.passed);
      EXPECT_GT(c.details["lost"].size(), 10u);
    }
}

TEST(RunnerTest, KeepLeavesTheLabAndSaysSo) {
  Scenario s = Load(kPassing);
  s.timeline.resize(1);
  s.checks.clear();
  SimLab lab;
  RunnerOptions options;
  options.keep = true;
  RunOutcome out = RunScenario(s, lab, options);
  EXPECT_EQ(out.exit_code, kExitPassed) << out.error;
  EXPECT_EQ(lab.Machines().size(), 3u);
  ASSERT_FALSE(out.teardown.empty());
  EXPECT_EQ(out.teardown[0].rfind("kept machine", 0), 0u) << out.teardown[0];
  EXPECT_EQ(ResultJson(s, out)["kept"], true);
  // Even kept, the faults were undone: web2 was started again.
  auto log = lab.Log();
  EXPECT_NE(std::find(log.begin(), log.end(), "machine.start web2"), log.end());
}

TEST(RunnerTest, SeedOverrideIsRecorded) {
  Scenario s = Load(kPassing);
  s.timeline.clear();
  s.checks.clear();
  s.probes.clear();
  SimLab lab;
  RunnerOptions options;
  options.seed = 77;
  RunOutcome out = RunScenario(s, lab, options);
  EXPECT_EQ(out.seed, 77u);
}

}  // namespace
}  // namespace berth::scenarios
