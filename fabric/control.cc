// The fabric's control operations: one handler per "op" of the JSON control
// protocol. Every mutating handler validates the whole request against a copy
// of the state first, so a bad request leaves the running state untouched;
// then it applies the copy, rebuilds the switch and persists the state.
#include <arpa/inet.h>
#include <unistd.h>

#include <algorithm>

#include "fabric/server.h"

namespace berth::fabric {
namespace {

const char* CodeString(Code c) { return CodeName(c); }

std::string Str(const Json& r, const char* key, const std::string& def = "") {
  auto it = r.find(key);
  return it != r.end() && it->is_string() ? it->get<std::string>() : def;
}

Status RequireString(const Json& r, const char* key) {
  auto it = r.find(key);
  if (it == r.end() || !it->is_string() || it->get<std::string>().empty())
    return InvalidArgument(std::string("missing '") + key + "'");
  return Status::Ok();
}

}  // namespace

Json Server::HandleRequest(const Json& request) {
  using Handler = Result<Json> (Server::*)(const Json&);
  static const std::map<std::string, Handler> kOps = {
      {"ping", &Server::OpShow},
      {"show", &Server::OpShow},
      {"attach", &Server::OpAttach},
      {"detach", &Server::OpDetach},
      {"impair", &Server::OpImpair},
      {"clear", &Server::OpClear},
      {"partition", &Server::OpPartition},
      {"heal", &Server::OpHeal},
      {"seed", &Server::OpSeed},
      {"stats", &Server::OpStats},
      {"capture_start", &Server::OpCaptureStart},
      {"capture_stop", &Server::OpCaptureStop},
      {"shutdown", &Server::OpShutdown},
  };
  std::string op = request.is_object() ? Str(request, "op") : "";
  auto it = kOps.find(op);
  Result<Json> result =
      it == kOps.end() ? Result<Json>(InvalidArgument("unknown control operation '" + op + "'"))
                       : (this->*(it->second))(request);
  if (!result.ok())
    return Json{{"ok", false},
                {"error", result.status().message()},
                {"code", CodeString(result.status().code())}};
  Json reply = std::move(result).value();
  reply["ok"] = true;
  return reply;
}

Status Server::CheckMachine(const std::string& name, bool allow_any) const {
  if (allow_any && name == kAnyMachine) return Status::Ok();
  if (!state_.machines.count(name))
    return NotFound("machine '" + name + "' is not attached to network '" + state_.name + "'");
  return Status::Ok();
}

std::vector<std::string> Server::MachineNames() const {
  std::vector<std::string> names;
  for (const auto& [n, m] : state_.machines) names.push_back(n);
  return names;
}

Json Server::CapturesJson() const {
  Json caps = Json::array();
  for (const auto& c : captures_)
    caps.push_back({{"id", c.id},
                    {"machine", c.machine.empty() ? "*" : c.machine},
                    {"file", c.writer->path()},
                    {"frames", c.writer->frames()}});
  return caps;
}

Result<Json> Server::OpShow(const Json&) {
  Json j = state_.ToJson();
  j["pid"] = getpid();
  j["running"] = true;
  j["captures"] = CapturesJson();
  j["held_frames"] = held_.size();
  return j;
}

Result<Json> Server::OpAttach(const Json& r) {
  BERTH_RETURN_IF_ERROR(RequireString(r, "machine"));
  BERTH_RETURN_IF_ERROR(RequireString(r, "host"));
  MachineLink m;
  m.name = Str(r, "machine");
  m.host = Str(r, "host");
  m.mac = Str(r, "mac");
  m.address = Str(r, "address");
  std::string ctx = "attach machine '" + m.name + "'";
  if (m.name == kAnyMachine) return InvalidArgument(ctx + ": '*' is reserved");
  if (!r.contains("port") || !r["port"].is_number_integer() || r["port"].get<int>() < 1 ||
      r["port"].get<int>() > 65535)
    return InvalidArgument(ctx + ": 'port' must be a UDP port number");
  m.port = r["port"].get<int>();
  in_addr a;
  if (inet_pton(AF_INET, m.host.c_str(), &a) != 1)
    return InvalidArgument(ctx + ": host '" + m.host + "' is not an IPv4 address");
  unsigned v[6];
  char tail;
  if (!m.mac.empty() && std::sscanf(m.mac.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2],
                                    &v[3], &v[4], &v[5], &tail) != 6)
    return InvalidArgument(ctx + ": '" + m.mac + "' is not a MAC address");
  if (m.port == state_.port)
    return InvalidArgument(ctx + ": port " + std::to_string(m.port) + " is the fabric's own");
  for (const auto& [n, other] : state_.machines)
    if (n != m.name && other.port == m.port)
      return AlreadyExists(ctx + ": UDP port " + std::to_string(m.port) +
                           " is already used by machine '" + n + "'");
  auto old = state_.machines.find(m.name);
  bool changed = old == state_.machines.end() || old->second.host != m.host ||
                 old->second.port != m.port || old->second.mac != m.mac ||
                 old->second.address != m.address;
  if (changed) {
    state_.machines[m.name] = m;
    Rebuild();
    BERTH_RETURN_IF_ERROR(Persist());
  }
  return Json{{"changed", changed}};
}

