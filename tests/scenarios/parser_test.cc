#include "scenarios/parser.h"

#include <gtest/gtest.h>

#include <regex>

#include "base/file_util.h"

namespace berth::scenarios {
namespace {

const char* kMinimal = R"(name: t
lab:
  machines:
    - {name: a}
    - {name: b}
)";

ParseOutcome Parse(const std::string& text) { return ParseScenario(text, "t.yaml"); }

// Asserts there is an error at line:col whose message contains `part`.
void ExpectError(const ParseOutcome& out, int line, int col, const std::string& part) {
  for (const auto& e : out.errors)
    if (e.mark.line == line && e.mark.column == col && e.message.find(part) != std::string::npos)
      return;
  ADD_FAILURE() << "no error at " << line << ":" << col << " containing '" << part << "'; got:\n"
                << out.FormatErrors();
}

TEST(ParserTest, ParsesEverySection) {
  auto out = Parse(std::string(kMinimal) + R"(seed: 9
description: hello
images: [busybox]
containers:
  - {name: web, machines: [a, b], image: busybox, command: [httpd, -f], env: {A: "1"},
     ports: ["80:80"], volumes: ["v:/data"], network: lab}
workload:
  probes:
    - {name: http, type: http, rate: 20, targets: ["a:80", "b:80"], timeout: 250ms}
    - {name: kv, type: kv, targets: ["a:2379"], keys: 5}
timeline:
  - {name: k, at: 1.5s, do: machine.kill, machine: a}
  - {after: 200ms, do: net.impair, delay: 50ms, loss: 10%, machines: [b]}
  - {name: back, when: {http: "a:80", path: /health}, timeout: 10s, poll: 50ms, do: mark}
  - {name: soak, do: random, every: 2s, for: 10s, recover_after: 1s, faults: [machine.pause]}
checks:
  - {name: avail, type: availability, probe: http, min: 99.5%, from: k+1s, to: end}
  - {name: lat, type: latency, probe: http, percentile: 95, max: 100ms, from: 2s, to: back}
  - {name: rec, type: recovers, probe: http, targets: ["a:80"], after: k, within: 5s}
  - {name: lost, type: no-lost-writes, probe: kv}
  - {name: cmd, type: command, machine: a, command: "true"}
)");
  ASSERT_TRUE(out.ok()) << out.FormatErrors();
  const Scenario& s = out.scenario;
  EXPECT_EQ(s.seed, 9u);
  EXPECT_EQ(s.containers.size(), 2u);  // `machines: [a, b]` expands per machine
  EXPECT_EQ(s.containers[1].machine, "b");
  EXPECT_EQ(s.containers[0].command, (std::vector<std::string>{"httpd", "-f"}));
  EXPECT_EQ(s.probes[0].timeout, Millis(250));
  EXPECT_EQ(s.probes[1].type, ProbeType::kKv);
  ASSERT_EQ(s.timeline.size(), 4u);
  EXPECT_EQ(s.timeline[0].when, Step::When::kAt);
  EXPECT_EQ(s.timeline[0].offset, Millis(1500));
  EXPECT_EQ(s.timeline[1].name, "step 2 (net.impair)");
  EXPECT_EQ(s.timeline[1].action.params.at("delay"), "50");
  EXPECT_DOUBLE_EQ(std::stod(s.timeline[1].action.params.at("loss")), 0.1);
  EXPECT_EQ(s.timeline[2].when, Step::When::kCondition);
  EXPECT_EQ(s.timeline[2].condition->path, "/health");
  EXPECT_EQ(s.timeline[2].poll, Millis(50));
  EXPECT_TRUE(s.timeline[3].random);
  EXPECT_EQ(s.checks[0].from.kind, TimeRef::Kind::kStep);
  EXPECT_EQ(s.checks[0].from.offset, Millis(1000));
  EXPECT_DOUBLE_EQ(s.checks[0].min_ratio, 0.995);
  EXPECT_EQ(s.checks[1].max_latency, Millis(100));
  EXPECT_EQ(s.checks[4].command, (std::vector<std::string>{"sh", "-c", "true"}));
}

TEST(ParserTest, ReportsEveryErrorWithPosition) {
  auto text = ReadFile(std::string(SCENARIO_TEST_DATA) + "/invalid.yaml");
  ASSERT_TRUE(text.ok());
  auto out = Parse(*text);
  ASSERT_FALSE(out.ok());
  ExpectError(out, 4, 23, "'cpus' must be an integer");
  ExpectError(out, 5, 17, "unknown key 'colour'");
  ExpectError(out, 8, 57, "'rate' must be a number");
  ExpectError(out, 8, 41, "no machine named 'c'");
  ExpectError(out, 10, 10, "'at' must be a duration");
  ExpectError(out, 11, 21, "'do' must be an action");
  ExpectError(out, 12, 43, "'shape' must be one of");
  ExpectError(out, 14, 42, "no probe named 'nope'");
  ExpectError(out, 14, 53, "'min' must be a percentage");
  EXPECT_EQ(out.errors.size(), 9u) << out.FormatErrors();
  // Every line of the formatted report is FILE:LINE:COL: error: ...
  std::regex line_re(R"(^t\.yaml:[1-9][0-9]*:[1-9][0-9]*: error: .+$)");
  std::string formatted = out.FormatErrors();
  size_t start = 0, lines = 0;
  while (start < formatted.size()) {
    size_t end = formatted.find('\n', start);
    EXPECT_TRUE(std::regex_match(formatted.substr(start, end - start), line_re))
        << formatted.substr(start, end - start);
    start = end + 1;
    ++lines;
  }
  EXPECT_EQ(lines, out.errors.size());
}

TEST(ParserTest, UnknownKeysAreErrorsEverywhere) {
  auto out = Parse(std::string(kMinimal) + R"(colour: red
timeline:
  - {at: 1s, do: machine.kill, machine: a, force: true}
checks:
  - {name: c, type: command, command: "true", probe: x}
)");
  ExpectError(out, 6, 1, "unknown key 'colour'");
  ExpectError(out, 8, 44, "unknown key 'force' (expected one of: name, at, after, when");
  ExpectError(out, 10, 47, "unknown key 'probe'");
}

TEST(ParserTest, TypeErrorsSayWhatWasExpected) {
  auto out = Parse(R"(name: [1, 2]
lab: {machines: {a: 1}}
timeline: {a: 1}
)");
  ExpectError(out, 1, 7, "'name' must be a string, got a list");
  ExpectError(out, 2, 17, "'machines' must be a non-empty list, got a mapping");
  ExpectError(out, 3, 11, "timeline: expected a list of steps, got a mapping");
}

TEST(ParserTest, MissingKeysPointAtTheirMapping) {
  auto out = Parse("lab: {machines: [{cpus: 2}]}\ntimeline:\n  - {at: 1s}\n");
  ExpectError(out, 1, 1, "missing required key 'name'");
  ExpectError(out, 1, 18, "machine: missing required key 'name'");
  ExpectError(out, 3, 5, "missing required key 'do'");
}

TEST(ParserTest, SyntaxErrorHasPosition) {
  auto out = Parse("name: t\nlab: {machines: [\n");
  ASSERT_EQ(out.errors.size(), 1u);
  EXPECT_GT(out.errors[0].mark.line, 0);
  EXPECT_NE(out.errors[0].message.find("invalid YAML"), std::string::npos);
}

TEST(ParserTest, EmptyAndScalarDocuments) {
  EXPECT_FALSE(Parse("").ok());
  EXPECT_FALSE(Parse("42").ok());
  auto out = Parse("just text");
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.errors[0].message.find("expected a mapping"), std::string::npos);
}

