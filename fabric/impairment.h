// Impairment: what one directed link (machine A to machine B) does to frames,
// in tc-netem's vocabulary. Parsed from JSON whose values are the strings a
// netem user types ("50ms", "1%", "10mbit"), so the CLI, the control socket
// and scenario files share one parser and one set of error messages.
#pragma once

#include <cstdint>
#include <string>

#include "base/json_util.h"
#include "base/status.h"

namespace berth::fabric {

enum class DelayDistribution { kUniform, kNormal, kPareto };

struct Impairment {
  int64_t delay_ns = 0;
  int64_t jitter_ns = 0;
  DelayDistribution distribution = DelayDistribution::kUniform;
  double loss = 0;  // probability in [0,1], independent per frame
  // Gilbert-Elliott loss (netem "gemodel p r 1-h 1-k"); used when ge_p > 0.
  double ge_p = 0;          // good -> bad transition probability
  double ge_r = 1;          // bad -> good transition probability
  double ge_bad_loss = 1;   // 1-h: loss probability in the bad state
  double ge_good_loss = 0;  // 1-k: loss probability in the good state
  double duplicate = 0;     // probability that a second copy is sent
  double reorder = 0;       // probability that a frame skips the delay
  double corrupt = 0;       // probability that one random bit is flipped
  uint64_t rate_bps = 0;    // 0: unlimited
  int limit = 1000;         // frames held by the link (delay + rate queue)

  bool IsNone() const;
  // The JSON form, with the same string units the parser accepts.
  Json ToJson() const;
};

// Parses {"delay":"50ms","jitter":"5ms","distribution":"normal","loss":"1%",
// "loss_ge":"1%,30%[,100%[,0%]]","duplicate":"1%","reorder":"25%",
// "corrupt":"0.1%","rate":"10mbit","limit":1000}. Unknown keys, bad units and
// out-of-range values are errors naming the key. Empty object: no impairment.
Result<Impairment> ParseImpairment(const Json& j);

// Unit parsers, exposed for the CLI and tests.
Result<int64_t> ParseDurationNs(const std::string& s);  // "50ms", "200us", "1.5s", "0"
Result<double> ParsePercent(const std::string& s);      // "1%", "0.5%" -> 0.01, 0.005
Result<uint64_t> ParseRateBps(const std::string& s);    // "10mbit", "1gbit", "500kbit", "100bps"

std::string FormatDurationNs(int64_t ns);
std::string FormatPercent(double p);
std::string FormatRateBps(uint64_t bps);

}  // namespace berth::fabric
