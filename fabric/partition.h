// Partitions as Jepsen's grudges: a map from a node to the set of nodes whose
// frames it drops. Asymmetric splits are grudges that are not symmetric.
// Named shapes (Jepsen's nemesis vocabulary) are built over the attached
// machines in name order, so the same machines always give the same split.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "base/json_util.h"
#include "base/status.h"

namespace berth::fabric {

using Grudge = std::map<std::string, std::set<std::string>>;

// Builds a grudge from a partition request over `machines` (all attached
// machine names). Request shapes:
//   {"shape":"isolate","node":"n1"}            n1 and everyone else drop each other
//   {"shape":"halves"}                          first floor(n/2) nodes vs the rest
//   {"shape":"majority"}                        a minority of floor((n-1)/2) vs the rest
//   {"shape":"majorities-ring"}                 each node sees a different majority
//   {"shape":"bridge"}                          two halves, the middle node sees both
//   {"shape":"groups","groups":[["a","b"],["c"]]}   nodes in different groups drop
//   {"shape":"grudge","grudge":{"a":["b"]}}     exactly this (a drops b's frames)
// "nodes":[...] restricts a named shape to those machines. Errors (unknown
// machine, too few nodes, a node in two groups, a node dropping itself) name
// the problem; nothing is built then.
Result<Grudge> BuildPartition(const Json& request, const std::vector<std::string>& machines);

// Every node drops frames from nodes of every other group.
Grudge GroupsGrudge(const std::vector<std::vector<std::string>>& groups);

Json GrudgeToJson(const Grudge& g);
// Parses {"a":["b","c"]}; names are checked against `*machines` unless it is
// null (loading a state file).
Result<Grudge> GrudgeFromJson(const Json& j, const std::vector<std::string>* machines);

}  // namespace berth::fabric
