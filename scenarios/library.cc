#include "scenarios/library.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "base/file_util.h"
#include "scenarios/parser.h"

namespace berth::scenarios {

std::string LibraryDir() {
  const char* env = std::getenv("BERTH_SCENARIOS");
  return env && *env ? env : BERTH_SCENARIO_LIBRARY;
}

Result<std::vector<LibraryEntry>> ListLibrary(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) return NotFound("scenario library " + dir + ": " + ec.message());
  std::vector<LibraryEntry> out;
  for (const auto& entry : it) {
    if (entry.path().extension() != ".yaml") continue;
    LibraryEntry e;
    e.path = entry.path().string();
    e.name = entry.path().stem().string();
    auto text = ReadFile(e.path);
    if (!text.ok()) {
      e.error = text.status().message();
    } else {
      ParseOutcome p = ParseScenario(*text, e.path);
      if (!p.ok()) e.error = p.errors.front().ToString(e.path);
      if (!p.scenario.name.empty()) e.name = p.scenario.name;
      std::string d = p.scenario.description;
      d = d.substr(0, d.find("\n\n"));
      std::replace(d.begin(), d.end(), '\n', ' ');
      while (!d.empty() && d.back() == ' ') d.pop_back();
      e.description = d;
    }
    out.push_back(e);
  }
  std::sort(out.begin(), out.end(),
            [](const LibraryEntry& a, const LibraryEntry& b) { return a.path < b.path; });
  return out;
}

std::string ResolveScenarioPath(const std::string& arg) {
  if (PathExists(arg) || arg.find('/') != std::string::npos) return arg;
  std::string name = arg;
  if (name.size() < 5 || name.substr(name.size() - 5) != ".yaml") name += ".yaml";
  std::string candidate = LibraryDir() + "/" + name;
  return PathExists(candidate) ? candidate : arg;
}

}  // namespace berth::scenarios
