#include "scenarios/yaml_reader.h"

#include <cmath>
#include <cstdlib>
#include <set>

namespace berth::scenarios {

std::string Diagnostic::ToString(const std::string& file) const {
  return file + ":" + std::to_string(mark.line) + ":" + std::to_string(mark.column) +
         ": error: " + message;
}

YAML::Node Child(const YAML::Node& node, const std::string& key) {
  if (!node.IsDefined() || !node.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  YAML::Node v = node[key];
  if (!v.IsDefined()) return YAML::Node(YAML::NodeType::Undefined);
  return v;
}

Mark MarkOf(const YAML::Node& node) {
  if (!node.IsDefined()) return {};
  YAML::Mark m = node.Mark();
  if (m.is_null()) return {};
  return {m.line + 1, m.column + 1};
}

void Diagnostics::Error(const YAML::Node& at, const std::string& message) {
  Error(MarkOf(at), message);
}

void Diagnostics::Error(const Mark& at, const std::string& message) {
  list_.push_back({at, message});
}

std::string Describe(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "nothing";
  if (node.IsMap()) return "a mapping";
  if (node.IsSequence()) return "a list";
  std::string s = node.Scalar();
  if (s.size() > 40) s = s.substr(0, 37) + "...";
  return "'" + s + "'";
}

namespace {

// Parses a decimal number that uses the whole of `text`.
std::optional<double> WholeNumber(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

std::optional<Millis> ParseDuration(const std::string& text, bool allow_negative) {
  static const std::pair<const char*, double> kUnits[] = {
      {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}};
  std::string num = text;
  double scale = 1000;  // bare numbers are seconds
  for (const auto& [suffix, factor] : kUnits) {
    std::string sfx(suffix);
    if (text.size() > sfx.size() && text.compare(text.size() - sfx.size(), sfx.size(), sfx) == 0) {
      std::string head = text.substr(0, text.size() - sfx.size());
      // "5ms" must not be read as "5m" + "s".
      if (!head.empty() &&
          (std::isdigit(static_cast<unsigned char>(head.back())) || head.back() == '.')) {
        num = head;
        scale = factor;
        break;
      }
    }
  }
  auto v = WholeNumber(num);
  if (!v || (*v < 0 && !allow_negative) || std::fabs(*v * scale) > 1e12) return std::nullopt;
  return Millis(static_cast<int64_t>(std::llround(*v * scale)));
}

std::optional<int64_t> ParseSizeMb(const std::string& text) {
  static const std::pair<const char*, double> kUnits[] = {
      {"MiB", 1}, {"GiB", 1024}, {"TiB", 1048576}, {"M", 1}, {"G", 1024}, {"T", 1048576}};
  std::string num = text;
  double scale = 1;
  for (const auto& [suffix, factor] : kUnits) {
    std::string sfx(suffix);
    if (text.size() > sfx.size() && text.compare(text.size() - sfx.size(), sfx.size(), sfx) == 0) {
      num = text.substr(0, text.size() - sfx.size());
      scale = factor;
      break;
    }
  }
  auto v = WholeNumber(num);
  if (!v || *v < 0 || *v * scale > 1e9) return std::nullopt;
  return static_cast<int64_t>(std::llround(*v * scale));
}

std::optional<double> ParsePercent(const std::string& text) {
  if (!text.empty() && text.back() == '%') {
    auto v = WholeNumber(text.substr(0, text.size() - 1));
    if (!v || *v < 0 || *v > 100) return std::nullopt;
    return *v / 100;
  }
  auto v = WholeNumber(text);
  if (!v || *v < 0 || *v > 1) return std::nullopt;
  return v;
}

MapReader::MapReader(const YAML::Node& node, std::string what, std::vector<std::string> allowed,
                     Diagnostics& diags)
    : node_(node), what_(std::move(what)), diags_(diags) {
  if (!node.IsMap()) {
    diags_.Error(node, what_ + ": expected a mapping, got " + Describe(node));
    return;
  }
  is_map_ = true;
  std::set<std::string> seen;
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (!it->first.IsScalar()) {
      diags_.Error(it->first, what_ + ": expected a key name, got " + Describe(it->first));
      continue;
    }
    const std::string key = it->first.Scalar();
    if (!seen.insert(key).second) diags_.Error(it->first, what_ + ": duplicate key '" + key + "'");
    bool known = false;
    for (const auto& a : allowed) known = known || a == key;
    if (!known)
      diags_.Error(it->first,
                   what_ + ": unknown key '" + key + "' (expected one of: " + Join(allowed) + ")");
  }
}

bool MapReader::Has(const std::string& key) const { return Get(key).IsDefined(); }

YAML::Node MapReader::Get(const std::string& key) const {
  if (!is_map_) return YAML::Node(YAML::NodeType::Undefined);
  return Child(node_, key);
}

YAML::Node MapReader::Required(const std::string& key, bool required, const std::string& expected) {
  YAML::Node v = Get(key);
  if (!v.IsDefined() && required && is_map_)
    diags_.Error(node_, what_ + ": missing required key '" + key + "' (" + expected + ")");
  return v;
}

void MapReader::RequireOne(const std::vector<std::string>& keys, const std::string& hint) {
  if (!is_map_) return;
  for (const auto& k : keys)
    if (Has(k)) return;
  diags_.Error(node_, what_ + ": missing one of the keys " + Join(keys) + " (" + hint + ")");
}

std::optional<std::string> MapReader::String(const std::string& key, bool required) {
  YAML::Node v = Required(key, required, "a string");
  if (!v.IsDefined()) return std::nullopt;
  if (!v.IsScalar()) {
    diags_.Error(v, what_ + ": '" + key + "' must be a string, got " + Describe(v));
    return std::nullopt;
  }
  return v.Scalar();
}

std::optional<int64_t> MapReader::Int(const std::string& key, bool required, int64_t min,
                                      int64_t max) {
  YAML::Node v = Required(key, required, "an integer");
  if (!v.IsDefined()) return std::nullopt;
  int64_t out = 0;
  if (!v.IsScalar() || !YAML::convert<int64_t>::decode(v, out) || out < min || out > max) {
    diags_.Error(v, what_ + ": '" + key + "' must be an integer from " + std::to_string(min) +
                        " to " + std::to_string(max) + ", got " + Describe(v));
    return std::nullopt;
  }
  return out;
}

std::optional<double> MapReader::Number(const std::string& key, bool required, double min,
                                        double max) {
  YAML::Node v = Required(key, required, "a number");
  if (!v.IsDefined()) return std::nullopt;
  std::optional<double> out = v.IsScalar() ? WholeNumber(v.Scalar()) : std::nullopt;
  if (!out || *out < min || *out > max) {
    char range[64];
    snprintf(range, sizeof range, "%g to %g", min, max);
    diags_.Error(v,
                 what_ + ": '" + key + "' must be a number from " + range + ", got " + Describe(v));
    return std::nullopt;
  }
  return out;
}

std::optional<Millis> MapReader::Duration(const std::string& key, bool required,
                                          bool allow_negative) {
  YAML::Node v = Required(key, required, "a duration such as 5s or 250ms");
  if (!v.IsDefined()) return std::nullopt;
  auto out = v.IsScalar() ? ParseDuration(v.Scalar(), allow_negative) : std::nullopt;
  if (!out)
    diags_.Error(v, what_ + ": '" + key + "' must be a duration such as 5s, 250ms or 2m" +
                        (allow_negative ? " (may be negative)" : "") + ", got " + Describe(v));
  return out;
}

std::optional<int64_t> MapReader::SizeMb(const std::string& key, bool required) {
  YAML::Node v = Required(key, required, "a size such as 512M or 2G");
  if (!v.IsDefined()) return std::nullopt;
  auto out = v.IsScalar() ? ParseSizeMb(v.Scalar()) : std::nullopt;
  if (!out)
    diags_.Error(v,
                 what_ + ": '" + key + "' must be a size such as 512M or 2G, got " + Describe(v));
  return out;
}

std::optional<double> MapReader::Percent(const std::string& key, bool required) {
  YAML::Node v = Required(key, required, "a percentage such as 99% or 0.99");
  if (!v.IsDefined()) return std::nullopt;
  auto out = v.IsScalar() ? ParsePercent(v.Scalar()) : std::nullopt;
  if (!out)
    diags_.Error(v, what_ + ": '" + key +
                        "' must be a percentage such as 10% or a fraction from 0 to 1, got " +
                        Describe(v));
  return out;
}

std::optional<std::vector<std::string>> MapReader::StringList(const std::string& key, bool required,
                                                              bool allow_scalar) {
  YAML::Node v = Required(key, required, "a list of strings");
  if (!v.IsDefined()) return std::nullopt;
  if (allow_scalar && v.IsScalar()) return std::vector<std::string>{v.Scalar()};
  if (!v.IsSequence()) {
    diags_.Error(v, what_ + ": '" + key + "' must be a list of strings" +
                        (allow_scalar ? " or a string" : "") + ", got " + Describe(v));
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool good = true;
  for (const auto& item : v) {
    if (!item.IsScalar()) {
      diags_.Error(item, what_ + ": items of '" + key + "' must be strings, got " + Describe(item));
      good = false;
      continue;
    }
    out.push_back(item.Scalar());
  }
  if (!good) return std::nullopt;
  return out;
}

std::optional<std::map<std::string, std::string>> MapReader::StringMap(const std::string& key,
                                                                       bool required) {
  YAML::Node v = Required(key, required, "a mapping of strings");
  if (!v.IsDefined()) return std::nullopt;
  if (!v.IsMap()) {
    diags_.Error(v, what_ + ": '" + key + "' must be a mapping of NAME: VALUE, got " + Describe(v));
    return std::nullopt;
  }
  std::map<std::string, std::string> out;
  for (auto it = v.begin(); it != v.end(); ++it) {
    if (!it->first.IsScalar() || !it->second.IsScalar()) {
      diags_.Error(it->first, what_ + ": '" + key + "' entries must be NAME: VALUE strings");
      continue;
    }
    out[it->first.Scalar()] = it->second.Scalar();
  }
  return out;
}

}  // namespace berth::scenarios
