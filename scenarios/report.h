// Reports of a run: terminal summary, result.json, junit.xml, history.jsonl
// and a self-contained report.html.
#pragma once

#include <string>

#include "base/json_util.h"
#include "base/status.h"
#include "base/strings.h"  // XmlEscape
#include "scenarios/runner.h"
#include "scenarios/scenario.h"

namespace berth::scenarios {

// The table of checks and the verdict, for the terminal.
std::string SummaryTable(const Scenario& scenario, const RunOutcome& outcome);

// Everything about the run except the history (version 1).
Json ResultJson(const Scenario& scenario, const RunOutcome& outcome);

// JUnit XML: one <testsuite> per scenario, one <testcase> per check (a
// <failure> when it failed), plus an <error> test case when the run broke.
std::string JunitXml(const Scenario& scenario, const RunOutcome& outcome);

// A single HTML page with no external assets: verdict, checks, timeline
// table, and SVG plots of availability and latency over time with fault
// periods shaded.
std::string ReportHtml(const Scenario& scenario, const RunOutcome& outcome);

// Writes history.jsonl, result.json, junit.xml and report.html into `dir`
// (created if needed), each atomically.
Status WriteReport(const std::string& dir, const Scenario& scenario, const RunOutcome& outcome);

}  // namespace berth::scenarios
