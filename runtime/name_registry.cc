#include "runtime/name_registry.h"

#include <algorithm>

namespace berth::runtime {
namespace {

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

}  // namespace

void NameRegistry::Add(const std::string& network_id, const std::string& container_id,
                       const std::vector<std::string>& names, uint32_t ip) {
  std::lock_guard<std::mutex> lock(mu_);
  std::erase_if(entries_, [&](const Entry& e) {
    return e.network == network_id && e.container == container_id;
  });
  Entry e{network_id, container_id, {}, ip};
  for (const auto& n : names)
    if (!n.empty()) e.names.push_back(Lower(n));
  entries_.push_back(std::move(e));
}

void NameRegistry::Remove(const std::string& network_id, const std::string& container_id) {
  std::lock_guard<std::mutex> lock(mu_);
  std::erase_if(entries_, [&](const Entry& e) {
    return e.network == network_id && e.container == container_id;
  });
}

std::vector<std::string> NameRegistry::NetworksOf(const std::string& container) const {
  std::vector<std::string> nets;
  for (const auto& e : entries_)
    if (e.container == container) nets.push_back(e.network);
  return nets;
}

std::vector<uint32_t> NameRegistry::Lookup(const std::string& asker,
                                           const std::string& name) const {
  std::string n = Lower(name);
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> nets = NetworksOf(asker);
  std::vector<uint32_t> out;
  for (const auto& e : entries_) {
    if (std::find(nets.begin(), nets.end(), e.network) == nets.end()) continue;
    if (std::find(e.names.begin(), e.names.end(), n) == e.names.end()) continue;
    if (std::find(out.begin(), out.end(), e.ip) == out.end()) out.push_back(e.ip);
  }
  return out;
}

std::optional<std::string> NameRegistry::Reverse(const std::string& asker, uint32_t ip) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> nets = NetworksOf(asker);
  for (const auto& e : entries_)
    if (e.ip == ip && !e.names.empty() &&
        std::find(nets.begin(), nets.end(), e.network) != nets.end())
      return e.names[0];
  return std::nullopt;
}

}  // namespace berth::runtime
