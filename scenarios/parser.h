// Scenario files: YAML text -> Scenario, reporting every error at once.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "scenarios/scenario.h"
#include "scenarios/yaml_reader.h"

namespace berth::scenarios {

struct ParseOutcome {
  Scenario scenario;               // meaningful only when errors is empty
  std::vector<Diagnostic> errors;  // in file order; each has a position
  bool ok() const { return errors.empty(); }
  // One "FILE:LINE:COL: error: ..." line per error.
  std::string FormatErrors() const;
};

// Parses and checks a scenario: syntax, unknown keys, types, and references
// (machines, probes, steps named elsewhere in the file). Never throws.
ParseOutcome ParseScenario(const std::string& text, const std::string& file);

// Reads and parses `path`; the error message lists every diagnostic.
Result<Scenario> LoadScenario(const std::string& path);

// Internal: the timeline section (timeline_parser.cc). `machines` are the
// machine names known so far; machine.add steps extend it.
void ParseTimeline(const YAML::Node& node, std::vector<std::string>& machines, Diagnostics& diags,
                   std::vector<Step>& out);
// Internal: a command given as a string (run with sh -c) or a list.
std::optional<std::vector<std::string>> ReadCommand(MapReader& r, const std::string& key,
                                                    bool required);

}  // namespace berth::scenarios
