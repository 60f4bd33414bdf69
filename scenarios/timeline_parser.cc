// The `timeline:` section: steps, their timing, conditions and actions.
#include <algorithm>

#include "scenarios/actions.h"
#include "scenarios/parser.h"

namespace berth::scenarios {
namespace {

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

class StepParser {
 public:
  StepParser(std::vector<std::string>& machines, Diagnostics& d) : machines_(machines), d_(d) {}

  void Parse(const YAML::Node& node, size_t index, std::vector<Step>& out) {
    Step step;
    step.mark = MarkOf(node);
    const std::string what = "timeline step " + std::to_string(index + 1);
    YAML::Node do_node = Child(node, "do");
    const ActionDef* def = nullptr;
    bool random = do_node.IsScalar() && do_node.Scalar() == "random";
    if (do_node.IsScalar() && !random) def = FindAction(do_node.Scalar());

    std::vector<std::string> allowed = {"name", "at", "after", "when", "timeout", "poll", "do"};
    if (def)
      for (const auto& p : def->params) allowed.push_back(p.name);
    if (random)
      allowed.insert(allowed.end(), {"every", "for", "recover_after", "faults", "machines"});
    MapReader r(node, what, allowed, d_);
    if (!r.is_map()) return;
    if (!do_node.IsDefined()) {
      d_.Error(node,
               what + ": missing required key 'do' (the action: " + ActionNames() + ", or random)");
    } else if (!def && !random) {
      d_.Error(do_node, what + ": 'do' must be an action (" + ActionNames() + ", or random), got " +
                            Describe(do_node));
    }
    step.name = r.String("name", false).value_or("");
    if (step.name.empty())
      step.name = "step " + std::to_string(index + 1) +
                  (do_node.IsScalar() ? " (" + do_node.Scalar() + ")" : "");
    for (const auto& s : out)
      if (s.name == step.name)
        d_.Error(r.Get("name"), what + ": step name '" + step.name + "' is used twice");
    r.set_what("timeline step '" + step.name + "'");
    Timing(r, step);
    if (def) {
      step.action.type = def->type;
      step.action.mark = MarkOf(node);
      for (const auto& p : def->params) Param(r, *def, p, step.action);
      ActionRules(r, step.action);
    }
    if (random) Random(r, step);
    out.push_back(std::move(step));
  }

 private:
  std::vector<std::string>& machines_;
  Diagnostics& d_;

  void Timing(MapReader& r, Step& step) {
    int n = r.Has("at") + r.Has("after") + r.Has("when");
    if (n > 1) d_.Error(r.node(), r.what() + ": give only one of 'at', 'after' or 'when'");
    if (auto at = r.Duration("at", false)) {
      step.when = Step::When::kAt;
      step.offset = *at;
    }
    if (auto after = r.Duration("after", false)) {
      step.when = Step::When::kAfter;
      step.offset = *after;
    }
    if (r.Has("when")) {
      step.when = Step::When::kCondition;
      step.condition = ReadCondition(r.Get("when"), r.what());
      step.timeout = r.Duration("timeout", false).value_or(Millis(30000));
      step.poll = r.Duration("poll", false).value_or(Millis(100));
      if (step.poll.count() < 10) d_.Error(r.Get("poll"), r.what() + ": 'poll' must be >= 10ms");
    } else {
      for (const char* key : {"timeout", "poll"})
        if (r.Has(key)) d_.Error(r.Get(key), r.what() + ": '" + key + "' only goes with 'when'");
    }
  }

  Condition ReadCondition(const YAML::Node& node, const std::string& what) {
    Condition c;
    c.mark = MarkOf(node);
    MapReader r(node, what + ": when", {"http", "path", "exec", "machine"}, d_);
    if (!r.is_map()) return c;
    if (r.Has("http") == r.Has("exec")) {
      d_.Error(node, r.what() + ": give exactly one of 'http: MACHINE:PORT' or 'exec: COMMAND'");
      return c;
    }
    if (auto target = r.String("http", false)) {
      c.kind = Condition::Kind::kHttp;
      c.target = *target;
      auto colon = target->rfind(':');
      if (colon == std::string::npos)
        d_.Error(r.Get("http"), r.what() + ": 'http' must be MACHINE:PORT, got '" + *target + "'");
      else
        MachineRef(r.Get("http"), r.what(), target->substr(0, colon));
      c.path = r.String("path", false).value_or("/");
      if (r.Has("machine")) d_.Error(r.Get("machine"), r.what() + ": 'machine' goes with 'exec'");
    } else {
      c.kind = Condition::Kind::kExec;
      c.command = ReadCommand(r, "exec", true).value_or(std::vector<std::string>{});
      c.machine = r.String("machine", false).value_or("");
      if (!c.machine.empty()) MachineRef(r.Get("machine"), r.what(), c.machine);
      if (r.Has("path")) d_.Error(r.Get("path"), r.what() + ": 'path' goes with 'http'");
    }
    return c;
  }

  void MachineRef(const YAML::Node& at, const std::string& what, const std::string& name) {
    if (!Contains(machines_, name))
      d_.Error(at, what + ": no machine named '" + name +
                       "' (in lab.machines or added by an earlier machine.add)");
  }

