#include "cli/commands.h"

namespace berth::cli {

void AddMachineCommands(CLI::App& app, Context& ctx) {}

}  // namespace berth::cli
