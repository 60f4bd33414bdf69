// report.html: one self-contained page (inline CSS and SVG, no scripts, no
// external assets) that reads well printed or opened from a CI artifact.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "scenarios/checks.h"
#include "scenarios/report.h"

namespace berth::scenarios {
namespace {

constexpr double kW = 1000, kH = 250, kLeft = 60, kRight = 20, kTop = 28, kBottom = 34;
const char* const kColors[] = {"#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e",
                               "#17becf", "#8c564b", "#e377c2", "#7f7f7f"};

std::string F(const char* format, double v) {
  char buf[64];
  snprintf(buf, sizeof buf, format, v);
  return buf;
}

// The smallest of 1, 2, 4 x 10^k that is >= v (v > 0), for round ticks.
double NiceCeil(double v) {
  double p = std::pow(10, std::floor(std::log10(v)));
  for (double m : {1.0, 2.0, 4.0, 10.0})
    if (m * p >= v) return m * p;
  return 10 * p;
}

struct Axes {
  double t_end, y_max;
  double X(double t) const {
    return kLeft + (kW - kLeft - kRight) * std::clamp(t / t_end, 0.0, 1.0);
  }
  double Y(double v) const {
    return kTop + (kH - kTop - kBottom) * (1 - std::clamp(v / y_max, 0.0, 1.0));
  }
};

// Frame, grid, axis labels, shaded fault periods and step markers.
std::string Frame(const Axes& a, const std::string& y_label, const std::string& y_unit,
                  const RunOutcome& o) {
  std::string s = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + F("%g", kW) + " " +
                  F("%g", kH) + "\" class=\"plot\" role=\"img\">\n";
  // Fault periods first, so data draws over them.
  int row = 0;
  for (const auto& f : o.faults) {
    double x0 = a.X(f.start), x1 = std::max(a.X(f.end), x0 + 2);
    s += "<rect x=\"" + F("%.1f", x0) + "\" y=\"" + F("%g", kTop) + "\" width=\"" +
         F("%.1f", x1 - x0) + "\" height=\"" + F("%g", kH - kTop - kBottom) +
         "\" fill=\"#d62728\" fill-opacity=\"0.12\"><title>" + XmlEscape(f.label) + " " +
         F("%.2fs", f.start) + "–" + F("%.2fs", f.end) + "</title></rect>\n";
    s += "<text x=\"" + F("%.1f", x0 + 3) + "\" y=\"" + F("%.1f", kTop + 11 + 11 * (row++ % 3)) +
         "\" class=\"fault\">" + XmlEscape(f.label) + "</text>\n";
  }
  for (int i = 0; i <= 4; ++i) {
    double v = a.y_max * i / 4, y = a.Y(v);
    s += "<line x1=\"" + F("%g", kLeft) + "\" x2=\"" + F("%g", kW - kRight) + "\" y1=\"" +
         F("%.1f", y) + "\" y2=\"" + F("%.1f", y) + "\" class=\"grid\"/>\n";
    s += "<text x=\"" + F("%g", kLeft - 6) + "\" y=\"" + F("%.1f", y + 4) +
         "\" text-anchor=\"end\">" + F("%g", v) + y_unit + "</text>\n";
  }
  const double step = NiceCeil(a.t_end / 8);
  for (double t = 0; t <= a.t_end + 1e-9; t += step)
    s += "<text x=\"" + F("%.1f", a.X(t)) + "\" y=\"" + F("%g", kH - kBottom + 16) +
         "\" text-anchor=\"middle\">" + F("%gs", t) + "</text>\n";
  for (const auto& st : o.steps)
    if (st.actual >= 0 && st.action != "mark")
      s += "<line x1=\"" + F("%.1f", a.X(st.actual)) + "\" x2=\"" + F("%.1f", a.X(st.actual)) +
           "\" y1=\"" + F("%g", kTop) + "\" y2=\"" + F("%g", kH - kBottom) +
           "\" class=\"step\"><title>" + XmlEscape(st.name) + "</title></line>\n";
  s += "<rect x=\"" + F("%g", kLeft) + "\" y=\"" + F("%g", kTop) + "\" width=\"" +
       F("%g", kW - kLeft - kRight) + "\" height=\"" + F("%g", kH - kTop - kBottom) +
       "\" class=\"frame\"/>\n";
  s += "<text x=\"" + F("%g", kLeft) + "\" y=\"16\" class=\"ylabel\">" + XmlEscape(y_label) +
       "</text>\n<text x=\"" + F("%g", kW - kRight) + "\" y=\"" + F("%g", kH - 4) +
       "\" text-anchor=\"end\">time since start</text>\n";
  return s;
}

struct Series {
  std::string name;
  std::vector<const Event*> ops;  // completions
};

std::vector<Series> HttpSeries(const Scenario& sc, const RunOutcome& o) {
  std::map<std::string, Series> by_process;
  std::vector<std::string> order;
  for (const auto& e : o.events) {
    if (e.kind != "op" || e.type == EventType::kInvoke || e.latency_ms < 0) continue;
    if (e.f != "get" && e.f != "put") continue;
    if (!by_process.count(e.process)) order.push_back(e.process);
    by_process[e.process].name = e.process;
    by_process[e.process].ops.push_back(&e);
  }
  std::vector<Series> out;
  for (const auto& p : order) out.push_back(by_process[p]);
  return out;
}

std::string Legend(const std::vector<Series>& series) {
  std::string s = "<div class=\"legend\">";
  for (size_t i = 0; i < series.size(); ++i)
    s += "<span><i style=\"background:" + std::string(kColors[i % 8]) + "\"></i>" +
         XmlEscape(series[i].name) + "</span>";
  return s + "<span><i class=\"shade\"></i>fault in force</span></div>\n";
}

std::string AvailabilityPlot(const std::vector<Series>& series, const RunOutcome& o) {
  Axes a{std::max(o.end, 1.0), 100};
  const double width = std::max(0.1, NiceCeil(a.t_end / 60));  // seconds per bucket
  std::string s =
      Frame(a, "availability per " + F("%g", width) + " s (% of requests answered)", "%", o);
  for (size_t i = 0; i < series.size(); ++i) {
    int buckets = static_cast<int>(std::ceil(a.t_end / width));
    std::vector<int> ok(buckets + 1), all(buckets + 1);
    for (const Event* e : series[i].ops) {
      int b = std::clamp(static_cast<int>(e->time / width), 0, buckets);
      all[b]++;
      ok[b] += e->type == EventType::kOk;
    }
    // A step line: each bucket is a flat segment at its value.
    std::string pts;
    for (int b = 0; b <= buckets; ++b) {
      if (!all[b]) continue;
      double y = a.Y(100.0 * ok[b] / all[b]);
      pts += F("%.1f", a.X(b * width)) + "," + F("%.1f", y) + " " +
             F("%.1f", a.X((b + 1) * width)) + "," + F("%.1f", y) + " ";
    }
    s += "<polyline points=\"" + pts + "\" fill=\"none\" stroke=\"" + kColors[i % 8] +
         "\" stroke-width=\"2\" stroke-opacity=\"0.85\"/>\n";
  }
  return s + "</svg>\n";
}

std::string LatencyPlot(const std::vector<Series>& series, const RunOutcome& o) {
  std::vector<double> all;
  for (const auto& sr : series)
    for (const Event* e : sr.ops)
      if (e->type == EventType::kOk) all.push_back(e->latency_ms);
  double top = NiceCeil(std::max(1.0, Percentile(all, 99.5) * 1.25));
  Axes a{std::max(o.end, 1.0), top};
  std::string s = Frame(a, "latency of each request (ms; failures as × at the top)", "", o);
  for (size_t i = 0; i < series.size(); ++i) {
    for (const Event* e : series[i].ops) {
      double x = a.X(e->time), y = a.Y(e->latency_ms);
      if (e->type == EventType::kOk)
        s += "<circle cx=\"" + F("%.1f", x) + "\" cy=\"" + F("%.1f", y) + "\" r=\"2\" fill=\"" +
             kColors[i % 8] + "\" fill-opacity=\"0.6\"/>";
      else
        s += "<text x=\"" + F("%.1f", x) + "\" y=\"" + F("%.1f", kTop + 4) +
             "\" class=\"err\" text-anchor=\"middle\">×</text>";
    }
    s += "\n";
  }
  return s + "</svg>\n";
}

const char* kStyle = R"(body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
margin:24px auto;max-width:1040px;color:#222;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:26px 0 8px;border-bottom:1px solid #ddd}
.badge{display:inline-block;padding:2px 10px;border-radius:4px;color:#fff;font-weight:600}
.PASSED{background:#2e7d32}.FAILED{background:#c62828}.BROKEN{background:#6a1b9a}
.meta{color:#555;margin:6px 0}.desc{color:#333;max-width:760px}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:4px 8px;
border-bottom:1px solid #eee;vertical-align:top}th{background:#f6f6f6}
td.ok{color:#2e7d32;font-weight:600}td.bad{color:#c62828;font-weight:600}
.plot{width:100%;height:auto;font-size:11px;fill:#444}.grid{stroke:#eee}
.frame{fill:none;stroke:#999}.step{stroke:#555;stroke-dasharray:4 3}
.fault{fill:#b71c1c;font-size:10px}.err{fill:#c62828;font-size:12px}.ylabel{font-size:12px}
.legend span{margin-right:14px;font-size:12px}.legend i{display:inline-block;width:12px;
height:12px;margin-right:4px;vertical-align:-1px;border-radius:2px}
.legend i.shade{background:#d62728;opacity:.25}.error{color:#6a1b9a;font-weight:600}
code{background:#f4f4f4;padding:1px 4px;border-radius:3px})";

}  // namespace

std::string ReportHtml(const Scenario& sc, const RunOutcome& o) {
  const std::string verdict = o.exit_code == kExitPassed        ? "PASSED"
                              : o.exit_code == kExitCheckFailed ? "FAILED"
                                                                : "BROKEN";
  std::string h = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>" +
                  XmlEscape(sc.name) + " — berth scenario report</title>\n<style>" + kStyle +
                  "</style></head><body>\n";
  h += "<h1>" + XmlEscape(sc.name) + " <span class=\"badge " + verdict + "\">" + verdict +
       "</span></h1>\n<div class=\"meta\">" + std::to_string(o.passed()) + " of " +
       std::to_string(o.checks.size()) + " checks hold · seed <code>" + std::to_string(o.seed) +
       "</code> · lab <code>" + XmlEscape(o.lab_kind) + "</code> · build " + F("%.2fs", o.build_s) +
       ", run " + F("%.2fs", o.run_s) + ", teardown " + F("%.2fs", o.teardown_s) + " · <code>" +
       XmlEscape(sc.file) + "</code></div>\n";
  if (!o.error.empty()) h += "<p class=\"error\">" + XmlEscape(o.error) + "</p>\n";
  if (!sc.description.empty()) h += "<p class=\"desc\">" + XmlEscape(sc.description) + "</p>\n";

  h += "<h2>Checks</h2>\n<table><tr><th>check</th><th>type</th><th>result</th><th>details</th>"
       "</tr>\n";
  for (const auto& c : o.checks)
    h += "<tr><td>" + XmlEscape(c.name) + "</td><td>" + XmlEscape(c.type) + "</td><td class=\"" +
         (c.passed ? "ok\">ok" : "bad\">FAILED") + "</td><td>" + XmlEscape(c.summary) +
         "</td></tr>\n";
  h += "</table>\n";

  auto series = HttpSeries(sc, o);
  if (series.empty()) {
    h += "<h2>Availability and latency</h2>\n<p class=\"meta\">No workload probes in this "
         "scenario: nothing to plot.</p>\n";
  } else {
    h += "<h2>Availability</h2>\n" + Legend(series) + AvailabilityPlot(series, o);
    h += "<h2>Latency</h2>\n" + Legend(series) + LatencyPlot(series, o);
  }

  h += "<h2>Timeline</h2>\n<table><tr><th>step</th><th>action</th><th>planned</th>"
       "<th>fired</th><th>late</th><th>result</th></tr>\n";
  for (const auto& st : o.steps)
    h += "<tr><td>" + XmlEscape(st.name) + "</td><td>" + XmlEscape(st.action) + "</td><td>" +
         F("%.3fs", st.planned) + "</td><td>" +
         (st.actual >= 0 ? F("%.3fs", st.actual) : std::string("—")) + "</td><td>" +
         (st.actual >= 0 ? F("%.1f ms", st.lateness_ms()) : std::string("—")) +
         "</td><td class=\"" + (st.ok ? "ok\">ok" : "bad\">" + XmlEscape(st.error)) +
         "</td></tr>\n";
  h += "</table>\n<h2>Faults</h2>\n<table><tr><th>fault</th><th>from</th><th>to</th></tr>\n";
  for (const auto& f : o.faults)
    h += "<tr><td>" + XmlEscape(f.label) + "</td><td>" + F("%.2fs", f.start) + "</td><td>" +
         F("%.2fs", f.end) + "</td></tr>\n";
  if (o.faults.empty()) h += "<tr><td colspan=\"3\">none</td></tr>\n";
  h += "</table>\n<h2>Clean-up</h2>\n<ul>\n";
  for (const auto& t : o.teardown) h += "<li>" + XmlEscape(t) + "</li>\n";
  h += "</ul>\n<p class=\"meta\">Every operation is in <code>history.jsonl</code>; the verdict "
       "and numbers in <code>result.json</code> and <code>junit.xml</code>.</p>\n</body></html>\n";
  return h;
}

}  // namespace berth::scenarios
