#include "fabric/impairment.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace berth::fabric {
namespace {

// Splits "12.5ms" into 12.5 and "ms". Fails on an empty or non-numeric head.
bool SplitNumber(const std::string& s, double* value, std::string* unit) {
  if (s.empty()) return false;
  const char* begin = s.c_str();
  char* end = nullptr;
  *value = std::strtod(begin, &end);
  if (end == begin || !std::isfinite(*value)) return false;
  *unit = std::string(end);
  return true;
}

Result<std::string> StringField(const Json& j, const char* key) {
  const Json& v = j.at(key);
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number()) return v.dump();
  return InvalidArgument(std::string("impairment '") + key + "': expected a string");
}

std::vector<std::string> SplitComma(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t comma = s.find(',', start);
    out.push_back(s.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

std::string Trimmed(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace

Result<int64_t> ParseDurationNs(const std::string& s) {
  double v;
  std::string unit;
  if (!SplitNumber(s, &v, &unit))
    return InvalidArgument("'" + s + "' is not a duration (e.g. 50ms, 200us, 1s)");
  double scale;
  if (unit == "ns")
    scale = 1;
  else if (unit == "us" || unit == "usec")
    scale = 1e3;
  else if (unit == "ms" || unit == "msec")
    scale = 1e6;
  else if (unit == "s" || unit == "sec")
    scale = 1e9;
  else if (unit.empty() && v == 0)
    scale = 0;
  else
    return InvalidArgument("'" + s + "': unknown duration unit (use ns, us, ms or s)");
  if (v < 0) return InvalidArgument("'" + s + "': a duration cannot be negative");
  if (v * scale > 3600e9) return InvalidArgument("'" + s + "': longer than an hour");
  return static_cast<int64_t>(std::llround(v * scale));
}

Result<double> ParsePercent(const std::string& s) {
  double v;
  std::string unit;
  if (!SplitNumber(s, &v, &unit) || unit != "%")
    return InvalidArgument("'" + s + "' is not a percentage (e.g. 1%, 0.5%)");
  if (v < 0 || v > 100) return InvalidArgument("'" + s + "': must be between 0% and 100%");
  return v / 100.0;
}

Result<uint64_t> ParseRateBps(const std::string& s) {
  double v;
  std::string unit;
  if (!SplitNumber(s, &v, &unit))
    return InvalidArgument("'" + s + "' is not a rate (e.g. 10mbit, 500kbit, 1gbit)");
  // tc's units: "bit" suffixes are bits per second, "bps" suffixes bytes per second.
  static const struct {
    const char* unit;
    double bits;
  } kUnits[] = {{"", 1},    {"bit", 1},    {"kbit", 1e3}, {"mbit", 1e6}, {"gbit", 1e9},
                {"bps", 8}, {"kbps", 8e3}, {"mbps", 8e6}, {"gbps", 8e9}};
  for (const auto& u : kUnits) {
    if (unit == u.unit) {
      if (v <= 0) return InvalidArgument("'" + s + "': a rate must be positive");
      double bps = v * u.bits;
      if (bps < 8 || bps > 1e12) return InvalidArgument("'" + s + "': rate out of range");
      return static_cast<uint64_t>(bps);
    }
  }
  return InvalidArgument("'" + s + "': unknown rate unit (use bit, kbit, mbit, gbit or bps)");
}

std::string FormatDurationNs(int64_t ns) {
  if (ns == 0) return "0ms";
  if (ns % 1000000 == 0 || ns >= 10000000) return Trimmed(ns / 1e6) + "ms";
  return Trimmed(ns / 1e3) + "us";
}

std::string FormatPercent(double p) { return Trimmed(p * 100) + "%"; }

std::string FormatRateBps(uint64_t bps) {
  if (bps % 1000000000 == 0) return std::to_string(bps / 1000000000) + "gbit";
  if (bps % 1000000 == 0) return std::to_string(bps / 1000000) + "mbit";
  if (bps % 1000 == 0) return std::to_string(bps / 1000) + "kbit";
  return std::to_string(bps) + "bit";
}

bool Impairment::IsNone() const {
  return delay_ns == 0 && jitter_ns == 0 && loss == 0 && ge_p == 0 && duplicate == 0 &&
         reorder == 0 && corrupt == 0 && rate_bps == 0;
}

Json Impairment::ToJson() const {
  Json j = Json::object();
  if (delay_ns) j["delay"] = FormatDurationNs(delay_ns);
  if (jitter_ns) {
    j["jitter"] = FormatDurationNs(jitter_ns);
    j["distribution"] = distribution == DelayDistribution::kNormal   ? "normal"
                        : distribution == DelayDistribution::kPareto ? "pareto"
                                                                     : "uniform";
  }
  if (loss) j["loss"] = FormatPercent(loss);
  if (ge_p) {
    j["loss_ge"] = FormatPercent(ge_p) + "," + FormatPercent(ge_r) + "," +
                   FormatPercent(ge_bad_loss) + "," + FormatPercent(ge_good_loss);
  }
  if (duplicate) j["duplicate"] = FormatPercent(duplicate);
  if (reorder) j["reorder"] = FormatPercent(reorder);
  if (corrupt) j["corrupt"] = FormatPercent(corrupt);
  if (rate_bps) j["rate"] = FormatRateBps(rate_bps);
  if (limit != 1000) j["limit"] = limit;
  return j;
}

Result<Impairment> ParseImpairment(const Json& j) {
  if (!j.is_object()) return InvalidArgument("impairment: expected a JSON object");
  Impairment imp;
  for (const auto& [key, value] : j.items()) {
    Status st;
    if (key == "limit") {
      if (!value.is_number_integer() || value.get<int64_t>() < 1 || value.get<int64_t>() > 1000000)
        return InvalidArgument("impairment 'limit': expected a frame count from 1 to 1000000");
      imp.limit = value.get<int>();
      continue;
    }
    BERTH_ASSIGN_OR_RETURN(std::string text, StringField(j, key.c_str()));
    auto ctx = "impairment '" + key + "'";
    if (key == "delay" || key == "jitter") {
      auto ns = ParseDurationNs(text);
      if (!ns.ok()) return ns.status().WithContext(ctx);
      (key == "delay" ? imp.delay_ns : imp.jitter_ns) = *ns;
    } else if (key == "distribution") {
      if (text == "uniform")
        imp.distribution = DelayDistribution::kUniform;
      else if (text == "normal")
        imp.distribution = DelayDistribution::kNormal;
      else if (text == "pareto")
        imp.distribution = DelayDistribution::kPareto;
      else
        return InvalidArgument(ctx + ": '" + text + "' (use uniform, normal or pareto)");
    } else if (key == "loss" || key == "duplicate" || key == "reorder" || key == "corrupt") {
      auto p = ParsePercent(text);
      if (!p.ok()) return p.status().WithContext(ctx);
      if (key == "loss")
        imp.loss = *p;
      else if (key == "duplicate")
        imp.duplicate = *p;
      else if (key == "reorder")
        imp.reorder = *p;
      else
        imp.corrupt = *p;
    } else if (key == "loss_ge") {
      auto parts = SplitComma(text);
      if (parts.size() < 2 || parts.size() > 4)
        return InvalidArgument(ctx + ": expected P,R[,1-H[,1-K]] (e.g. 1%,30%)");
      double* fields[] = {&imp.ge_p, &imp.ge_r, &imp.ge_bad_loss, &imp.ge_good_loss};
      for (size_t i = 0; i < parts.size(); ++i) {
        auto p = ParsePercent(parts[i]);
        if (!p.ok()) return p.status().WithContext(ctx);
        *fields[i] = *p;
      }
      if (imp.ge_p == 0) return InvalidArgument(ctx + ": P (good to bad) must be above 0%");
    } else if (key == "rate") {
      auto r = ParseRateBps(text);
      if (!r.ok()) return r.status().WithContext(ctx);
      imp.rate_bps = *r;
    } else {
      return InvalidArgument("impairment: unknown setting '" + key +
                             "' (known: delay, jitter, distribution, loss, loss_ge, duplicate, "
                             "reorder, corrupt, rate, limit)");
    }
  }
  if (imp.jitter_ns > 0 && imp.delay_ns == 0)
    return InvalidArgument("impairment: jitter needs a delay");
  if (imp.reorder > 0 && imp.delay_ns == 0)
    return InvalidArgument("impairment: reorder needs a delay (reordered frames skip it)");
  if (imp.loss > 0 && imp.ge_p > 0)
    return InvalidArgument("impairment: use either loss or loss_ge, not both");
  return imp;
}

}  // namespace berth::fabric
