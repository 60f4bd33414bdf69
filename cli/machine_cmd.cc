// `berth machine ...`: Docker Machine's verbs over machine::Manager.
#include <fnmatch.h>
#include <unistd.h>

#include <csignal>
#include <iostream>
#include <memory>

#include "base/subprocess.h"
#include "cli/commands.h"
#include "cli/progress.h"
#include "cli/table.h"
#include "machine/fabric_lab_network.h"
#include "machine/libvirt_driver.h"
#include "machine/libvirt_hypervisor.h"
#include "machine/manager.h"
#include "machine/ssh.h"
#include "provisioners/certs.h"
#include "provisioners/engine_provisioner.h"

namespace berth::cli {
namespace {

using machine::Manager;

// The real machine stack, built only when a verb runs (so --help stays fast).
struct Stack {
  explicit Stack(const Context& ctx)
      : store(ctx.home),
        hypervisor(ctx.libvirt_uri),
        driver(hypervisor, store,
               [](const std::string& uri) -> std::unique_ptr<machine::Hypervisor> {
                 return std::make_unique<machine::LibvirtHypervisor>(uri);
               }),
        lab(ctx.home),
        readiness(store, driver),
        provisioner(store, provisioners::CacheDir(ctx.home)),
        manager(store, driver, lab, readiness,
                [home = ctx.home] { return machine::EnsureGuestImage(home); }) {
    manager.set_provisioner(&provisioner);
  }
  machine::Store store;
  machine::LibvirtHypervisor hypervisor;
  machine::LibvirtDriver driver;
  machine::FabricLabNetwork lab;
  machine::GuestReadiness readiness;
  provisioners::EngineProvisioner provisioner;
  Manager manager;
};

bool StderrIsTty() { return isatty(STDERR_FILENO) == 1; }

// Runs `fn` for each name, printing failures; returns the exit code.
int ForEach(const std::vector<std::string>& names,
            const std::function<Status(const std::string&)>& fn) {
  int code = 0;
  for (const auto& n : names) {
    Status s = fn(n);
    if (!s.ok()) code = Fail(s);
  }
  return code;
}

bool MatchesFilters(const machine::MachineInfo& info, const std::vector<std::string>& filters,
                    Status* error) {
  for (const auto& f : filters) {
    auto eq = f.find('=');
    if (eq == std::string::npos) {
      *error =
          InvalidArgument("--filter '" + f + "': use KEY=VALUE with KEY name, state or driver");
      return false;
    }
    std::string key = f.substr(0, eq), value = f.substr(eq + 1);
    if (key == "name") {
      if (fnmatch(value.c_str(), info.name.c_str(), 0) != 0) return false;
    } else if (key == "state") {
      if (strcasecmp(value.c_str(), info.state.c_str()) != 0) return false;
    } else if (key == "driver") {
      if (!info.has_config || info.config.driver != value) return false;
    } else {
      *error = InvalidArgument("--filter '" + f + "': unknown key '" + key +
                               "' (use name, state or driver)");
      return false;
    }
  }
  return true;
}

// "NAME:PATH" names a path on a machine; anything else is local.
bool SplitRemote(const std::string& arg, std::string* name, std::string* path) {
  auto colon = arg.find(':');
  if (colon == std::string::npos || colon == 0 || arg.find('/') < colon) return false;
  *name = arg.substr(0, colon);
  *path = arg.substr(colon + 1);
  return true;
}

}  // namespace

void AddMachineCommands(CLI::App& app, Context& ctx) {
  auto* machine = app.add_subcommand("machine", "create and manage machines (small Linux VMs)");
  machine->require_subcommand(1);

  // create
  {
    auto* cmd = machine->add_subcommand("create", "create and boot machines, in parallel");
    auto names = std::make_shared<std::vector<std::string>>();
    auto cpus = std::make_shared<int>(1);
    auto memory = std::make_shared<std::string>("256M");
    auto disk = std::make_shared<std::string>("2G");
    auto timeout = std::make_shared<int>(300);
    auto network = std::make_shared<std::string>("default");
    auto no_engine = std::make_shared<bool>(false);
    auto forwards = std::make_shared<std::vector<std::string>>();
    cmd->add_option("names", *names, "machine names")->required();
    cmd->add_flag("--no-engine", *no_engine, "do not install berthd (machines with SSH only)");
    cmd->add_option("--cpus", *cpus, "virtual CPUs (default 1)");
    cmd->add_option("--memory,-m", *memory, "memory, e.g. 256M or 1G (default 256M)");
    cmd->add_option("--disk", *disk, "data disk size, e.g. 2G (default 2G)");
    cmd->add_option("--network", *network, "lab network to attach to (default 'default')");
    cmd->add_option("--timeout", *timeout, "seconds to wait for each machine to answer SSH");
    cmd->add_option("--forward,-p", *forwards,
                    "[HOST:]GUEST: forward a TCP port of 127.0.0.1 to the machine (repeatable; "
                    "without HOST berth picks a free port, see `berth machine port`)");
    cmd->callback([&ctx, names, cpus, memory, disk, timeout, network, no_engine, forwards] {
      machine::CreateOptions o;
      for (const auto& text : *forwards) {
        auto f = machine::ParseForward(text);
        if (!f.ok()) {
          ctx.exit_code = Fail(f.status().WithContext("--forward"));
          return;
        }
        o.forwards.push_back(*f);
      }
      o.resources.cpus = *cpus;
      auto mem = machine::ParseSizeMb(*memory);
      if (!mem.ok()) {
        ctx.exit_code = Fail(mem.status().WithContext("--memory"));
        return;
      }
      auto dsk = machine::ParseSizeMb(*disk);
      if (!dsk.ok()) {
        ctx.exit_code = Fail(dsk.status().WithContext("--disk"));
        return;
      }
      o.resources.memory_mb = *mem;
      o.resources.disk_mb = *dsk;
      o.timeout = std::chrono::seconds(*timeout);
      o.network = *network;
      Stack stack(ctx);
      o.libvirt_uri = stack.hypervisor.uri();
      if (*no_engine) stack.manager.set_provisioner(nullptr);
      Progress progress(StderrIsTty());
      stack.manager.set_progress(
          [&](const std::string& m, const std::string& w) { progress.Update(m, w); });
      auto results = stack.manager.CreateMany(*names, o);
      int code = 0;
      std::vector<Status> failures;
      for (size_t i = 0; i < results.size() && i < names->size(); ++i) {
        if (results[i].ok()) {
          progress.Finish((*names)[i], true, "ready");
        } else {
          progress.Finish((*names)[i], false, "failed");
          failures.push_back(results[i]);
        }
      }
      stack.manager.set_progress(nullptr);
      if (results.size() != names->size() && !results.empty()) failures.push_back(results[0]);
      // Validation errors are the same for every name: report them once.
      std::string last;
      for (const auto& f : failures) {
        if (f.message() != last) code = Fail(f);
        last = f.message();
      }
      ctx.exit_code = code;
    });
  }

  // ls
  {
    auto* cmd = machine->add_subcommand("ls", "list machines");
    auto format = std::make_shared<std::string>("table");
    auto filters = std::make_shared<std::vector<std::string>>();
    auto quiet = std::make_shared<bool>(false);
    cmd->add_option("--format", *format, "table or json")->check(FormatValidator());
    cmd->add_option("--filter", *filters, "KEY=VALUE: name=GLOB, state=Running, driver=libvirt");
    cmd->add_flag("--quiet,-q", *quiet, "names only");
    cmd->callback([&ctx, format, filters, quiet] {
      Stack stack(ctx);
      auto list = stack.manager.List();
      if (!list.ok()) {
        ctx.exit_code = Fail(list.status());
        return;
      }
      std::vector<machine::MachineInfo> shown;
      for (const auto& m : *list) {
        Status err;
        bool ok = MatchesFilters(m, *filters, &err);
        if (!err.ok()) {
          ctx.exit_code = Fail(err);
          return;
        }
        if (ok) shown.push_back(m);
      }
      if (*format == "json") {
        Json arr = Json::array();
        for (const auto& m : shown) arr.push_back(machine::ToJson(m));
        std::cout << arr.dump(2) << "\n";
        return;
      }
      if (*quiet) {
        for (const auto& m : shown) std::cout << m.name << "\n";
        return;
      }
      std::vector<std::vector<std::string>> rows;
      for (const auto& m : shown) {
        if (!m.has_config) {
          rows.push_back({m.name, m.state, "-", "-", "-", "-", "-", m.error});
          continue;
        }
        const auto& c = m.config;
        rows.push_back({m.name, m.state, std::to_string(c.cpus), std::to_string(c.memory_mb) + "M",
                        machine::SshEndpoint(c), machine::EngineUrl(c), c.lab.address, m.error});
      }
      PrintTable(std::cout, {"NAME", "STATE", "CPUS", "MEMORY", "SSH", "URL", "LAB-IP", "ERRORS"},
                 rows);
    });
  }

  // inspect / status / ip / url / config: read-only views of one machine.
  auto add_view = [&](const char* verb, const char* help,
                      std::function<int(Stack&, const std::string&)> fn) {
    auto* cmd = machine->add_subcommand(verb, help);
    auto name = std::make_shared<std::string>();
    cmd->add_option("name", *name, "machine name")->required();
    cmd->callback([&ctx, name, fn] {
      Stack stack(ctx);
      ctx.exit_code = fn(stack, *name);
    });
  };
  add_view("inspect", "show everything berth knows about a machine, as JSON",
           [](Stack& s, const std::string& n) {
             auto info = s.manager.Inspect(n);
             if (!info.ok()) return Fail(info.status());
             Json j = machine::ToJson(*info);
             j["paths"] = {{"folder", s.store.MachineDir(n)},
                           {"serial_log", s.store.PathOf(n, "serial.log")},
                           {"ssh_key", s.store.PathOf(n, "id_ed25519")},
                           {"known_hosts", s.store.PathOf(n, "known_hosts")},
                           {"data_disk", s.store.PathOf(n, "disk.raw")}};
             std::cout << j.dump(2) << "\n";
             return 0;
           });
  add_view("status", "print a machine's state", [](Stack& s, const std::string& n) {
    auto info = s.manager.Inspect(n);
    if (!info.ok()) return Fail(info.status());
    std::cout << info->state << "\n";
    return 0;
  });
  add_view("ip", "print a machine's lab address", [](Stack& s, const std::string& n) {
    auto c = s.manager.Load(n);
    if (!c.ok()) return Fail(c.status());
    std::cout << c->lab.address << "\n";
    return 0;
  });
  add_view("port", "list a machine's forwarded ports (GUEST -> HOST:PORT)",
           [](Stack& s, const std::string& n) {
             auto c = s.manager.Load(n);
             if (!c.ok()) return Fail(c.status());
             for (const auto& f : c->forwards)
               std::cout << f.guest_port << "/tcp -> " << c->host << ":" << f.host_port << "\n";
             return 0;
           });
  add_view("url", "print a machine's engine URL", [](Stack& s, const std::string& n) {
    auto c = s.manager.Load(n);
    if (!c.ok()) return Fail(c.status());
    std::cout << machine::EngineUrl(*c) << "\n";
    return 0;
  });
  add_view("config", "print the docker client flags for a machine",
           [](Stack& s, const std::string& n) {
             auto c = s.manager.Load(n);
             if (!c.ok()) return Fail(c.status());
             std::string certs = s.store.home() + "/certs";
             std::cout << "--tlsverify\n--tlscacert=\"" << certs << "/ca.pem\"\n--tlscert=\""
                       << certs << "/cert.pem\"\n--tlskey=\"" << certs
                       << "/key.pem\"\n-H=" << machine::EngineUrl(*c) << "\n";
             return 0;
           });

  // Lifecycle verbs over several names.
  auto add_each = [&](const char* verb, const char* help, bool with_timeout,
                      std::function<Status(Stack&, const std::string&, int)> fn) {
    auto* cmd = machine->add_subcommand(verb, help);
    auto names = std::make_shared<std::vector<std::string>>();
    auto timeout = std::make_shared<int>(with_timeout ? 60 : 0);
    cmd->add_option("names", *names, "machine names")->required();
    if (with_timeout) cmd->add_option("--timeout,-t", *timeout, "seconds to wait (default 60)");
    cmd->callback([&ctx, names, timeout, fn] {
      Stack stack(ctx);
      ctx.exit_code = ForEach(*names, [&](const std::string& n) { return fn(stack, n, *timeout); });
    });
  };
  add_each(
      "start", "start stopped machines and wait until they answer SSH", true,
      [](Stack& s, const std::string& n, int t) {
        Progress p(StderrIsTty());
        s.manager.set_progress([&](const std::string& m, const std::string& w) { p.Update(m, w); });
        Status st = s.manager.Start(n, std::chrono::seconds(t > 0 ? t : 300));
        p.Finish(n, st.ok(), st.ok() ? "running" : "failed");
        return st;
      });
  add_each("stop", "stop machines gracefully (forced after --timeout seconds)", true,
           [](Stack& s, const std::string& n, int t) {
             return s.manager.Stop(n, std::chrono::seconds(t));
           });
  add_each("restart", "stop, then start machines", true, [](Stack& s, const std::string& n, int t) {
    return s.manager.Restart(n, std::chrono::seconds(t), std::chrono::seconds(300));
  });
  add_each("kill", "power machines off at once", false,
           [](Stack& s, const std::string& n, int) { return s.manager.Kill(n); });
  add_each("pause", "freeze machines (libvirt suspend)", false,
           [](Stack& s, const std::string& n, int) { return s.manager.Pause(n); });
  add_each("resume", "unfreeze paused machines", false,
           [](Stack& s, const std::string& n, int) { return s.manager.Resume(n); });

  // provision / upgrade / regenerate-certs: (re)install the engine.
  auto add_provision = [&](const char* verb, const char* help, bool new_cert) {
    add_each(verb, help, false, [new_cert](Stack& s, const std::string& n, int) {
      auto c = s.manager.Load(n);
      if (!c.ok()) return c.status();
      Progress p(StderrIsTty());
      auto progress = [&](const std::string& m, const std::string& w) { p.Update(m, w); };
      Status st = new_cert ? s.provisioner.RegenerateCerts(*c, progress)
                           : s.provisioner.Provision(*c, progress);
      p.Finish(n, st.ok(), st.ok() ? "engine answering" : "failed");
      return st;
    });
  };
  add_provision("provision", "install or re-install the engine in machines", false);
  add_provision("upgrade", "install the engine matching this berth's version", false);
  add_provision("regenerate-certs", "make new TLS server certificates and restart the engine",
                true);

  // env
  {
    auto* cmd = machine->add_subcommand("env", "print the commands that point docker at a machine");
    auto name = std::make_shared<std::string>();
    auto shell = std::make_shared<std::string>("sh");
    auto unset = std::make_shared<bool>(false);
    cmd->add_option("name", *name, "machine name");
    cmd->add_option("--shell", *shell, "sh (also bash, zsh), fish or powershell")
        ->check(CLI::IsMember({"sh", "bash", "zsh", "fish", "powershell"}));
    cmd->add_flag("--unset,-u", *unset, "print the commands that undo it");
    cmd->callback([&ctx, name, shell, unset] {
      std::vector<std::pair<std::string, std::string>> vars;
      std::string hint_name = name->empty() ? "NAME" : *name;
      if (!*unset) {
        if (name->empty()) {
          ctx.exit_code = Fail(InvalidArgument("env: name the machine (berth machine env NAME)"));
          return;
        }
        Stack stack(ctx);
        auto c = stack.manager.Load(*name);
        if (!c.ok()) {
          ctx.exit_code = Fail(c.status());
          return;
        }
        auto certs = provisioners::EnsureClientCerts(stack.store);
        if (!certs.ok()) {
          ctx.exit_code = Fail(certs.status());
          return;
        }
        vars = {{"DOCKER_TLS_VERIFY", "1"},
                {"DOCKER_HOST", machine::EngineUrl(*c)},
                {"DOCKER_CERT_PATH", certs->dir},
                {"DOCKER_MACHINE_NAME", *name}};
      } else {
        vars = {{"DOCKER_TLS_VERIFY", ""},
                {"DOCKER_HOST", ""},
                {"DOCKER_CERT_PATH", ""},
                {"DOCKER_MACHINE_NAME", ""}};
      }
      for (const auto& [k, v] : vars) {
        if (*shell == "fish")
          std::cout << (*unset ? "set -e " + k + ";" : "set -gx " + k + " \"" + v + "\";") << "\n";
        else if (*shell == "powershell")
          std::cout << (*unset ? "Remove-Item Env:\\" + k : "$Env:" + k + " = \"" + v + "\"")
                    << "\n";
        else
          std::cout << (*unset ? "unset " + k : "export " + k + "=\"" + v + "\"") << "\n";
      }
      std::string eval =
          *shell == "fish" ? "eval (berth machine env " + hint_name + " --shell fish)"
          : *shell == "powershell"
              ? "& berth machine env " + hint_name + " --shell powershell | Invoke-Expression"
              : "eval \"$(berth machine env " + hint_name + ")\"";
      if (*unset) eval = "";
      if (!eval.empty())
        std::cout << "# Run this command to configure your shell:\n# " << eval << "\n";
    });
  }

  // rm
  {
    auto* cmd = machine->add_subcommand("rm", "remove machines and everything they own");
    auto names = std::make_shared<std::vector<std::string>>();
    auto force = std::make_shared<bool>(false);
    cmd->add_option("names", *names, "machine names")->required();
    cmd->add_flag("--force,-f", *force,
                  "also remove machines whose create was interrupted; ignore missing ones");
    cmd->callback([&ctx, names, force] {
      Stack stack(ctx);
      ctx.exit_code = ForEach(*names, [&](const std::string& n) {
        Status s = stack.manager.Remove(n, *force);
        if (*force && s.code() == Code::kNotFound) return Status::Ok();
        return s;
      });
    });
  }

  // ssh
  {
    auto* cmd = machine->add_subcommand("ssh", "log into a machine or run a command in it");
    auto name = std::make_shared<std::string>();
    auto command = std::make_shared<std::vector<std::string>>();
    cmd->add_option("name", *name, "machine name")->required();
    cmd->add_option("command", *command, "command to run (after --)");
    cmd->callback([&ctx, name, command] {
      Stack stack(ctx);
      auto c = stack.manager.Load(*name);
      if (!c.ok()) {
        ctx.exit_code = Fail(c.status());
        return;
      }
      bool tty = command->empty() && isatty(STDIN_FILENO);
      auto argv = machine::SshArgv(stack.store, *c, tty, *command);
      std::vector<char*> cargs;
      for (auto& a : argv) cargs.push_back(a.data());
      cargs.push_back(nullptr);
      execvp("ssh", cargs.data());
      ctx.exit_code = Fail(ErrnoStatus("run ssh (apt-get install openssh-client)", errno));
    });
  }

  // scp
  {
    auto* cmd = machine->add_subcommand("scp", "copy files between the host and a machine");
    auto src = std::make_shared<std::string>();
    auto dst = std::make_shared<std::string>();
    auto recursive = std::make_shared<bool>(false);
    cmd->add_option("source", *src, "[MACHINE:]PATH")->required();
    cmd->add_option("destination", *dst, "[MACHINE:]PATH")->required();
    cmd->add_flag("--recursive,-r", *recursive, "copy folders");
    cmd->callback([&ctx, src, dst, recursive] {
      std::string sn, sp, dn, dp;
      bool sr = SplitRemote(*src, &sn, &sp), dr = SplitRemote(*dst, &dn, &dp);
      if (sr == dr) {
        ctx.exit_code = Fail(
            InvalidArgument("scp: exactly one of source and destination must be MACHINE:PATH (e.g. "
                            "`berth machine scp ./file node1:/tmp/`)"));
        return;
      }
      Stack stack(ctx);
      auto c = stack.manager.Load(sr ? sn : dn);
      if (!c.ok()) {
        ctx.exit_code = Fail(c.status());
        return;
      }
      auto argv = sr ? machine::ScpArgv(stack.store, *c, *recursive, *dst, sp, false)
                     : machine::ScpArgv(stack.store, *c, *recursive, *src, dp, true);
      RunOptions o;
      o.capture_output = false;
      auto r = berth::Run(argv, o);
      if (!r.ok()) {
        ctx.exit_code = Fail(r.status());
        return;
      }
      ctx.exit_code = r->exit_code;
    });
  }
}

}  // namespace berth::cli
