#include "fabric/link.h"

#include <algorithm>
#include <cmath>

namespace berth::fabric {
namespace {

uint64_t SplitMix(uint64_t* x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t Fnv1a(const std::string& s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

}  // namespace

void Rng::Seed(uint64_t seed) {
  for (auto& s : s_) s = SplitMix(&seed);
}

uint64_t Rng::Next() {
  uint64_t result = Rotl(s_[1] * 5, 7) * 9;
  uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = Rotl(s_[3], 45);
  return result;
}

double Rng::Uniform() { return (Next() >> 11) * 0x1.0p-53; }

double Rng::Normal() {
  // Box-Muller; one of the pair is discarded to keep the stream stateless.
  double u1 = 1.0 - Uniform();  // (0, 1]
  double u2 = Uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

uint64_t LinkSeed(uint64_t network_seed, const std::string& from, const std::string& to) {
  uint64_t x = network_seed ^ Fnv1a(from) ^ Rotl(Fnv1a(to), 29);
  return SplitMix(&x);
}

Json LinkStats::ToJson() const {
  return Json{
      {"frames", frames},
      {"bytes", bytes},
      {"dropped",
       {{"loss", dropped_loss}, {"partition", dropped_partition}, {"queue", dropped_queue}}},
      {"delayed", delayed},
      {"duplicated", duplicated},
      {"reordered", reordered},
      {"corrupted", corrupted},
      {"queue_depth", queue_depth}};
}

void Link::Configure(const Impairment& imp, uint64_t seed) {
  imp_ = imp;
  passthrough_ = imp.IsNone();
  rng_.Seed(seed);
  ge_bad_ = false;
  rate_free_ns_ = 0;
}

bool Link::Lost() {
  if (imp_.ge_p > 0) {
    // Gilbert-Elliott as netem's gemodel: move between states, then lose with
    // the current state's probability.
    if (ge_bad_) {
      if (rng_.Chance(imp_.ge_r)) ge_bad_ = false;
    } else if (rng_.Chance(imp_.ge_p)) {
      ge_bad_ = true;
    }
    return rng_.Chance(ge_bad_ ? imp_.ge_bad_loss : imp_.ge_good_loss);
  }
  return rng_.Chance(imp_.loss);
}

int64_t Link::SampleDelay() {
  double d = static_cast<double>(imp_.delay_ns);
  if (imp_.jitter_ns > 0) {
    double j = static_cast<double>(imp_.jitter_ns);
    switch (imp_.distribution) {
      case DelayDistribution::kUniform:
        d += j * (2.0 * rng_.Uniform() - 1.0);
        break;
      case DelayDistribution::kNormal:
        d += j * rng_.Normal();
        break;
      case DelayDistribution::kPareto: {
        // Pareto with shape 3 and mean 1 has standard deviation 1/sqrt(3):
        // rescaled so the jitter is the standard deviation, like "normal".
        double p = (2.0 / 3.0) / std::cbrt(1.0 - rng_.Uniform());
        d += j * (p - 1.0) * std::sqrt(3.0);
        break;
      }
    }
  }
  return std::max<int64_t>(0, std::llround(d));
}

int Link::Decide(int64_t now_ns, size_t bytes, Delivery out[2]) {
  if (passthrough_) {
    out[0] = Delivery{now_ns, -1};
    return 1;
  }
  if (Lost()) {
    ++stats_.dropped_loss;
    return 0;
  }
  int copies = 1;
  if (rng_.Chance(imp_.duplicate)) {
    copies = 2;
    ++stats_.duplicated;
  }
  int n = 0;
  for (int c = 0; c < copies; ++c) {
    Delivery d;
    if (rng_.Chance(imp_.corrupt) && bytes > 0) {
      d.corrupt_bit = static_cast<int64_t>(rng_.Next() % (bytes * 8));
      ++stats_.corrupted;
    }
    bool skip_delay = imp_.reorder > 0 && rng_.Chance(imp_.reorder);
    if (skip_delay) ++stats_.reordered;
    int64_t at = now_ns + (skip_delay ? 0 : SampleDelay());
    int64_t rate_free = rate_free_ns_;
    if (imp_.rate_bps > 0) {
      int64_t tx = static_cast<int64_t>(bytes * 8 * 1e9 / static_cast<double>(imp_.rate_bps));
      at = std::max(at, rate_free) + tx;
      rate_free = at;
    }
    if (at > now_ns) {
      if (stats_.queue_depth >= imp_.limit) {
        ++stats_.dropped_queue;
        continue;
      }
      ++stats_.queue_depth;
      ++stats_.delayed;
    }
    rate_free_ns_ = rate_free;
    d.at_ns = at;
    out[n++] = d;
  }
  return n;
}

}  // namespace berth::fabric
