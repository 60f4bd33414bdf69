#include "scenarios/report.h"

#include <cstdio>

#include "base/file_util.h"

namespace berth::scenarios {
namespace {

std::string Fmt(const char* format, double v) {
  char buf[64];
  snprintf(buf, sizeof buf, format, v);
  return buf;
}

std::string Pad(std::string s, size_t width) {
  if (s.size() > width) return s.substr(0, width - 1) + "~";
  return s + std::string(width - s.size(), ' ');
}

const char* Verdict(int code) {
  switch (code) {
    case kExitPassed:
      return "PASSED";
    case kExitCheckFailed:
      return "FAILED";
    default:
      return "BROKEN";
  }
}

}  // namespace

std::string SummaryTable(const Scenario& scenario, const RunOutcome& o) {
  std::string out = "\n" + Pad("CHECK", 34) + Pad("TYPE", 16) + Pad("RESULT", 8) + "DETAILS\n";
  for (const auto& c : o.checks)
    out +=
        Pad(c.name, 34) + Pad(c.type, 16) + Pad(c.passed ? "ok" : "FAILED", 8) + c.summary + "\n";
  if (o.checks.empty()) out += "(no checks)\n";
  out += "\nscenario '" + scenario.name + "': " + Verdict(o.exit_code) + " — " +
         std::to_string(o.passed()) + " of " + std::to_string(o.checks.size()) +
         " checks hold (seed " + std::to_string(o.seed) + ", lab " + o.lab_kind + ")\n";
  out += "time: build " + Fmt("%.2fs", o.build_s) + ", run " + Fmt("%.2fs", o.run_s) +
         ", teardown " + Fmt("%.2fs", o.teardown_s) + "\n";
  if (!o.error.empty()) out += "why: " + o.error + "\n";
  for (const auto& t : o.teardown) out += "cleanup: " + t + "\n";
  return out;
}

Json ResultJson(const Scenario& scenario, const RunOutcome& o) {
  Json j;
  j["version"] = 1;
  j["scenario"] = {
      {"name", scenario.name}, {"file", scenario.file}, {"description", scenario.description}};
  j["verdict"] = Verdict(o.exit_code);
  j["exit_code"] = o.exit_code;
  if (!o.error.empty()) j["error"] = o.error;
  j["seed"] = o.seed;
  j["lab"] = o.lab_kind;
  j["timing"] = {{"build_s", o.build_s}, {"run_s", o.run_s}, {"teardown_s", o.teardown_s}};
  j["checks"] = Json::array();
  for (const auto& c : o.checks)
    j["checks"].push_back({{"name", c.name},
                           {"type", c.type},
                           {"passed", c.passed},
                           {"summary", c.summary},
                           {"details", c.details}});
  j["steps"] = Json::array();
  double worst = 0;
  for (const auto& s : o.steps) {
    Json step = {{"name", s.name}, {"action", s.action}, {"planned_s", s.planned}, {"ok", s.ok}};
    if (s.actual >= 0) {
      step["actual_s"] = s.actual;
      step["finished_s"] = s.finished;
      step["lateness_ms"] = s.lateness_ms();
      worst = std::max(worst, s.lateness_ms());
    }
    if (s.condition_timed_out) step["condition_timed_out"] = true;
    if (!s.error.empty()) step["error"] = s.error;
    j["steps"].push_back(step);
  }
  j["max_step_lateness_ms"] = worst;
  j["faults"] = Json::array();
  for (const auto& f : o.faults)
    j["faults"].push_back({{"what", f.label}, {"start_s", f.start}, {"end_s", f.end}});
  j["cleanup"] = o.teardown;
  j["kept"] = false;
  for (const auto& t : o.teardown)
    if (t.rfind("kept", 0) == 0) j["kept"] = true;
  return j;
}

std::string JunitXml(const Scenario& scenario, const RunOutcome& o) {
  const std::string suite = XmlEscape(scenario.name);
  int failures = o.failed();
  int errors = o.exit_code == kExitBroken ? 1 : 0;
  std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  x += "<testsuites name=\"berth scenarios\" tests=\"" + std::to_string(o.checks.size() + errors) +
       "\" failures=\"" + std::to_string(failures) + "\" errors=\"" + std::to_string(errors) +
       "\">\n";
  x += "  <testsuite name=\"" + suite + "\" tests=\"" + std::to_string(o.checks.size() + errors) +
       "\" failures=\"" + std::to_string(failures) + "\" errors=\"" + std::to_string(errors) +
       "\" time=\"" + Fmt("%.3f", o.build_s + o.run_s + o.teardown_s) + "\">\n";
  x += "    <properties>\n      <property name=\"seed\" value=\"" + std::to_string(o.seed) +
       "\"/>\n      <property name=\"lab\" value=\"" + XmlEscape(o.lab_kind) + "\"/>\n" +
       "      <property name=\"file\" value=\"" + XmlEscape(scenario.file) + "\"/>\n" +
       "    </properties>\n";
  if (errors)
    x += "    <testcase classname=\"" + suite + "\" name=\"run\" time=\"" + Fmt("%.3f", o.run_s) +
         "\">\n      <error message=\"" + XmlEscape(o.error) + "\">" + XmlEscape(o.error) +
         "</error>\n    </testcase>\n";
  for (const auto& c : o.checks) {
    x += "    <testcase classname=\"" + suite + "\" name=\"" + XmlEscape(c.name) + "\" time=\"" +
         Fmt("%.3f", c.seconds) + "\">\n";
    if (!c.passed)
      x += "      <failure type=\"" + XmlEscape(c.type) + "\" message=\"" + XmlEscape(c.summary) +
           "\">" + XmlEscape(c.details.dump(2)) + "</failure>\n";
    else
      x += "      <system-out>" + XmlEscape(c.summary) + "</system-out>\n";
    x += "    </testcase>\n";
  }
  x += "  </testsuite>\n</testsuites>\n";
  return x;
}

Status WriteReport(const std::string& dir, const Scenario& scenario, const RunOutcome& o) {
  BERTH_RETURN_IF_ERROR(MakeDirs(dir));
  std::string history;
  for (const auto& e : o.events) history += e.ToJson().dump() + "\n";
  BERTH_RETURN_IF_ERROR(WriteFileAtomic(dir + "/history.jsonl", history));
  BERTH_RETURN_IF_ERROR(WriteJsonFileAtomic(dir + "/result.json", ResultJson(scenario, o)));
  BERTH_RETURN_IF_ERROR(WriteFileAtomic(dir + "/junit.xml", JunitXml(scenario, o)));
  return WriteFileAtomic(dir + "/report.html", ReportHtml(scenario, o));
}

}  // namespace berth::scenarios