TEST(ParserTest, CrossReferences) {
  auto out = Parse(std::string(kMinimal) + R"(timeline:
  - {name: x, at: 1s, do: machine.add, machine: c}
  - {name: x, after: 1s, do: machine.kill, machine: c}
  - {after: 1s, do: machine.add, machine: a}
  - {after: 1s, do: net.partition, grudge: {a: [b, zz]}}
  - {after: 1s, do: net.partition, shape: halves, grudge: {a: b}}
checks:
  - {name: r, type: recovers, probe: none, after: nowhere, within: 1s}
)");
  ExpectError(out, 8, 12, "step name 'x' is used twice");
  ExpectError(out, 9, 43, "a machine named 'a' exists already");
  ExpectError(out, 10, 48, "no machine named 'zz'");
  ExpectError(out, 11, 5, "exactly one of 'shape'");
  ExpectError(out, 13, 51, "no timeline step named 'nowhere'");
  // machine.add makes 'c' known to later steps: no error for step 2's machine.
  for (const auto& e : out.errors)
    EXPECT_EQ(e.message.find("no machine named 'c'"), std::string::npos);
}

TEST(ParserTest, TimingRules) {
  auto out = Parse(std::string(kMinimal) + R"(timeline:
  - {at: 1s, after: 2s, do: mark}
  - {at: 1s, timeout: 5s, do: mark}
  - {do: random, every: 1s, for: 5s, recover_after: 2s, faults: [disk.fill]}
)");
  ExpectError(out, 7, 5, "only one of 'at', 'after' or 'when'");
  ExpectError(out, 8, 23, "'timeout' only goes with 'when'");
  ExpectError(out, 9, 53, "'recover_after' must be shorter than 'every'");
  ExpectError(out, 9, 65, "random fault 'disk.fill' must be one of");
}

TEST(ParserTest, Scalars) {
  EXPECT_EQ(ParseDuration("250ms"), Millis(250));
  EXPECT_EQ(ParseDuration("1.5s"), Millis(1500));
  EXPECT_EQ(ParseDuration("2m"), Millis(120000));
  EXPECT_EQ(ParseDuration("3"), Millis(3000));
  EXPECT_EQ(ParseDuration("-2s", true), Millis(-2000));
  EXPECT_FALSE(ParseDuration("-2s"));
  EXPECT_FALSE(ParseDuration("5x"));
  EXPECT_FALSE(ParseDuration("ms"));
  EXPECT_FALSE(ParseDuration(""));
  EXPECT_EQ(ParseSizeMb("2G"), 2048);
  EXPECT_EQ(ParseSizeMb("512MiB"), 512);
  EXPECT_FALSE(ParseSizeMb("lots"));
  EXPECT_DOUBLE_EQ(*ParsePercent("99.9%"), 0.999);
  EXPECT_DOUBLE_EQ(*ParsePercent("0.5"), 0.5);
  EXPECT_FALSE(ParsePercent("150%"));
  EXPECT_FALSE(ParsePercent("2"));
}

}  // namespace
}  // namespace berth::scenarios
