#include "scenarios/report.h"

#include <gtest/gtest.h>

#include "base/file_util.h"
#include "base/json_util.h"

namespace berth::scenarios {
namespace {

struct Fixture {
  Scenario scenario;
  RunOutcome outcome;
  Fixture() {
    scenario.name = "r<&>\"'";
    scenario.file = "x.yaml";
    scenario.description = "a <b>bold</b> claim";
    outcome.exit_code = kExitCheckFailed;
    outcome.seed = 12;
    outcome.lab_kind = "sim";
    outcome.end = 4;
    outcome.run_s = 4;
    CheckResult ok{"fine & dandy", "availability", true, "availability 100%", Json::object(), 0.1};
    CheckResult bad{"broken <check>",          "latency", false, "p99 latency 300 ms > 100 ms",
                    Json{{"latency_ms", 300}}, 0.2};
    outcome.checks = {ok, bad};
    outcome.steps = {{"kill \"a\"", "machine.kill", 1.0, 1.002, 1.01, true, false, ""}};
    outcome.faults = {{"machine:a", "machine.kill a", 1.0, 3.0}};
    for (int i = 0; i < 40; ++i)
      outcome.events.push_back({i * 0.1, "http:a:80", "op",
                                i % 7 ? EventType::kOk : EventType::kFail, "get",
                                Json{{"target", "a:80"}}, 5.0 + i});
    outcome.teardown = {"removed machine a"};
  }
};

TEST(ReportTest, ResultJsonRoundTrips) {
  Fixture f;
  Json j = ResultJson(f.scenario, f.outcome);
  auto parsed = ParseJson(j.dump(), "result.json");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ((*parsed)["version"], 1);
  EXPECT_EQ((*parsed)["verdict"], "FAILED");
  EXPECT_EQ((*parsed)["checks"].size(), 2u);
  EXPECT_EQ((*parsed)["checks"][1]["passed"], false);
  EXPECT_NEAR((*parsed)["steps"][0]["lateness_ms"].get<double>(), 2.0, 1e-6);
  EXPECT_NEAR((*parsed)["max_step_lateness_ms"].get<double>(), 2.0, 1e-6);
  EXPECT_EQ((*parsed)["kept"], false);
}

TEST(ReportTest, JunitEscapesAndCountsFailures) {
  Fixture f;
  std::string x = JunitXml(f.scenario, f.outcome);
  EXPECT_EQ(x.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>", 0), 0u);
  EXPECT_NE(x.find("<testsuite name=\"r&lt;&amp;&gt;&quot;&apos;\" tests=\"2\" failures=\"1\""),
            std::string::npos)
      << x;
  EXPECT_NE(x.find("name=\"broken &lt;check&gt;\""), std::string::npos);
  EXPECT_NE(x.find("<failure type=\"latency\" message=\"p99 latency 300 ms &gt; 100 ms\">"),
            std::string::npos);
  EXPECT_EQ(x.find("<check>"), std::string::npos);
  // A broken run adds an errored test case.
  f.outcome.exit_code = kExitBroken;
  f.outcome.error = "the run broke: x";
  x = JunitXml(f.scenario, f.outcome);
  EXPECT_NE(x.find("errors=\"1\""), std::string::npos);
  EXPECT_NE(x.find("<error message=\"the run broke: x\">"), std::string::npos);
  EXPECT_EQ(XmlEscape(std::string("a\x01z")), "a?z");
}

TEST(ReportTest, HtmlIsSelfContained) {
  Fixture f;
  std::string h = ReportHtml(f.scenario, f.outcome);
  EXPECT_EQ(h.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(h.find("<svg"), std::string::npos);
  EXPECT_NE(h.find("machine.kill a"), std::string::npos);  // shaded fault is labelled
  EXPECT_NE(h.find("fill-opacity=\"0.12\""), std::string::npos);
  EXPECT_NE(h.find("broken &lt;check&gt;"), std::string::npos);
  EXPECT_EQ(h.find("<b>bold"), std::string::npos);  // description escaped
  EXPECT_EQ(h.find("<script"), std::string::npos);
  EXPECT_EQ(h.find("src="), std::string::npos);
  EXPECT_EQ(h.find("<link"), std::string::npos);
  EXPECT_EQ(h.find("@import"), std::string::npos);
}

TEST(ReportTest, WriteReportWritesAllFiles) {
  Fixture f;
  char dir[] = "/tmp/berth-report-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  std::string out = std::string(dir) + "/nested/report";
  ASSERT_TRUE(WriteReport(out, f.scenario, f.outcome).ok());
  for (const char* name : {"history.jsonl", "result.json", "junit.xml", "report.html"})
    EXPECT_TRUE(PathExists(out + "/" + name)) << name;
  auto history = ReadFile(out + "/history.jsonl");
  ASSERT_TRUE(history.ok());
  size_t lines = 0, start = 0;
  while (start < history->size()) {
    size_t end = history->find('\n', start);
    auto j = ParseJson(history->substr(start, end - start), "line");
    ASSERT_TRUE(j.ok());
    for (const char* key : {"time", "process", "kind", "type", "f", "value"})
      EXPECT_TRUE(j->contains(key)) << key;
    start = end + 1;
    ++lines;
  }
  EXPECT_EQ(lines, f.outcome.events.size());
  ASSERT_TRUE(RemoveAll(dir).ok());
}

}  // namespace
}  // namespace berth::scenarios
