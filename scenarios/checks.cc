#include "scenarios/checks.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>

#include "scenarios/probes.h"

namespace berth::scenarios {
namespace {

std::string Fmt(const char* format, double v) {
  char buf[64];
  snprintf(buf, sizeof buf, format, v);
  return buf;
}

const ProbeSpec* FindProbe(const RunView& run, const std::string& name) {
  for (const auto& p : run.probes)
    if (p.name == name) return &p;
  return nullptr;
}

// Completions (ok/fail/info) of `probe` against `targets` (all when empty),
// invoked within [from, to].
std::vector<const Event*> Completions(const RunView& run, const ProbeSpec& probe,
                                      const std::vector<std::string>& targets, double from,
                                      double to) {
  const auto& want = targets.empty() ? probe.targets : targets;
  std::vector<std::string> processes;
  for (const auto& t : want) processes.push_back(ProbeProcess(probe, t));
  if (probe.type == ProbeType::kKv) processes = {probe.name};  // one client over all members
  std::vector<const Event*> out;
  for (const auto& e : run.events) {
    if (e.kind != "op" || e.type == EventType::kInvoke || e.latency_ms < 0) continue;
    if (std::find(processes.begin(), processes.end(), e.process) == processes.end()) continue;
    double invoked = e.time - e.latency_ms / 1000;
    if (invoked >= from && invoked <= to) out.push_back(&e);
  }
  return out;
}

const StepRecord* FindStep(const RunView& run, const std::string& name) {
  for (const auto& s : run.steps)
    if ((s.name == name || s.name.rfind(name + " #", 0) == 0) && s.actual >= 0) return &s;
  return nullptr;
}

}  // namespace

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * values.size()));
  return values[std::clamp<size_t>(rank, 1, values.size()) - 1];
}

Result<double> ResolveTime(const TimeRef& ref, const RunView& run) {
  switch (ref.kind) {
    case TimeRef::Kind::kStart:
      return 0.0;
    case TimeRef::Kind::kOffset:
      return ref.offset.count() / 1000.0;
    case TimeRef::Kind::kEnd:
      return run.end;
    case TimeRef::Kind::kStep: {
      const StepRecord* s = FindStep(run, ref.step);
      if (!s) return FailedPrecondition("step '" + ref.step + "' never ran");
      return s->actual + ref.offset.count() / 1000.0;
    }
  }
  return 0.0;
}

CheckResult EvaluateCheck(const CheckSpec& check, const RunView& run, Lab& lab) {
  auto t0 = std::chrono::steady_clock::now();
  CheckResult r;
  r.name = check.name;
  r.type = CheckTypeName(check.type);
  using T = CheckSpec::Type;
  const ProbeSpec* probe = FindProbe(run, check.probe);
  auto finish = [&]() {
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
  };
  if (check.type != T::kCommand && !probe) {
    r.summary = "no probe named '" + check.probe + "'";
    return finish();
  }
  if (check.type == T::kAvailability || check.type == T::kLatency) {
    auto from = ResolveTime(check.from, run);
    auto to = ResolveTime(check.to, run);
    if (!from.ok() || !to.ok()) {
      r.summary = "window: " + (from.ok() ? to.status() : from.status()).message();
      return finish();
    }
    auto ops = Completions(run, *probe, check.targets, *from, *to);
    r.details["window"] = {*from, *to};
    r.details["operations"] = ops.size();
    if (ops.empty()) {
      r.summary = "no operations between " + Fmt("%.1fs", *from) + " and " + Fmt("%.1fs", *to);
      return finish();
    }
    if (check.type == T::kAvailability) {
      size_t ok = std::count_if(ops.begin(), ops.end(),
                                [](const Event* e) { return e->type == EventType::kOk; });
      double ratio = static_cast<double>(ok) / ops.size();
      r.passed = ratio + 1e-12 >= check.min_ratio;
      r.details["ok"] = ok;
      r.details["availability"] = ratio;
      r.summary = Fmt("availability %.2f%%", ratio * 100) + " (" + std::to_string(ok) + "/" +
                  std::to_string(ops.size()) + ")" + (r.passed ? " >= " : " < ") +
                  Fmt("%g%%", check.min_ratio * 100);
    } else {
      std::vector<double> lat;
      for (const Event* e : ops)
        if (e->type == EventType::kOk) lat.push_back(e->latency_ms);
      if (lat.empty()) {
        r.summary = "no successful operations to measure";
        return finish();
      }
      double p = Percentile(lat, check.percentile);
      r.passed = p <= check.max_latency.count();
      r.details["latency_ms"] = p;
      r.summary = Fmt("p%g", check.percentile) + " latency " + Fmt("%.1f ms", p) +
                  (r.passed ? " <= " : " > ") + std::to_string(check.max_latency.count()) + " ms";
    }
    return finish();
  }
  if (check.type == T::kRecovers) {
    const StepRecord* step = FindStep(run, check.after_step);
    if (!step) {
      r.summary = "step '" + check.after_step + "' never ran";
      return finish();
    }
    const double bound = check.within.count() / 1000.0;
    double worst = 0;
    std::vector<std::string> late;
    const auto& targets = check.targets.empty() ? probe->targets : check.targets;
    for (const auto& t : targets) {
      double first_ok = -1;
      for (const Event* e : Completions(run, *probe, {t}, step->actual, run.end))
        if (e->type == EventType::kOk) {
          first_ok = e->time;
          break;
        }
      double took = first_ok < 0 ? -1 : first_ok - step->actual;
      r.details["recovered_after_s"][t] = took < 0 ? Json(nullptr) : Json(took);
      if (took < 0 || took > bound) late.push_back(t);
      worst = std::max(worst, took < 0 ? INFINITY : took);
    }
    r.passed = late.empty();
    if (r.passed)
      r.summary = "answered " + Fmt("%.2fs", worst) + " after '" + check.after_step +
                  "' (<= " + Fmt("%gs", bound) + ")";
    else {
      r.summary =
          "no answer within " + Fmt("%gs", bound) + " after '" + check.after_step + "' from";
      for (const auto& t : late) r.summary += " " + t;
    }
    return finish();
  }
  if (check.type == T::kNoLostWrites) {
    const Event* final_read = nullptr;
    for (const auto& e : run.events)
      if (e.process == probe->name && e.f == "final-read") final_read = &e;
    if (!final_read) {
      r.summary = "no final read: the kv probe did not finish";
      return finish();
    }
    r.details = final_read->value;
    size_t lost = final_read->value.value("lost", Json::array()).size();
    int unreadable = final_read->value.value("unreadable", 0);
    int acked = final_read->value.value("acknowledged_keys", 0);
    r.passed = lost == 0 && unreadable == 0;
    r.summary = std::to_string(lost) + " of " + std::to_string(acked) + " acknowledged keys lost" +
                (unreadable ? ", " + std::to_string(unreadable) + " unreadable" : "");
    return finish();
  }
  // command
  auto res = lab.Exec(check.machine, check.command, Millis(60000));
  if (!res.ok()) {
    r.summary = "could not run: " + res.status().message();
  } else {
    r.passed = res->exit_code == 0;
    r.details["exit_code"] = res->exit_code;
    r.details["output"] = res->output.substr(0, 2000);
    r.summary = "exit code " + std::to_string(res->exit_code) +
                (check.machine.empty() ? " on the host" : " on " + check.machine);
  }
  return finish();
}

}  // namespace berth::scenarios
