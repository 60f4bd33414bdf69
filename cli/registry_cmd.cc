// Placeholder until the 'registry' noun lands; replaced by its owner.
#include "cli/commands.h"

namespace berth::cli {

void AddRegistryCommands(CLI::App& app, Context& ctx) {}

}  // namespace berth::cli
