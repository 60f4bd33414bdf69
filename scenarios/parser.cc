#include "scenarios/parser.h"

#include <algorithm>
#include <set>

#include "base/file_util.h"

namespace berth::scenarios {
namespace {

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// Names: letters, digits, '-', '_', '.', starting with a letter or digit.
bool ValidName(const std::string& s) {
  if (s.empty() || s.size() > 63 || !std::isalnum(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

class Parser {
 public:
  Parser(Scenario& s, Diagnostics& d) : s_(s), d_(d) {}

  void Top(const YAML::Node& root) {
    MapReader r(root, "scenario",
                {"name", "description", "seed", "lab", "images", "containers", "workload",
                 "timeline", "checks"},
                d_);
    if (!r.is_map()) return;
    s_.name = r.String("name", true).value_or("");
    s_.description = r.String("description", false).value_or("");
    s_.seed = static_cast<uint64_t>(r.Int("seed", false, 0, INT64_MAX).value_or(0));
    if (r.Has("lab"))
      Lab(r.Get("lab"));
    else
      r.String("lab", true);  // reports the missing section
    s_.images = r.StringList("images", false, false).value_or(std::vector<std::string>{});
    if (r.Has("containers")) Containers(r.Get("containers"));
    if (r.Has("workload")) Workload(r.Get("workload"));
    if (r.Has("timeline")) ParseTimeline(r.Get("timeline"), machines_, d_, s_.timeline);
    if (r.Has("checks")) Checks(r.Get("checks"));
  }

 private:
  Scenario& s_;
  Diagnostics& d_;
  std::vector<std::string> machines_;  // lab machines plus machine.add names

  void RequireMachine(const YAML::Node& at, const std::string& what, const std::string& name) {
    if (!Contains(machines_, name))
      d_.Error(at, what + ": no machine named '" + name + "' in lab.machines");
  }

  void Lab(const YAML::Node& node) {
    MapReader r(node, "lab", {"machines", "network"}, d_);
    if (!r.is_map()) return;
    YAML::Node ms = r.Get("machines");
    if (!ms.IsDefined())
      r.String("machines", true);
    else if (!ms.IsSequence() || ms.size() == 0)
      d_.Error(ms, "lab: 'machines' must be a non-empty list, got " + Describe(ms));
    else
      for (const auto& m : ms) Machine(m);
    if (r.Has("network")) {
      MapReader n(r.Get("network"), "lab.network", {"subnet"}, d_);
      if (auto subnet = n.String("subnet", false)) s_.lab.network.subnet = *subnet;
    }
  }

  void Machine(const YAML::Node& node) {
    MapReader r(node, "machine", {"name", "cpus", "memory", "disk"}, d_);
    if (!r.is_map()) return;
    MachineSpec m;
    m.mark = MarkOf(node);
    m.name = r.String("name", true).value_or("");
    if (!m.name.empty() && !ValidName(m.name))
      d_.Error(r.Get("name"), "machine: name '" + m.name +
                                  "' must be letters, digits, '-', '_' or '.' (at most 63)");
    if (Contains(machines_, m.name))
      d_.Error(r.Get("name"), "machine '" + m.name + "' is defined twice");
    m.cpus = static_cast<int>(r.Int("cpus", false, 1, 64).value_or(1));
    m.memory_mb = r.SizeMb("memory", false).value_or(256);
    m.disk_mb = r.SizeMb("disk", false).value_or(1024);
    machines_.push_back(m.name);
    s_.lab.machines.push_back(m);
  }

  void Containers(const YAML::Node& node) {
    if (!node.IsSequence()) {
      d_.Error(node, "containers: expected a list, got " + Describe(node));
      return;
    }
    for (const auto& c : node) {
      MapReader r(
          c, "container",
          {"name", "machine", "machines", "image", "command", "env", "ports", "volumes", "network"},
          d_);
      if (!r.is_map()) continue;
      ContainerSpec spec;
      spec.mark = MarkOf(c);
      spec.name = r.String("name", true).value_or("");
      spec.image = r.String("image", true).value_or("");
      spec.command = ReadCommand(r, "command", false).value_or(std::vector<std::string>{});
      spec.env = r.StringMap("env", false).value_or(std::map<std::string, std::string>{});
      spec.ports = r.StringList("ports", false, false).value_or(std::vector<std::string>{});
      spec.volumes = r.StringList("volumes", false, false).value_or(std::vector<std::string>{});
      spec.network = r.String("network", false).value_or("");
      std::vector<std::string> on;
      if (r.Has("machine") && r.Has("machines"))
        d_.Error(r.Get("machines"), "container: give 'machine' or 'machines', not both");
      if (auto m = r.String("machine", false)) on = {*m};
      if (auto ms = r.StringList("machines", false, false)) on = *ms;
      r.RequireOne({"machine", "machines"}, "where the container runs");
      YAML::Node where = r.Has("machine") ? r.Get("machine") : r.Get("machines");
      for (const auto& m : on) {
        RequireMachine(where, "container '" + spec.name + "'", m);
        spec.machine = m;
        s_.containers.push_back(spec);
      }
    }
  }

  void Workload(const YAML::Node& node) {
    MapReader r(node, "workload", {"probes"}, d_);
    YAML::Node probes = r.Get("probes");
    if (!r.is_map() || !probes.IsDefined()) return;
    if (!probes.IsSequence()) {
      d_.Error(probes, "workload: 'probes' must be a list, got " + Describe(probes));
      return;
    }
    for (const auto& p : probes) Probe(p);
  }

  void Probe(const YAML::Node& node) {
    MapReader r(node, "probe",
                {"name", "type", "rate", "targets", "path", "from", "timeout", "store", "keys"},
                d_);
    if (!r.is_map()) return;
    ProbeSpec p;
    p.mark = MarkOf(node);
    p.name = r.String("name", true).value_or("");
    for (const auto& q : s_.probes)
      if (q.name == p.name) d_.Error(r.Get("name"), "probe '" + p.name + "' is defined twice");
    if (auto type = r.String("type", true)) {
      if (*type == "http")
        p.type = ProbeType::kHttp;
      else if (*type == "kv")
        p.type = ProbeType::kKv;
      else
        d_.Error(r.Get("type"), "probe: 'type' must be one of: http, kv, got '" + *type + "'");
    }
    p.rate = r.Number("rate", false, 0.1, 1000).value_or(5);
    p.targets = r.StringList("targets", true, true).value_or(std::vector<std::string>{});
    for (const auto& t : p.targets) {
      auto colon = t.rfind(':');
      std::string port = colon == std::string::npos ? "" : t.substr(colon + 1);
      if (colon == std::string::npos || port.empty() ||
          !std::all_of(port.begin(), port.end(), ::isdigit))
        d_.Error(r.Get("targets"),
                 "probe '" + p.name + "': target '" + t + "' must be MACHINE:PORT");
      else
        RequireMachine(r.Get("targets"), "probe '" + p.name + "'", t.substr(0, colon));
    }
    p.path = r.String("path", false).value_or("/");
    p.from = r.String("from", false).value_or("");
    if (!p.from.empty()) RequireMachine(r.Get("from"), "probe '" + p.name + "'", p.from);
    p.timeout = r.Duration("timeout", false).value_or(Millis(1000));
    p.store = r.String("store", false).value_or("etcd");
    p.keys = static_cast<int>(r.Int("keys", false, 0, 1000000).value_or(0));
    if (p.type == ProbeType::kHttp && (r.Has("store") || r.Has("keys")))
      d_.Error(r.Has("store") ? r.Get("store") : r.Get("keys"),
               "probe '" + p.name + "': 'store' and 'keys' are for kv probes only");
    if (p.type == ProbeType::kKv && (r.Has("path") || r.Has("from")))
      d_.Error(r.Has("path") ? r.Get("path") : r.Get("from"),
               "probe '" + p.name + "': 'path' and 'from' are for http probes only");
    if (p.type == ProbeType::kKv && p.store != "etcd")
      d_.Error(r.Get("store"), "probe '" + p.name + "': 'store' must be etcd");
    s_.probes.push_back(p);
  }

  std::optional<TimeRef> ReadTimeRef(MapReader& r, const std::string& key) {
    auto text = r.String(key, false);
    if (!text) return std::nullopt;
    TimeRef t;
    if (*text == "start") return t;
    if (*text == "end") return TimeRef{TimeRef::Kind::kEnd, "", Millis{0}};
    if (auto d = ParseDuration(*text)) return TimeRef{TimeRef::Kind::kOffset, "", *d};
    std::string step = *text;
    Millis offset{0};
    if (auto plus = text->rfind('+'); plus != std::string::npos) {
      auto d = ParseDuration(text->substr(plus + 1));
      if (!d) {
        d_.Error(r.Get(key), r.what() + ": '" + key + "' offset '" + text->substr(plus + 1) +
                                 "' must be a duration");
        return std::nullopt;
      }
      step = text->substr(0, plus);
      offset = *d;
    }
    StepRef(r.Get(key), r.what(), step);
    return TimeRef{TimeRef::Kind::kStep, step, offset};
  }

  void StepRef(const YAML::Node& at, const std::string& what, const std::string& step) {
    for (const auto& s : s_.timeline)
      if (s.name == step) return;
    d_.Error(at, what + ": no timeline step named '" + step +
                     "' (expected start, end, a duration such as 10s, or STEP[+DURATION])");
  }

  const ProbeSpec* ProbeRef(MapReader& r, std::optional<ProbeType> type) {
    auto name = r.String("probe", true);
    if (!name) return nullptr;
    for (const auto& p : s_.probes)
      if (p.name == *name) {
        if (type && p.type != *type)
          d_.Error(r.Get("probe"), r.what() + ": probe '" + *name + "' must be a " +
                                       ProbeTypeName(*type) + " probe");
        return &p;
      }
    d_.Error(r.Get("probe"), r.what() + ": no probe named '" + *name + "' in workload.probes");
    return nullptr;
  }

  void Checks(const YAML::Node& node) {
    if (!node.IsSequence()) {
      d_.Error(node, "checks: expected a list, got " + Describe(node));
      return;
    }
    for (const auto& c : node) Check(c);
  }

  void Check(const YAML::Node& node) {
    static const std::vector<std::pair<std::string, CheckSpec::Type>> kTypes = {
        {"availability", CheckSpec::Type::kAvailability},
        {"latency", CheckSpec::Type::kLatency},
        {"recovers", CheckSpec::Type::kRecovers},
        {"no-lost-writes", CheckSpec::Type::kNoLostWrites},
        {"command", CheckSpec::Type::kCommand}};
    YAML::Node type_node = Child(node, "type");
    std::optional<CheckSpec::Type> type;
    if (type_node.IsScalar())
      for (const auto& [n, t] : kTypes)
        if (n == type_node.Scalar()) type = t;
    std::vector<std::string> allowed = {"name", "type"};
    if (type == CheckSpec::Type::kAvailability)
      allowed.insert(allowed.end(), {"probe", "targets", "min", "from", "to"});
    if (type == CheckSpec::Type::kLatency)
      allowed.insert(allowed.end(), {"probe", "targets", "percentile", "max", "from", "to"});
    if (type == CheckSpec::Type::kRecovers)
      allowed.insert(allowed.end(), {"probe", "targets", "after", "within"});
    if (type == CheckSpec::Type::kNoLostWrites) allowed.push_back("probe");
    if (type == CheckSpec::Type::kCommand) allowed.insert(allowed.end(), {"machine", "command"});
    MapReader r(node, "check", allowed, d_);
    if (!r.is_map()) return;
    CheckSpec c;
    c.mark = MarkOf(node);
    c.name = r.String("name", true).value_or("");
    for (const auto& other : s_.checks)
      if (other.name == c.name) d_.Error(r.Get("name"), "check '" + c.name + "' is defined twice");
    if (!type) {
      d_.Error(type_node.IsDefined() ? type_node : node,
               "check: 'type' must be one of: availability, latency, recovers, "
               "no-lost-writes, command, got " +
                   Describe(type_node));
      return;
    }
    c.type = *type;
    r.set_what("check '" + c.name + "'");
    CheckBody(r, c);
    s_.checks.push_back(c);
  }

  void CheckBody(MapReader& r, CheckSpec& c) {
    using T = CheckSpec::Type;
    if (c.type == T::kAvailability || c.type == T::kLatency || c.type == T::kRecovers) {
      const ProbeSpec* p = ProbeRef(r, std::nullopt);
      c.probe = p ? p->name : "";
      c.targets = r.StringList("targets", false, true).value_or(std::vector<std::string>{});
      for (const auto& t : c.targets)
        if (p && !Contains(p->targets, t))
          r.diags().Error(r.Get("targets"),
                          r.what() + ": '" + t + "' is not a target of probe '" + p->name + "'");
    }
    if (c.type == T::kAvailability || c.type == T::kLatency) {
      if (auto f = ReadTimeRef(r, "from")) c.from = *f;
      if (auto t = ReadTimeRef(r, "to")) c.to = *t;
    }
    if (c.type == T::kAvailability) c.min_ratio = r.Percent("min", true).value_or(1);
    if (c.type == T::kLatency) {
      c.percentile = r.Number("percentile", false, 1, 100).value_or(99);
      c.max_latency = r.Duration("max", true).value_or(Millis(1000));
    }
    if (c.type == T::kRecovers) {
      if (auto after = r.String("after", true)) {
        c.after_step = *after;
        StepRef(r.Get("after"), r.what(), *after);
      }
      c.within = r.Duration("within", true).value_or(Millis(30000));
    }
    if (c.type == T::kNoLostWrites) {
      const ProbeSpec* p = ProbeRef(r, ProbeType::kKv);
      c.probe = p ? p->name : "";
    }
    if (c.type == T::kCommand) {
      c.machine = r.String("machine", false).value_or("");
      if (!c.machine.empty()) RequireMachine(r.Get("machine"), r.what(), c.machine);
      c.command = ReadCommand(r, "command", true).value_or(std::vector<std::string>{});
    }
  }
};

}  // namespace

std::optional<std::vector<std::string>> ReadCommand(MapReader& r, const std::string& key,
                                                    bool required) {
  YAML::Node v = r.Get(key);
  if (v.IsScalar()) return std::vector<std::string>{"sh", "-c", v.Scalar()};
  if (v.IsDefined() && (!v.IsSequence() || v.size() == 0)) {
    r.diags().Error(v, r.what() + ": '" + key +
                           "' must be a string (run by sh -c) or a non-empty list of "
                           "arguments, got " +
                           Describe(v));
    return std::nullopt;
  }
  return r.StringList(key, required, false);
}

const char* CheckTypeName(CheckSpec::Type type) {
  switch (type) {
    case CheckSpec::Type::kAvailability:
      return "availability";
    case CheckSpec::Type::kLatency:
      return "latency";
    case CheckSpec::Type::kRecovers:
      return "recovers";
    case CheckSpec::Type::kNoLostWrites:
      return "no-lost-writes";
    case CheckSpec::Type::kCommand:
      return "command";
  }
  return "?";
}

const char* ProbeTypeName(ProbeType type) { return type == ProbeType::kHttp ? "http" : "kv"; }

std::string ParseOutcome::FormatErrors() const {
  std::string out;
  for (const auto& e : errors) out += e.ToString(scenario.file) + "\n";
  return out;
}

ParseOutcome ParseScenario(const std::string& text, const std::string& file) {
  ParseOutcome out;
  out.scenario.file = file;
  Diagnostics diags;
  try {
    YAML::Node root = YAML::Load(text);
    Parser(out.scenario, diags).Top(root);
  } catch (const YAML::Exception& e) {
    Mark m{e.mark.is_null() ? 0 : e.mark.line + 1, e.mark.is_null() ? 0 : e.mark.column + 1};
    diags.Error(m, "invalid YAML: " + e.msg);
  }
  out.errors = diags.list();
  std::stable_sort(out.errors.begin(), out.errors.end(), [](const auto& a, const auto& b) {
    return std::tie(a.mark.line, a.mark.column) < std::tie(b.mark.line, b.mark.column);
  });
  return out;
}

Result<Scenario> LoadScenario(const std::string& path) {
  BERTH_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  ParseOutcome out = ParseScenario(text, path);
  if (!out.ok()) {
    std::string msg = out.FormatErrors();
    if (!msg.empty() && msg.back() == '\n') msg.pop_back();
    return InvalidArgument(msg);
  }
  return std::move(out.scenario);
}

}  // namespace berth::scenarios