Result<Json> Server::OpDetach(const Json& r) {
  BERTH_RETURN_IF_ERROR(RequireString(r, "machine"));
  std::string name = Str(r, "machine");
  if (!state_.RemoveMachine(name)) return Json{{"changed", false}};
  for (auto it = links_.begin(); it != links_.end(); ++it)
    if (it->first.first == name || it->first.second == name) it->second->spec = Json();
  Rebuild();
  BERTH_RETURN_IF_ERROR(Persist());
  return Json{{"changed", true}};
}

Result<Json> Server::OpImpair(const Json& r) {
  BERTH_RETURN_IF_ERROR(RequireString(r, "from"));
  std::string from = Str(r, "from"), to = Str(r, "to", kAnyMachine);
  BERTH_RETURN_IF_ERROR(CheckMachine(from, true));
  BERTH_RETURN_IF_ERROR(CheckMachine(to, true));
  if (from == to && from != kAnyMachine)
    return InvalidArgument("impair: a link goes between two different machines");
  Json spec = r.value("impairment", Json::object());
  auto imp = ParseImpairment(spec);
  if (!imp.ok()) return imp.status();
  Json canonical = imp->ToJson();
  state_.impairments[{from, to}] = canonical;
  if (r.value("both", false)) state_.impairments[{to, from}] = canonical;
  Rebuild();
  BERTH_RETURN_IF_ERROR(Persist());
  return Json{{"impairment", canonical}};
}

Result<Json> Server::OpClear(const Json& r) {
  std::string from = Str(r, "from"), to = Str(r, "to");
  if (!from.empty()) BERTH_RETURN_IF_ERROR(CheckMachine(from, true));
  if (!to.empty()) BERTH_RETURN_IF_ERROR(CheckMachine(to, true));
  bool both = r.value("both", false);
  size_t removed = 0;
  for (auto it = state_.impairments.begin(); it != state_.impairments.end();) {
    const auto& [a, b] = it->first;
    bool match;
    if (from.empty())
      match = true;  // everything
    else if (to.empty())
      match = a == from || b == from;  // every rule naming the machine
    else
      match = (a == from && b == to) || (both && a == to && b == from);
    if (match) {
      it = state_.impairments.erase(it);
      ++removed;
    } else {
      ++it;
    }
  }
  Rebuild();
  BERTH_RETURN_IF_ERROR(Persist());
  return Json{{"removed", removed}};
}

Result<Json> Server::OpPartition(const Json& r) {
  BERTH_ASSIGN_OR_RETURN(Grudge g, BuildPartition(r, MachineNames()));
  state_.grudge = g;
  Rebuild();
  BERTH_RETURN_IF_ERROR(Persist());
  return Json{{"grudge", GrudgeToJson(g)}};
}

