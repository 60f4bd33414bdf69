// The library of scenario files shipped with berth (scenarios/*.yaml).
#pragma once

#include <string>
#include <vector>

#include "base/status.h"

namespace berth::scenarios {

struct LibraryEntry {
  std::string path;
  std::string name;
  std::string description;  // first paragraph, one line
  std::string error;        // non-empty when the file does not validate
};

// Where the library lives: $BERTH_SCENARIOS if set, else the source tree's
// scenarios/ folder.
std::string LibraryDir();

// Every *.yaml in `dir`, sorted by file name, each parsed for its name and
// description.
Result<std::vector<LibraryEntry>> ListLibrary(const std::string& dir);

// Resolves a scenario argument: an existing path as is, otherwise a library
// name ("quickstart" or "quickstart.yaml").
std::string ResolveScenarioPath(const std::string& arg);

}  // namespace berth::scenarios
