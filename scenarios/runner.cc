#include "scenarios/runner.h"

#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

#include "scenarios/probes.h"

namespace berth::scenarios {
namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::string Stamp(double t) {
  char buf[32];
  snprintf(buf, sizeof buf, "[%7.2fs] ", t);
  return buf;
}

// Prints what the probes saw every `interval` seconds until destroyed.
class ProgressPrinter {
 public:
  ProgressPrinter(const RunnerOptions& o, History& h, std::vector<std::unique_ptr<Probe>>& probes)
      : o_(o), history_(h), probes_(probes) {
    if (o_.progress && !probes_.empty()) thread_ = std::thread([this] { Loop(); });
  }
  ~ProgressPrinter() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  void Line(const std::string& text) {
    if (!o_.progress) return;
    std::lock_guard<std::mutex> lock(mu_);
    *o_.progress << (o_.tty ? "\r\033[K" : "") << Stamp(history_.Now()) << text << "\n"
                 << std::flush;
  }

 private:
  const RunnerOptions& o_;
  History& history_;
  std::vector<std::unique_ptr<Probe>>& probes_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;

  void Loop() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!cv_.wait_for(lock, std::chrono::duration<double>(o_.progress_interval_s),
                         [this] { return done_; })) {
      std::string status;
      for (auto& p : probes_) status += (status.empty() ? "" : " | ") + p->Progress();
      *o_.progress << (o_.tty ? "\r\033[K" : "") << Stamp(history_.Now()) << "probes: " << status
                   << (o_.tty ? "" : "\n") << std::flush;
    }
  }
};

}  // namespace

int RunOutcome::passed() const {
  int n = 0;
  for (const auto& c : checks) n += c.passed;
  return n;
}

int RunOutcome::failed() const { return static_cast<int>(checks.size()) - passed(); }

RunOutcome RunScenario(const Scenario& scenario, Lab& lab, const RunnerOptions& options) {
  RunOutcome out;
  out.seed = options.seed.value_or(scenario.seed);
  out.lab_kind = lab.Kind();
  auto say = [&](const std::string& s) {
    if (options.progress) *options.progress << s << "\n" << std::flush;
  };
  auto teardown = [&]() {
    auto t0 = Clock::now();
    auto removed = lab.Teardown(options.keep);
    if (removed.ok())
      out.teardown = *removed;
    else
      out.teardown.push_back("teardown failed: " + removed.status().message());
    out.teardown_s = Since(t0);
  };

  // 1. Build the lab.
  if (Status can = lab.CanRun(scenario); !can.ok()) {
    out.error = can.message();
    return out;
  }
  say("building lab: " + std::to_string(scenario.lab.machines.size()) + " machines, " +
      std::to_string(scenario.containers.size()) + " containers (" + lab.Kind() + ")");
  auto build_start = Clock::now();
  Status built = lab.CreateNetwork(scenario.lab.network);
  if (built.ok()) {
    // Machines boot in parallel (Lab is thread-safe); the first error wins.
    std::vector<Status> made(scenario.lab.machines.size());
    std::vector<std::thread> threads;
    for (size_t i = 0; i < made.size(); ++i)
      threads.emplace_back([&, i] {
        const MachineSpec& m = scenario.lab.machines[i];
        made[i] = lab.CreateMachine(m).WithContext("create machine '" + m.name + "'");
      });
    for (auto& t : threads) t.join();
    for (const auto& st : made)
      if (built.ok() && !st.ok()) built = st;
  }
  auto phase = [&](const char* what, Clock::time_point since) {
    char buf[96];
    snprintf(buf, sizeof buf, "  %s in %.1fs", what, Since(since));
    if (built.ok()) say(buf);
  };
  phase("machines ready", build_start);
  auto t_images = Clock::now();
  for (const auto& image : scenario.images)
    if (built.ok()) built = lab.SeedImage(image).WithContext("seed image '" + image + "'");
  if (!scenario.images.empty()) phase("images seeded", t_images);
  auto t_containers = Clock::now();
  if (built.ok()) {
    // Containers start in parallel too; the first error wins.
    std::vector<Status> ran(scenario.containers.size());
    std::vector<std::thread> threads;
    for (size_t i = 0; i < ran.size(); ++i)
      threads.emplace_back([&, i] {
        const ContainerSpec& c = scenario.containers[i];
        ran[i] = lab.RunContainer(c).WithContext("run container '" + c.name + "' on " + c.machine);
      });
    for (auto& t : threads) t.join();
    for (const auto& st : ran)
      if (built.ok() && !st.ok()) built = st;
  }
  if (!scenario.containers.empty()) phase("containers started", t_containers);
  out.build_s = Since(build_start);
  if (!built.ok()) {
    out.error = "lab could not be built: " + built.message();
    teardown();
    return out;
  }
  say("lab built in " + std::to_string(out.build_s).substr(0, 5) + "s; running (seed " +
      std::to_string(out.seed) + ")");

  // 2. Run workload and timeline.
  History history;
  std::vector<std::string> machine_names;
  for (const auto& m : scenario.lab.machines) machine_names.push_back(m.name);
  Nemesis nemesis(lab, history, machine_names, out.seed);
  std::vector<std::unique_ptr<Probe>> probes;
  Status broke;
  for (const auto& spec : scenario.probes) {
    probes.push_back(MakeProbe(spec, lab, history));
    if (broke.ok()) broke = probes.back()->Start().WithContext("start probe '" + spec.name + "'");
  }
  Timeline timeline(scenario.timeline, lab, nemesis, history, out.seed, options.cancel);
  {
    ProgressPrinter printer(options, history, probes);
    if (broke.ok()) {
      broke = timeline.Run([&](const StepRecord& r) {
        char late[64];
        snprintf(late, sizeof late, " (%.1f ms after plan)", r.lateness_ms());
        printer.Line("step '" + r.name + "': " + r.action +
                     (r.condition_timed_out ? " skipped: " + r.error
                      : r.ok                ? std::string(" ok") + late
                                            : " FAILED: " + r.error));
      });
    }
    for (auto& p : probes) p->Stop();
  }
  out.end = history.Now();
  out.run_s = out.end;
  Status healed = nemesis.HealAll();
  for (auto& p : probes)
    if (broke.ok()) broke = p->Finish().WithContext("finish probe '" + p->spec().name + "'");
  if (broke.ok() && !healed.ok()) broke = healed.WithContext("final heal");

  // 3. Judge.
  out.steps = timeline.records();
  out.faults = nemesis.Periods(out.end);
  out.events = history.Snapshot();
  RunView view{out.events, out.steps, scenario.probes, out.end};
  for (const auto& step : out.steps)
    if (step.condition_timed_out) {
      CheckResult c;
      c.name = "timeline: '" + step.name + "' condition held";
      c.type = "timeline";
      c.summary = step.error;
      out.checks.push_back(c);
    }
  for (const auto& check : scenario.checks) out.checks.push_back(EvaluateCheck(check, view, lab));

  // 4. Tear down.
  teardown();
  if (!broke.ok()) {
    out.error = broke.code() == Code::kCancelled ? "interrupted: " + broke.message()
                                                 : "the run broke: " + broke.message();
    out.exit_code = kExitBroken;
  } else {
    out.exit_code = out.failed() ? kExitCheckFailed : kExitPassed;
  }
  return out;
}

}  // namespace berth::scenarios
