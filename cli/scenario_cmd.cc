// berth scenario ls | validate | run: scripted failure drills (scenarios/).
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <iostream>

#include "base/json_util.h"
#include "cli/commands.h"
#include "scenarios/library.h"
#include "scenarios/parser.h"
#include "scenarios/real_lab.h"
#include "scenarios/report.h"
#include "scenarios/runner.h"
#include "scenarios/sim_lab.h"

namespace berth::cli {
namespace {

namespace sc = berth::scenarios;

// Set by SIGINT/SIGTERM during a run; the runner stops, heals and cleans up.
std::atomic<bool> g_interrupted{false};
void OnSignal(int) { g_interrupted = true; }

struct RunFlags {
  std::string file;
  std::string report_dir;
  bool keep = false;
  bool dry_run = false;
  bool quiet = false;
  int64_t seed = -1;
};

int List(const std::string& format) {
  auto entries = sc::ListLibrary(sc::LibraryDir());
  if (!entries.ok()) return Fail(entries.status());
  if (format == "json") {
    Json out = Json::array();
    for (const auto& e : *entries) {
      Json j = {{"name", e.name}, {"path", e.path}, {"description", e.description}};
      if (!e.error.empty()) j["error"] = e.error;
      out.push_back(j);
    }
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  size_t width = 4;
  for (const auto& e : *entries) width = std::max(width, e.name.size());
  std::cout << "NAME" << std::string(width - 2, ' ') << "DESCRIPTION\n";
  for (const auto& e : *entries)
    std::cout << e.name << std::string(width + 2 - e.name.size(), ' ')
              << (e.error.empty() ? e.description : "INVALID: " + e.error) << "\n";
  std::cout << "(" << entries->size() << " scenarios in " << sc::LibraryDir() << ")\n";
  return 0;
}

int Validate(const std::vector<std::string>& files) {
  int rc = 0;
  for (const auto& arg : files) {
    std::string path = sc::ResolveScenarioPath(arg);
    auto s = sc::LoadScenario(path);
    if (!s.ok()) {
      std::cerr << s.status().message() << "\n";
      rc = 1;
      continue;
    }
    std::cout << path << ": ok: '" << s->name << "', " << s->lab.machines.size() << " machines, "
              << s->containers.size() << " containers, " << s->probes.size() << " probes, "
              << s->timeline.size() << " steps, " << s->checks.size() << " checks\n";
  }
  return rc;
}

int RunCommand(const RunFlags& f, Context& ctx) {
  std::string path = sc::ResolveScenarioPath(f.file);
  auto scenario = sc::LoadScenario(path);
  if (!scenario.ok()) {
    std::cerr << scenario.status().message() << "\nberth: invalid scenario; nothing was created\n";
    return sc::kExitBroken;
  }
  std::unique_ptr<sc::Lab> lab;
  if (f.dry_run) {
    sc::SimLab::Options o;
    o.seed = f.seed >= 0 ? static_cast<uint64_t>(f.seed) : scenario->seed;
    lab = std::make_unique<sc::SimLab>(o);
  } else {
    auto real = sc::MakeRealLab({ctx.home, ctx.libvirt_uri, scenario->name + "-"});
    if (!real.ok()) {
      std::cerr << "berth: " << real.status().message() << "\n";
      return sc::kExitBroken;
    }
    lab = std::move(*real);
  }
  sc::RunnerOptions options;
  options.keep = f.keep;
  if (f.seed >= 0) options.seed = static_cast<uint64_t>(f.seed);
  options.progress = f.quiet ? nullptr : &std::cerr;
  options.tty = isatty(STDERR_FILENO);
  options.cancel = &g_interrupted;
  g_interrupted = false;
  auto old_int = std::signal(SIGINT, OnSignal);
  auto old_term = std::signal(SIGTERM, OnSignal);
  std::cerr << "scenario '" << scenario->name << "' (" << path << ")"
            << (f.dry_run ? " on the simulated lab (--dry-run)" : "") << "\n";
  sc::RunOutcome outcome = sc::RunScenario(*scenario, *lab, options);
  std::signal(SIGINT, old_int);
  std::signal(SIGTERM, old_term);
  std::cout << sc::SummaryTable(*scenario, outcome);
  if (!f.report_dir.empty()) {
    Status st = sc::WriteReport(f.report_dir, *scenario, outcome);
    if (!st.ok()) {
      std::cerr << "berth: write report: " << st.message() << "\n";
      return sc::kExitBroken;
    }
    std::cout << "report: " << f.report_dir << "/report.html (junit.xml, result.json, "
              << "history.jsonl beside it)\n";
  }
  return outcome.exit_code;
}

}  // namespace

void AddScenarioCommands(CLI::App& app, Context& ctx) {
  CLI::App* noun = app.add_subcommand("scenario", "scripted failure and scaling drills");
  noun->require_subcommand(1);

  auto format = std::make_shared<std::string>("table");
  CLI::App* ls = noun->add_subcommand("ls", "list the scenario library");
  ls->add_option("--format", *format, "table or json")->check(FormatValidator());
  ls->callback([&ctx, format] { ctx.exit_code = List(*format); });

  auto files = std::make_shared<std::vector<std::string>>();
  CLI::App* validate = noun->add_subcommand(
      "validate", "check scenario files; report every error with file:line:column (exit 1)");
  validate->add_option("FILE", *files, "scenario file or library name")->required();
  validate->callback([&ctx, files] { ctx.exit_code = Validate(*files); });

  auto flags = std::make_shared<RunFlags>();
  CLI::App* run = noun->add_subcommand(
      "run", "build the lab, run the scenario, judge it (exit 0 pass, 1 check failed, 2 broken)");
  run->add_option("FILE", flags->file, "scenario file or library name")->required();
  run->add_option("--report", flags->report_dir,
                  "write history.jsonl, result.json, junit.xml and report.html here");
  run->add_flag("--keep", flags->keep, "leave the lab up at the end");
  run->add_option("--seed", flags->seed, "override the scenario's seed")
      ->check(CLI::NonNegativeNumber);
  run->add_flag("--dry-run", flags->dry_run,
                "rehearse against the simulated lab (no machines are created)");
  run->add_flag("-q,--quiet", flags->quiet, "no live progress");
  run->callback([&ctx, flags] { ctx.exit_code = RunCommand(*flags, ctx); });
}

}  // namespace berth::cli