Result<Json> Server::OpHeal(const Json&) {
  bool was = !state_.grudge.empty();
  state_.grudge.clear();
  Rebuild();
  BERTH_RETURN_IF_ERROR(Persist());
  return Json{{"changed", was}};
}

Result<Json> Server::OpSeed(const Json& r) {
  if (!r.contains("seed") || !r["seed"].is_number_unsigned())
    return InvalidArgument("seed: expected a non-negative integer");
  state_.seed = r["seed"].get<uint64_t>();
  for (auto& [key, entry] : links_) entry->spec = Json();  // restart every stream
  Rebuild();
  BERTH_RETURN_IF_ERROR(Persist());
  return Json{{"seed", state_.seed}};
}

Result<Json> Server::OpStats(const Json&) {
  Json links = Json::array();
  for (const auto& [key, entry] : links_) {
    if (!state_.machines.count(key.first) || !state_.machines.count(key.second)) continue;
    Json l = entry->link.stats().ToJson();
    l["from"] = key.first;
    l["to"] = key.second;
    l["impairment"] = entry->spec.is_null() ? Json::object() : entry->spec;
    auto g = state_.grudge.find(key.second);
    l["partitioned"] = g != state_.grudge.end() && g->second.count(key.first) > 0;
    links.push_back(l);
  }
  Json machines = Json::object();
  for (const auto& p : ports_)
    machines[p.name] = {{"rx_frames", p.rx_frames}, {"rx_bytes", p.rx_bytes}};
  return Json{{"links", links},
              {"machines", machines},
              {"network",
               {{"flooded", flooded_},
                {"filtered", filtered_},
                {"unknown_source", unknown_source_},
                {"truncated", truncated_},
                {"send_errors", send_errors_},
                {"mac_table", macs_.size()},
                {"held_frames", held_.size()}}}};
}

Result<Json> Server::OpCaptureStart(const Json& r) {
  BERTH_RETURN_IF_ERROR(RequireString(r, "file"));
  std::string file = Str(r, "file"), machine = Str(r, "machine");
  if (file[0] != '/') return InvalidArgument("capture: 'file' must be an absolute path");
  if (!machine.empty() && machine != kAnyMachine)
    BERTH_RETURN_IF_ERROR(CheckMachine(machine, false));
  if (machine == kAnyMachine) machine.clear();
  int64_t stop_at = 0;
  if (r.contains("duration")) {
    auto ns = ParseDurationNs(r["duration"].is_string() ? r["duration"].get<std::string>() : "");
    if (!ns.ok()) return ns.status().WithContext("capture 'duration'");
    if (*ns > 0) stop_at = MonotonicNs() + *ns;
  }
  BERTH_ASSIGN_OR_RETURN(auto writer, PcapWriter::Open(file));
  int id = next_capture_id_++;
  captures_.push_back(Capture{id, machine, std::move(writer), stop_at});
  return Json{{"id", id}, {"file", file}};
}

Result<Json> Server::OpCaptureStop(const Json& r) {
  int id = r.value("id", 0);
  Json stopped = Json::array();
  for (auto it = captures_.begin(); it != captures_.end();) {
    if (id == 0 || it->id == id) {
      BERTH_RETURN_IF_ERROR(it->writer->Flush());
      stopped.push_back(
          {{"id", it->id}, {"file", it->writer->path()}, {"frames", it->writer->frames()}});
      it = captures_.erase(it);
    } else {
      ++it;
    }
  }
  if (id != 0 && stopped.empty())
    return NotFound("capture " + std::to_string(id) + " is not running");
  return Json{{"stopped", stopped}};
}

Result<Json> Server::OpShutdown(const Json&) {
  stopping_ = true;
  return Json::object();
}

}  // namespace berth::fabric
