// Small string helpers shared by the host side and the engine.
#pragma once

#include <string>

namespace berth {

// Escapes text for XML content and attribute values (both quote kinds).
// Control characters that XML 1.0 cannot carry become '?'.
std::string XmlEscape(const std::string& s);

}  // namespace berth
