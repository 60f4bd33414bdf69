// The scenario model: what a scenario file says, after parsing and checking.
//
// A scenario describes a lab (machines, network), images to seed, containers
// to run, a workload of probes, a timeline of actions and faults, checks that
// must hold, and a seed. The parser (parser.h) fills these structs; the runner
// (runner.h) executes them against a Lab (lab.h). Every element remembers its
// position in the file so later checks can point at it. A `services` section
// (cluster services) slots in beside `containers` later without changing the
// rest: it would add a ServiceSpec list here and its own actions in actions.h.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace berth::scenarios {

using Millis = std::chrono::milliseconds;

// 1-based position in the scenario file; line 0 means "unknown".
struct Mark {
  int line = 0;
  int column = 0;
};

struct MachineSpec {
  std::string name;
  int cpus = 1;
  int64_t memory_mb = 256;
  int64_t disk_mb = 1024;
  Mark mark;
};

struct NetworkSpec {
  std::string subnet = "10.77.0.0/24";
};

struct LabSpec {
  std::vector<MachineSpec> machines;
  NetworkSpec network;
};

struct ContainerSpec {
  std::string name;
  std::string machine;  // one container per machine; `machines:` in the file expands
  std::string image;
  std::vector<std::string> command;
  std::map<std::string, std::string> env;
  std::vector<std::string> ports;    // "HOST:CONTAINER" or "PORT" (published on the machine)
  std::vector<std::string> volumes;  // "NAME:/path" or "/host/path:/path"
  std::string network;               // empty: the engine's default
  Mark mark;
};

enum class ProbeType { kHttp, kKv };

struct ProbeSpec {
  std::string name;
  ProbeType type = ProbeType::kHttp;
  double rate = 5;                   // operations per second, spread over targets
  std::vector<std::string> targets;  // "machine:port"
  std::string path = "/";            // http only
  std::string from;                  // http only: machine the requests leave from; empty = host
  Millis timeout{1000};
  std::string store = "etcd";  // kv only: which store client to use
  int keys = 0;                // kv only: 0 = every write a fresh key
  Mark mark;
};

// A condition that a `when:` step waits for, evaluated live against the lab.
struct Condition {
  enum class Kind { kHttp, kExec };
  Kind kind = Kind::kHttp;
  std::string target;  // http: "machine:port"
  std::string path = "/";
  std::string machine;               // exec: machine, empty = host
  std::vector<std::string> command;  // exec
  Mark mark;
};

// One action of the vocabulary in actions.h ("machine.kill", "net.partition",
// ...). `params` keeps the scalar and list parameters as written; the action's
// own parser (actions.h) has already checked them.
struct Action {
  std::string type;
  std::map<std::string, std::string> params;               // scalars
  std::map<std::string, std::vector<std::string>> lists;   // lists of scalars
  std::map<std::string, std::vector<std::string>> grudge;  // net.partition grudge
  Mark mark;
};

// A timeline step: fires at an absolute time, after the previous step, or
// when a condition first holds (with a timeout).
struct Step {
  enum class When { kAt, kAfter, kCondition };
  std::string name;  // unique; defaults to "step N: <action>"
  When when = When::kAfter;
  Millis offset{0};  // kAt: from run start; kAfter: from the previous step's end
  std::optional<Condition> condition;
  Millis timeout{30000};  // kCondition only
  Millis poll{100};       // kCondition only
  Action action;          // type "mark" does nothing (a named point in time)
  // Seeded random faults ("nemesis"): when `random` is set the step runs
  // `faults` (planned from the seed, see actions.h) instead of `action`.
  bool random = false;
  Millis every{10000};
  Millis duration{60000};
  Millis recover_after{5000};
  std::vector<std::string> fault_set;  // action types to draw from
  std::vector<std::string> machines;   // machines faults may hit; empty = all
  Mark mark;
};

// A time reference inside a run: an offset from the start, a named step's
// fire time (plus an offset), or the end of the run.
struct TimeRef {
  enum class Kind { kStart, kOffset, kStep, kEnd };
  Kind kind = Kind::kStart;
  std::string step;
  Millis offset{0};
};

struct CheckSpec {
  enum class Type { kAvailability, kLatency, kRecovers, kNoLostWrites, kCommand };
  std::string name;
  Type type = Type::kAvailability;
  std::string probe;
  std::vector<std::string> targets;  // empty = all targets of the probe
  TimeRef from;                      // window start (availability, latency)
  TimeRef to{TimeRef::Kind::kEnd, "", Millis{0}};
  double min_ratio = 0.99;           // availability
  double percentile = 99;            // latency
  Millis max_latency{1000};          // latency
  std::string after_step;            // recovers: the step it is measured from
  Millis within{30000};              // recovers
  std::string machine;               // command: empty = host
  std::vector<std::string> command;  // command
  Mark mark;
};

struct Scenario {
  std::string file;
  std::string name;
  std::string description;
  uint64_t seed = 0;
  LabSpec lab;
  std::vector<std::string> images;
  std::vector<ContainerSpec> containers;
  std::vector<ProbeSpec> probes;
  std::vector<Step> timeline;
  std::vector<CheckSpec> checks;
};

const char* CheckTypeName(CheckSpec::Type type);
const char* ProbeTypeName(ProbeType type);

}  // namespace berth::scenarios