  void Param(MapReader& r, const ActionDef& def, const ParamDef& p, Action& a) {
    using K = ParamKind;
    const std::string key = p.name;
    switch (p.kind) {
      case K::kMachine:
        if (auto v = r.String(key, p.required)) {
          MachineRef(r.Get(key), r.what(), *v);
          a.params[key] = *v;
        }
        break;
      case K::kName:
        if (auto v = r.String(key, p.required)) {
          if (Contains(machines_, *v))
            d_.Error(r.Get(key), r.what() + ": a machine named '" + *v + "' exists already");
          else
            machines_.push_back(*v);
          a.params[key] = *v;
        }
        break;
      case K::kString:
        if (auto v = r.String(key, p.required)) a.params[key] = *v;
        break;
      case K::kMachines:
        if (auto v = r.StringList(key, p.required, false)) {
          for (const auto& m : *v) MachineRef(r.Get(key), r.what(), m);
          a.lists[key] = *v;
        }
        break;
      case K::kDuration:
      case K::kSignedDuration:
        if (auto v = r.Duration(key, p.required, p.kind == K::kSignedDuration))
          a.params[key] = std::to_string(v->count());
        break;
      case K::kPercent:
        if (auto v = r.Percent(key, p.required)) a.params[key] = std::to_string(*v);
        break;
      case K::kSizeMb:
        if (auto v = r.SizeMb(key, p.required)) a.params[key] = std::to_string(*v);
        break;
      case K::kInt:
        if (auto v = r.Int(key, p.required, 0, 1 << 20)) a.params[key] = std::to_string(*v);
        break;
      case K::kCommand:
        if (auto v = ReadCommand(r, key, p.required)) a.lists[key] = *v;
        break;
      case K::kShape:
        if (auto v = r.String(key, p.required)) {
          if (!Contains(PartitionShapes(), *v))
            d_.Error(r.Get(key), r.what() + ": 'shape' must be one of: " + Join(PartitionShapes()) +
                                     ", got '" + *v + "'");
          a.params[key] = *v;
        }
        break;
      case K::kGrudge:
        Grudge(r, key, a);
        break;
    }
  }

  void Grudge(MapReader& r, const std::string& key, Action& a) {
    YAML::Node g = r.Get(key);
    if (!g.IsDefined()) return;
    if (!g.IsMap() || g.size() == 0) {
      d_.Error(g, r.what() +
                      ": 'grudge' must map each machine to the machines it drops, e.g. "
                      "{web1: [web2, web3]}, got " +
                      Describe(g));
      return;
    }
    for (auto it = g.begin(); it != g.end(); ++it) {
      const YAML::Node who = it->first;
      const YAML::Node list = it->second;
      if (!who.IsScalar()) continue;
      MachineRef(who, r.what() + ": grudge", who.Scalar());
      std::vector<std::string> dropped;
      if (list.IsScalar()) {
        dropped.push_back(list.Scalar());
      } else if (list.IsSequence()) {
        for (size_t i = 0; i < list.size(); ++i) {
          const YAML::Node m = list[i];
          if (m.IsScalar())
            dropped.push_back(m.Scalar());
          else
            d_.Error(m, r.what() + ": grudge lists machine names, got " + Describe(m));
        }
      } else {
        d_.Error(list, r.what() + ": grudge of '" + who.Scalar() +
                           "' must be a list of machines, got " + Describe(list));
      }
      for (const auto& m : dropped) MachineRef(list, r.what() + ": grudge", m);
      a.grudge[who.Scalar()] = dropped;
    }
  }

  // Rules that involve more than one parameter.
  void ActionRules(MapReader& r, const Action& a) {
    if (a.type == "net.partition") {
      if (r.Has("shape") == r.Has("grudge"))
        d_.Error(r.node(), r.what() + ": net.partition needs exactly one of 'shape' (" +
                               Join(PartitionShapes()) + ") or 'grudge'");
      if (r.Has("machine") && (!a.params.count("shape") || a.params.at("shape") != "isolate"))
        d_.Error(r.Get("machine"), r.what() + ": 'machine' goes with shape: isolate");
    }
    if (a.type == "net.impair") {
      bool any = false;
      for (const char* k : {"delay", "jitter", "loss", "duplicate", "reorder", "corrupt", "rate"})
        any = any || r.Has(k);
      if (!any)
        d_.Error(r.node(), r.what() +
                               ": net.impair needs at least one of delay, jitter, loss, "
                               "duplicate, reorder, corrupt, rate");
    }
  }

  void Random(MapReader& r, Step& step) {
    step.random = true;
    step.action.type = "random";
    step.every = r.Duration("every", true).value_or(Millis(10000));
    step.duration = r.Duration("for", true).value_or(Millis(60000));
    step.recover_after = r.Duration("recover_after", false).value_or(step.every / 2);
    if (step.every.count() < 100) d_.Error(r.Get("every"), r.what() + ": 'every' must be >= 100ms");
    if (step.recover_after >= step.every)
      d_.Error(r.Has("recover_after") ? r.Get("recover_after") : r.Get("every"),
               r.what() + ": 'recover_after' must be shorter than 'every'");
    step.fault_set = r.StringList("faults", false, false).value_or(std::vector<std::string>{});
    for (const auto& f : step.fault_set)
      if (!Contains(RandomFaultTypes(), f))
        d_.Error(r.Get("faults"), r.what() + ": random fault '" + f +
                                      "' must be one of: " + Join(RandomFaultTypes()));
    step.machines = r.StringList("machines", false, false).value_or(std::vector<std::string>{});
    for (const auto& m : step.machines) MachineRef(r.Get("machines"), r.what(), m);
  }
};

}  // namespace

void ParseTimeline(const YAML::Node& node, std::vector<std::string>& machines, Diagnostics& diags,
                   std::vector<Step>& out) {
  if (!node.IsSequence()) {
    diags.Error(node, "timeline: expected a list of steps, got " + Describe(node));
    return;
  }
  StepParser parser(machines, diags);
  size_t i = 0;
  for (const auto& step : node) parser.Parse(step, i++, out);
}

}  // namespace berth::scenarios
