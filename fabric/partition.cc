#include "fabric/partition.h"

#include <algorithm>

namespace berth::fabric {
namespace {

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

Status CheckKnown(const std::string& node, const std::vector<std::string>& machines) {
  if (!Contains(machines, node))
    return NotFound("partition: machine '" + node + "' is not attached to this network");
  return Status::Ok();
}

Result<std::vector<std::string>> StringList(const Json& j, const std::string& what) {
  if (!j.is_array()) return InvalidArgument("partition: '" + what + "' must be a list of names");
  std::vector<std::string> out;
  for (const auto& v : j) {
    if (!v.is_string()) return InvalidArgument("partition: '" + what + "' must hold names");
    out.push_back(v.get<std::string>());
  }
  return out;
}

Status NeedNodes(const std::string& shape, size_t have, size_t need) {
  if (have >= need) return Status::Ok();
  return FailedPrecondition("partition '" + shape + "' needs at least " + std::to_string(need) +
                            " machines, the network has " + std::to_string(have));
}

}  // namespace

Grudge GroupsGrudge(const std::vector<std::vector<std::string>>& groups) {
  Grudge g;
  for (size_t i = 0; i < groups.size(); ++i)
    for (const auto& node : groups[i])
      for (size_t k = 0; k < groups.size(); ++k)
        if (k != i)
          for (const auto& other : groups[k]) g[node].insert(other);
  return g;
}

Json GrudgeToJson(const Grudge& g) {
  Json j = Json::object();
  for (const auto& [node, drops] : g)
    if (!drops.empty()) j[node] = std::vector<std::string>(drops.begin(), drops.end());
  return j;
}

Result<Grudge> GrudgeFromJson(const Json& j, const std::vector<std::string>* machines) {
  if (!j.is_object()) return InvalidArgument("partition: 'grudge' must map a node to a list");
  Grudge g;
  for (const auto& [node, list] : j.items()) {
    if (machines) BERTH_RETURN_IF_ERROR(CheckKnown(node, *machines));
    BERTH_ASSIGN_OR_RETURN(auto drops, StringList(list, "grudge." + node));
    for (const auto& d : drops) {
      if (machines) BERTH_RETURN_IF_ERROR(CheckKnown(d, *machines));
      if (d == node) return InvalidArgument("partition: '" + node + "' cannot drop itself");
      g[node].insert(d);
    }
  }
  return g;
}

Result<Grudge> BuildPartition(const Json& request, const std::vector<std::string>& machines) {
  if (!request.is_object()) return InvalidArgument("partition: expected a JSON object");
  if (!request.contains("shape") || !request["shape"].is_string())
    return InvalidArgument("partition: missing 'shape'");
  std::string shape = request["shape"].get<std::string>();

  std::vector<std::string> nodes = machines;
  if (request.contains("nodes")) {
    BERTH_ASSIGN_OR_RETURN(nodes, StringList(request["nodes"], "nodes"));
    for (const auto& n : nodes) BERTH_RETURN_IF_ERROR(CheckKnown(n, machines));
  }
  std::sort(nodes.begin(), nodes.end());
  if (std::adjacent_find(nodes.begin(), nodes.end()) != nodes.end())
    return InvalidArgument("partition: a machine is named twice in 'nodes'");
  size_t n = nodes.size();

  Grudge g;
  if (shape == "isolate") {
    if (!request.contains("node") || !request["node"].is_string())
      return InvalidArgument("partition 'isolate': name the machine to isolate");
    std::string node = request["node"].get<std::string>();
    BERTH_RETURN_IF_ERROR(CheckKnown(node, machines));
    std::vector<std::string> rest;
    for (const auto& m : nodes)
      if (m != node) rest.push_back(m);
    BERTH_RETURN_IF_ERROR(NeedNodes(shape, rest.size() + 1, 2));
    g = GroupsGrudge({{node}, rest});
  } else if (shape == "halves" || shape == "majority") {
    BERTH_RETURN_IF_ERROR(NeedNodes(shape, n, shape == "halves" ? 2 : 3));
    size_t first = shape == "halves" ? n / 2 : (n - 1) / 2;
    g = GroupsGrudge(
        {{nodes.begin(), nodes.begin() + first}, {nodes.begin() + first, nodes.end()}});
  } else if (shape == "majorities-ring") {
    BERTH_RETURN_IF_ERROR(NeedNodes(shape, n, 3));
    // Node i sees a window of n/2+1 nodes of the ring centred on itself and
    // drops the rest: every node sees a majority, no two the same one.
    size_t window = n / 2 + 1, before = (window - 1) / 2;
    for (size_t i = 0; i < n; ++i) {
      std::set<size_t> seen;
      for (size_t k = 0; k < window; ++k) seen.insert((i + n - before + k) % n);
      for (size_t k = 0; k < n; ++k)
        if (!seen.count(k)) g[nodes[i]].insert(nodes[k]);
    }
  } else if (shape == "bridge") {
    BERTH_RETURN_IF_ERROR(NeedNodes(shape, n, 3));
    // Two sides and the middle node, which both sides still reach.
    size_t mid = n / 2;
    std::vector<std::string> left(nodes.begin(), nodes.begin() + mid);
    std::vector<std::string> right(nodes.begin() + mid + 1, nodes.end());
    g = GroupsGrudge({left, right});
  } else if (shape == "groups") {
    if (!request.contains("groups") || !request["groups"].is_array())
      return InvalidArgument("partition 'groups': give a list of groups of machines");
    std::vector<std::vector<std::string>> groups;
    std::set<std::string> seen;
    for (const auto& gj : request["groups"]) {
      BERTH_ASSIGN_OR_RETURN(auto group, StringList(gj, "groups"));
      if (group.empty()) return InvalidArgument("partition 'groups': a group is empty");
      for (const auto& m : group) {
        BERTH_RETURN_IF_ERROR(CheckKnown(m, machines));
        if (!seen.insert(m).second)
          return InvalidArgument("partition 'groups': machine '" + m + "' is in two groups");
      }
      groups.push_back(group);
    }
    if (groups.size() < 2) return InvalidArgument("partition 'groups': needs at least 2 groups");
    g = GroupsGrudge(groups);
  } else if (shape == "grudge") {
    if (!request.contains("grudge")) return InvalidArgument("partition 'grudge': missing map");
    BERTH_ASSIGN_OR_RETURN(g, GrudgeFromJson(request["grudge"], &machines));
  } else {
    return InvalidArgument("partition: unknown shape '" + shape +
                           "' (isolate, halves, majority, majorities-ring, bridge, groups, "
                           "grudge)");
  }
  for (auto it = g.begin(); it != g.end();) it = it->second.empty() ? g.erase(it) : ++it;
  if (g.empty()) return InvalidArgument("partition '" + shape + "': nobody would drop anything");
  return g;
}

}  // namespace berth::fabric
