// `berth registry`: the lab registry machines pull from (provisioners/lab_registry.h).
#include <iostream>
#include <memory>

#include "base/json_util.h"
#include "cli/commands.h"
#include "machine/config.h"
#include "provisioners/engine_provisioner.h"
#include "provisioners/lab_images.h"
#include "provisioners/lab_registry.h"

namespace berth::cli {
namespace {

// The images every started registry holds, built from Debian packages.
const char* const kSeedImages[] = {"busybox:latest"};

int Seed(provisioners::LabRegistry& registry, const std::string& home) {
  for (const char* image : kSeedImages) {
    auto archive = provisioners::EnsureImageArchive(image, provisioners::CacheDir(home));
    if (!archive.ok()) return Fail(archive.status().WithContext("seed the registry"));
    if (Status s = registry.Push(*archive, image); !s.ok())
      return Fail(s.WithContext("seed the registry"));
    std::cerr << "seeded " << image << "\n";
  }
  return 0;
}

}  // namespace

void AddRegistryCommands(CLI::App& app, Context& ctx) {
  auto* registry = app.add_subcommand(
      "registry", "the lab registry on 127.0.0.1 that machines pull from (docker pull busybox)");
  registry->require_subcommand(1);

  {
    auto* cmd = registry->add_subcommand("start", "start the registry and seed it with busybox");
    auto no_seed = std::make_shared<bool>(false);
    cmd->add_flag("--no-seed", *no_seed, "do not push the base images");
    cmd->callback([&ctx, no_seed] {
      provisioners::LabRegistry r(ctx.home);
      if (Status s = r.Start(); !s.ok()) {
        ctx.exit_code = Fail(s);
        return;
      }
      if (!*no_seed && (ctx.exit_code = Seed(r, ctx.home)) != 0) return;
      auto st = r.Inspect();
      if (!st.ok()) {
        ctx.exit_code = Fail(st.status());
        return;
      }
      std::cout << "registry running on " << st->address << "; machines pull from "
                << machine::kRegistryGuestAddress << ":" << machine::kRegistryGuestPort
                << " (e.g. docker pull busybox)\n";
    });
  }
  {
    auto* cmd = registry->add_subcommand("stop", "stop the registry (its images are kept)");
    cmd->callback([&ctx] {
      provisioners::LabRegistry r(ctx.home);
      if (Status s = r.Stop(); !s.ok()) ctx.exit_code = Fail(s);
    });
  }
  {
    auto* cmd = registry->add_subcommand("status", "is the registry running, where, what it holds");
    auto format = std::make_shared<std::string>("table");
    cmd->add_option("--format", *format, "table or json")->check(FormatValidator());
    cmd->callback([&ctx, format] {
      provisioners::LabRegistry r(ctx.home);
      auto st = r.Inspect();
      if (!st.ok()) {
        ctx.exit_code = Fail(st.status());
        return;
      }
      if (*format == "json") {
        std::cout << Json{{"running", st->running},
                          {"pid", st->pid},
                          {"address", st->address},
                          {"guest_address", std::string(machine::kRegistryGuestAddress) + ":" +
                                                std::to_string(machine::kRegistryGuestPort)},
                          {"storage", st->storage},
                          {"repositories", st->repositories}}
                         .dump(2)
                  << "\n";
        return;
      }
      std::cout << "state:          " << (st->running ? "running" : "stopped") << "\n"
                << "address:        " << st->address << "\n"
                << "from machines:  " << machine::kRegistryGuestAddress << ":"
                << machine::kRegistryGuestPort << "\n"
                << "storage:        " << st->storage << "\n";
      if (st->running) {
        std::cout << "repositories:  ";
        for (const auto& repo : st->repositories) std::cout << " " << repo;
        std::cout << "\n";
      }
    });
  }
  {
    auto* cmd = registry->add_subcommand(
        "push", "push an image archive (OCI layout, e.g. from images/busybox-image) as NAME:TAG");
    auto archive = std::make_shared<std::string>();
    auto ref = std::make_shared<std::string>();
    cmd->add_option("archive", *archive, "image archive (.tar)")->required();
    cmd->add_option("ref", *ref, "NAME:TAG to push it as")->required();
    cmd->callback([&ctx, archive, ref] {
      provisioners::LabRegistry r(ctx.home);
      if (Status s = r.Push(*archive, *ref); !s.ok()) ctx.exit_code = Fail(s);
    });
  }
}

}  // namespace berth::cli
