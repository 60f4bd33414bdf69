// Placeholder until the 'net' noun lands; replaced by its owner.
#include "cli/commands.h"

namespace berth::cli {

void AddNetCommands(CLI::App& app, Context& ctx) {}

}  // namespace berth::cli
