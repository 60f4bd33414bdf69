// Strict, error-collecting reading of YAML nodes for the scenario parser.
//
// Nothing here throws or stops at the first problem: every error goes into a
// Diagnostics list with its 1-based line and column and what was expected, so
// `berth scenario validate` can report them all at once.
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <vector>

#include "scenarios/scenario.h"

namespace berth::scenarios {

struct Diagnostic {
  Mark mark;
  std::string message;
  // "FILE:LINE:COLUMN: error: MESSAGE"
  std::string ToString(const std::string& file) const;
};

class Diagnostics {
 public:
  void Error(const YAML::Node& at, const std::string& message);
  void Error(const Mark& at, const std::string& message);
  const std::vector<Diagnostic>& list() const { return list_; }
  bool empty() const { return list_.empty(); }

 private:
  std::vector<Diagnostic> list_;
};

// The value of `key` in `node`: an undefined node (IsDefined() false, safe to
// query) when `node` is not a mapping or has no such key.
YAML::Node Child(const YAML::Node& node, const std::string& key);

// 1-based position of a node; {0,0} for a node that has none.
Mark MarkOf(const YAML::Node& node);

// "a mapping", "a list", "the string 'x'", "nothing" — for "got ..." parts.
std::string Describe(const YAML::Node& node);

// Scalar grammars; nullopt when `text` does not match.
// Durations: "250ms", "5s", "1.5s", "2m", "1h", or a bare number of seconds.
std::optional<Millis> ParseDuration(const std::string& text, bool allow_negative = false);
// Sizes in MiB: "512M", "512MiB", "2G", "2GiB", or a bare number of MiB.
std::optional<int64_t> ParseSizeMb(const std::string& text);
// Fractions: "10%" or a number in [0, 1].
std::optional<double> ParsePercent(const std::string& text);

// Reads one mapping. The constructor reports a non-mapping node, duplicate
// keys and keys outside `allowed` (naming the allowed ones). Getters report
// wrong types and, when `required`, missing keys, positioned at the value (or
// at the mapping for a missing key).
class MapReader {
 public:
  MapReader(const YAML::Node& node, std::string what, std::vector<std::string> allowed,
            Diagnostics& diags);

  bool is_map() const { return is_map_; }
  bool Has(const std::string& key) const;
  YAML::Node Get(const std::string& key) const;
  const YAML::Node& node() const { return node_; }
  const std::string& what() const { return what_; }
  // Renames the mapping in later messages (e.g. once a name is known).
  void set_what(std::string what) { what_ = std::move(what); }

  std::optional<std::string> String(const std::string& key, bool required);
  std::optional<int64_t> Int(const std::string& key, bool required, int64_t min, int64_t max);
  std::optional<double> Number(const std::string& key, bool required, double min, double max);
  std::optional<Millis> Duration(const std::string& key, bool required,
                                 bool allow_negative = false);
  std::optional<int64_t> SizeMb(const std::string& key, bool required);
  std::optional<double> Percent(const std::string& key, bool required);
  // A list of strings; a single string is accepted as a one-element list
  // when `allow_scalar`.
  std::optional<std::vector<std::string>> StringList(const std::string& key, bool required,
                                                     bool allow_scalar);
  std::optional<std::map<std::string, std::string>> StringMap(const std::string& key,
                                                              bool required);
  // Reports "missing required key" unless one of `keys` is present.
  void RequireOne(const std::vector<std::string>& keys, const std::string& hint);

  Diagnostics& diags() { return diags_; }

 private:
  YAML::Node node_;
  std::string what_;
  Diagnostics& diags_;
  bool is_map_ = false;
  YAML::Node Required(const std::string& key, bool required, const std::string& expected);
};

}  // namespace berth::scenarios
