// Link: one directed link (machine A to machine B) of the fabric: its
// impairment, its own seeded random generator and its counters. Decide() is a
// pure function of (impairment, seed, sequence of frames and times), which is
// what makes seeded runs repeat exactly. Not thread-safe: the fabric's event
// loop owns every Link.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/json_util.h"
#include "fabric/impairment.h"

namespace berth::fabric {

// xoshiro256** seeded through splitmix64: small, fast, and identical on every
// platform (unlike std:: distributions).
class Rng {
 public:
  explicit Rng(uint64_t seed = 1) { Seed(seed); }
  void Seed(uint64_t seed);
  uint64_t Next();
  double Uniform();  // [0, 1)
  double Normal();   // mean 0, standard deviation 1
  bool Chance(double p) { return p > 0 && (p >= 1 || Uniform() < p); }

 private:
  uint64_t s_[4];
};

// Mixes the network seed with both machine names: each directed link gets its
// own stream, stable across restarts.
uint64_t LinkSeed(uint64_t network_seed, const std::string& from, const std::string& to);

struct LinkStats {
  uint64_t frames = 0;  // delivered to the destination (copies included)
  uint64_t bytes = 0;
  uint64_t dropped_loss = 0;
  uint64_t dropped_partition = 0;
  uint64_t dropped_queue = 0;  // the link already held `limit` frames
  uint64_t delayed = 0;        // frames that were held before delivery
  uint64_t duplicated = 0;
  uint64_t reordered = 0;
  uint64_t corrupted = 0;
  int64_t queue_depth = 0;  // frames held right now
  Json ToJson() const;
};

// What happens to one copy of a frame.
struct Delivery {
  int64_t at_ns = 0;         // monotonic time to send it; <= now means at once
  int64_t corrupt_bit = -1;  // bit index to flip, or -1
};

class Link {
 public:
  Link() = default;
  // Installs `imp` and restarts the random stream from `seed`. Counters stay.
  void Configure(const Impairment& imp, uint64_t seed);

  // Decides the fate of one frame of `bytes` bytes arriving at `now_ns`:
  // writes 0 (dropped), 1 or 2 (duplicated) deliveries to `out` and returns
  // how many. Updates the counters; held frames raise queue_depth until
  // Released() is called for each.
  int Decide(int64_t now_ns, size_t bytes, Delivery out[2]);

  // Counts a delivered frame; `held` when it had been queued by Decide.
  void Delivered(size_t bytes, bool held) {
    ++stats_.frames;
    stats_.bytes += bytes;
    if (held) --stats_.queue_depth;
  }
  // A held frame that will never be delivered (e.g. its destination left).
  void Discarded() { --stats_.queue_depth; }

  bool passthrough() const { return passthrough_; }
  const Impairment& impairment() const { return imp_; }
  LinkStats& stats() { return stats_; }
  const LinkStats& stats() const { return stats_; }

 private:
  int64_t SampleDelay();
  bool Lost();

  Impairment imp_;
  bool passthrough_ = true;
  Rng rng_;
  bool ge_bad_ = false;
  int64_t rate_free_ns_ = 0;  // when the rate limiter finishes its last frame
  LinkStats stats_;
};

}  // namespace berth::fabric
