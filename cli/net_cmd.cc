// `berth net ...`: the lab network (fabric/) seen and steered from the CLI:
// ls, show, impair, clear, partition, heal, capture, stats. Every verb talks to
// the network's berth-fabric through fabric/client.h; bad input is refused by
// the fabric before anything changes.
#include <unistd.h>

#include <cerrno>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <tuple>

#include "base/file_util.h"
#include "cli/commands.h"
#include "cli/table.h"
#include "fabric/client.h"
#include "fabric/state.h"

namespace berth::cli {
namespace {

constexpr char kDefaultNetwork[] = "default";

std::string Join(const Json& list, const char* sep = ",") {
  std::string out;
  for (const auto& v : list) out += (out.empty() ? "" : sep) + v.get<std::string>();
  return out;
}

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(sep, start);
    if (end == std::string::npos) end = s.size();
    if (end > start) out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

bool PathExistsState(const std::string& home, const std::string& network) {
  return PathExists(fabric::PathsFor(home, network).state);
}

// Sends `request` to the network's fabric, starting it when its state exists
// but the process does not run (e.g. after a host restart).
Result<Json> Request(const Context& ctx, const std::string& network, const Json& request) {
  BERTH_RETURN_IF_ERROR(fabric::ValidateNetworkName(network));
  if (!PathExistsState(ctx.home, network))
    return NotFound("network '" + network +
                    "' does not exist (machines create it when they "
                    "are created with it; see `berth net ls`)");
  auto info = fabric::EnsureNetwork(ctx.home, network);
  if (!info.ok()) return info.status();
  return fabric::Call(ctx.home, network, request);
}

// The network's state: from the running fabric, else from its state file.
Result<Json> ShowJson(const Context& ctx, const std::string& network) {
  BERTH_RETURN_IF_ERROR(fabric::ValidateNetworkName(network));
  if (fabric::IsRunning(ctx.home, network)) {
    auto r = fabric::Call(ctx.home, network, Json{{"op", "show"}});
    if (r.ok()) {
      r->erase("ok");
      return r;
    }
  }
  auto state = fabric::LoadState(fabric::PathsFor(ctx.home, network).state);
  if (!state.ok()) {
    if (state.status().code() == Code::kNotFound)
      return NotFound("network '" + network + "' does not exist (see `berth net ls`)");
    return state.status();
  }
  Json j = state->ToJson();
  j["name"] = network;
  j["running"] = false;
  j["captures"] = Json::array();
  return j;
}

std::string ImpairmentText(const Json& spec) {
  std::string out;
  for (const auto& [k, v] : spec.items())
    out += (out.empty() ? "" : " ") + k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
  return out.empty() ? "-" : out;
}

void PrintShow(const Json& j) {
  std::cout << "Network:   " << j["name"].get<std::string>() << "\n"
            << "State:     " << (j.value("running", false) ? "running" : "stopped") << "\n"
            << "Subnet:    " << j["subnet"].get<std::string>() << "\n"
            << "Fabric:    udp " << j["host"].get<std::string>() << ":" << j["port"] << "\n"
            << "Seed:      " << j["seed"] << "\n\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& [n, m] : j["machines"].items())
    rows.push_back({n, m.value("address", ""), m.value("mac", ""),
                    m["host"].get<std::string>() + ":" + std::to_string(m["port"].get<int>())});
  PrintTable(std::cout, {"MACHINE", "LAB-IP", "MAC", "TUNNEL"}, rows);
  std::cout << "\n";
  rows.clear();
  for (const auto& r : j["impairments"])
    rows.push_back({r["from"], r["to"], ImpairmentText(r["impairment"])});
  PrintTable(std::cout, {"FROM", "TO", "IMPAIRMENT"}, rows);
  std::cout << "\nPartition: ";
  if (j["grudge"].empty()) std::cout << "none\n";
  for (const auto& [node, drops] : j["grudge"].items())
    std::cout << "\n  " << node << " drops frames from " << Join(drops, ", ");
  if (!j["grudge"].empty()) std::cout << "\n";
  for (const auto& c : j["captures"])
    std::cout << "Capture " << c["id"] << ": " << c["machine"].get<std::string>() << " -> "
              << c["file"].get<std::string>() << "\n";
}

// Adds the --network option shared by every verb.
void NetworkOption(CLI::App* cmd, std::string* network) {
  cmd->add_option("--network,-n", *network, "lab network (default: default)");
}

// Runs `fn` and reports its Status as the exit code.
void Run(Context& ctx, const std::function<Status()>& fn) {
  Status s = fn();
  if (!s.ok()) ctx.exit_code = Fail(s);
}

void AddNetCaptureCommands(CLI::App& net, Context& ctx) {
  auto* capture = net.add_subcommand("capture", "pcap capture of a machine's link or the network");
  capture->require_subcommand(1);
  {
    auto* cmd = capture->add_subcommand("start", "start capturing to a pcap file (tshark -r FILE)");
    struct Opts {
      std::string network = kDefaultNetwork, machine, file, duration;
    };
    auto o = std::make_shared<Opts>();
    NetworkOption(cmd, &o->network);
    cmd->add_option("--machine,-m", o->machine, "only frames from or to this machine");
    cmd->add_option("--write,-w", o->file, "pcap file to write")->required();
    cmd->add_option("--duration", o->duration, "stop by itself after this long, e.g. 30s");
    cmd->callback([&ctx, o] {
      Run(ctx, [&]() -> Status {
        std::string file = o->file;
        if (file[0] != '/') {
          char cwd[4096];
          if (!getcwd(cwd, sizeof cwd)) return ErrnoStatus("getcwd", errno);
          file = std::string(cwd) + "/" + file;
        }
        Json req{{"op", "capture_start"}, {"file", file}};
        if (!o->machine.empty()) req["machine"] = o->machine;
        if (!o->duration.empty()) req["duration"] = o->duration;
        BERTH_ASSIGN_OR_RETURN(Json r, Request(ctx, o->network, req));
        std::cout << "capture " << r["id"] << " writing " << file
                  << " (stop with `berth net capture stop " << r["id"] << "`)\n";
        return Status::Ok();
      });
    });
  }
  {
    auto* cmd = capture->add_subcommand("stop", "stop one capture (ID) or all of them");
    auto o = std::make_shared<std::pair<std::string, int>>(kDefaultNetwork, 0);
    NetworkOption(cmd, &o->first);
    cmd->add_option("id", o->second, "capture id (default: all)");
    cmd->callback([&ctx, o] {
      Run(ctx, [&]() -> Status {
        Json req{{"op", "capture_stop"}};
        if (o->second) req["id"] = o->second;
        BERTH_ASSIGN_OR_RETURN(Json r, Request(ctx, o->first, req));
        for (const auto& c : r["stopped"])
          std::cout << "capture " << c["id"] << ": " << c["frames"] << " frames in "
                    << c["file"].get<std::string>() << "\n";
        return Status::Ok();
      });
    });
  }
}

void AddNetStatsCommand(CLI::App& net, Context& ctx) {
  auto* cmd = net.add_subcommand("stats", "per-link counters: forwarded, dropped, delayed, queued");
  auto o = std::make_shared<std::pair<std::string, std::string>>(kDefaultNetwork, "table");
  NetworkOption(cmd, &o->first);
  cmd->add_option("--format", o->second, "table or json")->check(FormatValidator());
  cmd->callback([&ctx, o] {
    Run(ctx, [&]() -> Status {
      BERTH_ASSIGN_OR_RETURN(Json r, Request(ctx, o->first, {{"op", "stats"}}));
      r.erase("ok");
      if (o->second == "json") {
        std::cout << r.dump(2) << "\n";
        return Status::Ok();
      }
      std::vector<std::vector<std::string>> rows;
      for (const auto& l : r["links"])
        rows.push_back({l["from"], l["to"], l["frames"].dump(), l["bytes"].dump(),
                        l["dropped"]["loss"].dump(), l["dropped"]["partition"].dump(),
                        l["dropped"]["queue"].dump(), l["delayed"].dump(),
                        l["queue_depth"].dump()});
      PrintTable(std::cout,
                 {"FROM", "TO", "FRAMES", "BYTES", "LOST", "PARTITIONED", "QUEUE-DROPS", "DELAYED",
                  "QUEUED"},
                 rows);
      const Json& n = r["network"];
      std::cout << "\nflooded " << n["flooded"] << ", unknown source " << n["unknown_source"]
                << ", send errors " << n["send_errors"] << ", MAC table " << n["mac_table"]
                << " entries\n";
      return Status::Ok();
    });
  });
}

}  // namespace

void AddNetCommands(CLI::App& app, Context& ctx) {
  auto* net = app.add_subcommand("net",
                                 "the simulated lab network: impairments, partitions, "
                                 "captures, stats");
  net->require_subcommand(1);

  {  // ls
    auto* cmd = net->add_subcommand("ls", "list lab networks");
    auto format = std::make_shared<std::string>("table");
    cmd->add_option("--format", *format, "table or json")->check(FormatValidator());
    cmd->callback([&ctx, format] {
      Run(ctx, [&]() -> Status {
        Json list = Json::array();
        for (const auto& n : fabric::ListNetworks(ctx.home)) {
          BERTH_ASSIGN_OR_RETURN(Json j, ShowJson(ctx, n));
          list.push_back({{"name", n},
                          {"running", j["running"]},
                          {"subnet", j["subnet"]},
                          {"host", j["host"]},
                          {"port", j["port"]},
                          {"machines", j["machines"].size()},
                          {"impairments", j["impairments"].size()},
                          {"partitioned", !j["grudge"].empty()}});
        }
        if (*format == "json") {
          std::cout << list.dump(2) << "\n";
          return Status::Ok();
        }
        std::vector<std::vector<std::string>> rows;
        for (const auto& n : list)
          rows.push_back({n["name"], n["running"] ? "running" : "stopped", n["subnet"],
                          n["host"].get<std::string>() + ":" + n["port"].dump(),
                          n["machines"].dump(), n["impairments"].dump(),
                          n["partitioned"] ? "yes" : "no"});
        PrintTable(std::cout,
                   {"NAME", "STATE", "SUBNET", "FABRIC", "MACHINES", "IMPAIRMENTS", "PARTITIONED"},
                   rows);
        return Status::Ok();
      });
    });
  }

  {  // show
    auto* cmd = net->add_subcommand("show", "show a network: machines, impairments, partition");
    auto network = std::make_shared<std::string>(kDefaultNetwork);
    auto format = std::make_shared<std::string>("table");
    cmd->add_option("network", *network, "network name (default: default)");
    cmd->add_option("--format", *format, "table or json")->check(FormatValidator());
    cmd->callback([&ctx, network, format] {
      Run(ctx, [&]() -> Status {
        BERTH_ASSIGN_OR_RETURN(Json j, ShowJson(ctx, *network));
        if (*format == "json")
          std::cout << j.dump(2) << "\n";
        else
          PrintShow(j);
        return Status::Ok();
      });
    });
  }

  {  // impair
    auto* cmd = net->add_subcommand(
        "impair", "impair the links from MACHINE (all of them, or --to one) like tc-netem");
    struct Opts {
      std::string network = kDefaultNetwork, from, to = fabric::kAnyMachine;
      bool both = false;
      std::map<std::string, std::string> spec;
      int limit = 0;
      long long seed = -1;
    };
    auto o = std::make_shared<Opts>();
    NetworkOption(cmd, &o->network);
    cmd->add_option("machine", o->from, "source machine ('*': every machine)")->required();
    cmd->add_option("--to", o->to, "only the link to this machine (default: all)");
    cmd->add_flag("--both", o->both, "also the reverse direction");
    static const std::pair<const char*, const char*> kFlags[] = {
        {"delay", "added delay, e.g. 50ms"},
        {"jitter", "delay variation, e.g. 5ms"},
        {"distribution", "jitter distribution: uniform, normal or pareto"},
        {"loss", "random loss, e.g. 1%"},
        {"loss-ge", "bursty Gilbert-Elliott loss P,R[,1-H[,1-K]], e.g. 1%,30%"},
        {"duplicate", "duplicated frames, e.g. 1%"},
        {"reorder", "frames sent ahead of the delay, e.g. 25% (needs --delay)"},
        {"corrupt", "frames with one flipped bit, e.g. 0.1%"},
        {"rate", "bandwidth, e.g. 10mbit, 500kbit"}};
    for (const auto& [flag, help] : kFlags) {
      std::string key = flag;
      if (key == "loss-ge") key = "loss_ge";
      cmd->add_option_function<std::string>(
          std::string("--") + flag, [o, key](const std::string& v) { o->spec[key] = v; }, help);
    }
    cmd->add_option("--limit", o->limit, "frames the link may hold (default 1000)");
    cmd->add_option("--seed", o->seed, "reseed every link's random stream first");
    cmd->callback([&ctx, o] {
      Run(ctx, [&]() -> Status {
        if (o->spec.empty() && o->limit == 0)
          return InvalidArgument(
              "impair: give at least one impairment (e.g. --delay 50ms); "
              "`berth net clear` removes them");
        Json spec(o->spec);
        if (o->limit) spec["limit"] = o->limit;
        BERTH_ASSIGN_OR_RETURN(Json r, Request(ctx, o->network,
                                               {{"op", "impair"},
                                                {"from", o->from},
                                                {"to", o->to},
                                                {"both", o->both},
                                                {"impairment", spec}}));
        // Reseeding after the rule went in keeps a refused rule from changing
        // anything.
        if (o->seed >= 0) {
          BERTH_ASSIGN_OR_RETURN(Json ignored,
                                 Request(ctx, o->network, {{"op", "seed"}, {"seed", o->seed}}));
        }
        std::cout << o->from << " -> " << o->to << (o->both ? " (both ways)" : "") << ": "
                  << ImpairmentText(r["impairment"]) << "\n";
        return Status::Ok();
      });
    });
  }

  {  // clear
    auto* cmd = net->add_subcommand("clear", "remove impairments (all, a machine's, or one link)");
    auto o = std::make_shared<std::tuple<std::string, std::string, std::string, bool>>(
        kDefaultNetwork, "", "", false);
    NetworkOption(cmd, &std::get<0>(*o));
    cmd->add_option("machine", std::get<1>(*o), "machine whose impairments to remove");
    cmd->add_option("--to", std::get<2>(*o), "only the link to this machine");
    cmd->add_flag("--both", std::get<3>(*o), "with --to: also the reverse direction");
    cmd->callback([&ctx, o] {
      Run(ctx, [&]() -> Status {
        auto& [network, from, to, both] = *o;
        if (!to.empty() && from.empty()) return InvalidArgument("clear: --to needs a machine");
        BERTH_ASSIGN_OR_RETURN(
            Json r,
            Request(ctx, network, {{"op", "clear"}, {"from", from}, {"to", to}, {"both", both}}));
        std::cout << "removed " << r["removed"] << " impairment rule(s)\n";
        return Status::Ok();
      });
    });
  }

  {  // partition
    auto* cmd =
        net->add_subcommand("partition", "partition the network (replaces the current partition)");
    struct Opts {
      std::string network = kDefaultNetwork, shape, node, nodes;
      std::vector<std::string> groups, drops;
    };
    auto o = std::make_shared<Opts>();
    NetworkOption(cmd, &o->network);
    cmd->add_option("shape", o->shape,
                    "isolate NODE | halves | majority | majorities-ring | bridge | groups | grudge")
        ->required();
    cmd->add_option("node", o->node, "the machine to isolate (shape isolate)");
    cmd->add_option("--nodes", o->nodes, "only these machines take part (a,b,c)");
    cmd->add_option("--group", o->groups, "shape groups: one group a,b (repeat per group)");
    cmd->add_option("--drop", o->drops,
                    "shape grudge: NODE:FROM1,FROM2 = NODE drops frames from FROM1, FROM2");
    cmd->callback([&ctx, o] {
      Run(ctx, [&]() -> Status {
        Json req{{"op", "partition"}, {"shape", o->shape}};
        if (!o->node.empty()) req["node"] = o->node;
        if (!o->nodes.empty()) req["nodes"] = Split(o->nodes, ',');
        if (!o->groups.empty()) {
          req["groups"] = Json::array();
          for (const auto& g : o->groups) req["groups"].push_back(Split(g, ','));
        }
        if (!o->drops.empty()) {
          req["grudge"] = Json::object();
          for (const auto& d : o->drops) {
            auto colon = d.find(':');
            if (colon == std::string::npos || colon == 0)
              return InvalidArgument("--drop '" + d + "': use NODE:FROM1,FROM2");
            for (const auto& from : Split(d.substr(colon + 1), ','))
              req["grudge"][d.substr(0, colon)].push_back(from);
          }
        }
        BERTH_ASSIGN_OR_RETURN(Json r, Request(ctx, o->network, req));
        for (const auto& [node, drops] : r["grudge"].items())
          std::cout << node << " drops frames from " << Join(drops, ", ") << "\n";
        return Status::Ok();
      });
    });
  }

  {  // heal
    auto* cmd = net->add_subcommand("heal", "remove the partition");
    auto network = std::make_shared<std::string>(kDefaultNetwork);
    NetworkOption(cmd, network.get());
    cmd->callback([&ctx, network] {
      Run(ctx, [&]() -> Status {
        BERTH_ASSIGN_OR_RETURN(Json r, Request(ctx, *network, {{"op", "heal"}}));
        std::cout << (r["changed"] ? "healed\n" : "no partition to heal\n");
        return Status::Ok();
      });
    });
  }

  AddNetCaptureCommands(*net, ctx);
  AddNetStatsCommand(*net, ctx);
}

}  // namespace berth::cli
