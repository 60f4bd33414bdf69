// Plain-text tables for `--format table` listings.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace berth::cli {

// Left-aligned columns separated by three spaces; headers in capitals.
void PrintTable(std::ostream& out, const std::vector<std::string>& headers,
                const std::vector<std::vector<std::string>>& rows);

}  // namespace berth::cli
