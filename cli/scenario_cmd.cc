// Placeholder until the 'scenario' noun lands; replaced by its owner.
#include "cli/commands.h"

namespace berth::cli {

void AddScenarioCommands(CLI::App& app, Context& ctx) {}

}  // namespace berth::cli
