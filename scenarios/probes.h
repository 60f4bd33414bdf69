// Workload probes: they run beside the timeline and record every operation.
//
// The HTTP prober sends GETs at `rate` per second, spread evenly over its
// targets (one thread per target, so a dead target does not slow the
// others), and records invoke + ok/fail with the latency of each. The kv
// probe writes through a KvClient at `rate`, remembers every acknowledged
// write, and at the end reads them back: an acknowledged write whose value
// is gone (or older than acknowledged) is lost.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "scenarios/history.h"
#include "scenarios/lab.h"
#include "scenarios/scenario.h"

namespace berth::scenarios {

class Probe {
 public:
  virtual ~Probe() = default;
  // Starts the probe's threads. Fails when the probe cannot start at all
  // (e.g. no store client); that breaks the run.
  virtual Status Start() = 0;
  // Stops and joins the threads. Idempotent.
  virtual void Stop() = 0;
  // After Stop, with the lab healed: final verification (kv read-back).
  virtual Status Finish() { return Status::Ok(); }
  // "http 28/30 ok" for the operations since the last call.
  virtual std::string Progress() = 0;
  const ProbeSpec& spec() const { return spec_; }

 protected:
  explicit Probe(const ProbeSpec& spec) : spec_(spec) {}
  ProbeSpec spec_;
};

std::unique_ptr<Probe> MakeProbe(const ProbeSpec& spec, Lab& lab, History& history);

// The process name a probe records for a target: "http:web1:8080".
std::string ProbeProcess(const ProbeSpec& spec, const std::string& target);

}  // namespace berth::scenarios
