// berth: a local multi-host lab. See README.md.
#include <csignal>
#include <cstdlib>
#include <iostream>

#include "cli/commands.h"

namespace berth::cli {

int Fail(const Status& status) {
  std::cerr << "berth: " << status.message() << "\n";
  return 1;
}

CLI::Validator FormatValidator() { return CLI::IsMember({"table", "json"}); }

}  // namespace berth::cli

int main(int argc, char** argv) {
  using namespace berth::cli;
  // A peer that goes away (ssh, a closed pipe) is an error to report, not a
  // reason to die.
  std::signal(SIGPIPE, SIG_IGN);
  Context ctx;
  const char* home = std::getenv("BERTH_HOME");
  const char* user_home = std::getenv("HOME");
  ctx.home = home && *home ? home : std::string(user_home ? user_home : "/root") + "/.berth";
  if (const char* uri = std::getenv("BERTH_LIBVIRT_URI")) ctx.libvirt_uri = uri;

  CLI::App app{
      "berth: a local multi-host lab of small Linux machines, a simulated network "
      "and a chaos harness"};
  app.set_version_flag("--version", std::string("berth ") + BERTH_VERSION);
  app.add_option("--home", ctx.home, "state folder (default $BERTH_HOME or ~/.berth)");
  app.add_option("--libvirt-uri", ctx.libvirt_uri,
                 "libvirt connection (default qemu:///system as root, qemu:///session "
                 "otherwise; also $BERTH_LIBVIRT_URI)");
  app.require_subcommand(1);
  app.fallthrough();

  AddMachineCommands(app, ctx);
  AddNetCommands(app, ctx);
  AddScenarioCommands(app, ctx);
  AddRegistryCommands(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return ctx.exit_code;
}
