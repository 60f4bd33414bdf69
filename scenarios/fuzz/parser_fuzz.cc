// Fuzz target for the scenario parser: any bytes must give either a scenario
// or positioned errors, never a crash, a hang or an exception.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "scenarios/parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  berth::scenarios::ParseOutcome out = berth::scenarios::ParseScenario(text, "fuzz.yaml");
  for (const auto& e : out.errors)
    if (e.message.empty()) std::abort();  // every error must say something
  return 0;
}
