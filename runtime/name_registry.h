// NameRegistry: the names the embedded DNS answers for. Each entry is one
// container's endpoint on one network: its names there (container name,
// network aliases, short id) and its address. A container sees only the
// names on the networks it is attached to, as with Docker. Thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace berth::runtime {

class NameRegistry {
 public:
  // Publishes `names` for `container_id` on `network_id` at `ip` (replacing an
  // earlier entry of that pair). Names compare case-insensitively.
  void Add(const std::string& network_id, const std::string& container_id,
           const std::vector<std::string>& names, uint32_t ip);
  void Remove(const std::string& network_id, const std::string& container_id);
  // Addresses `name` (a trailing dot is ignored) has on the networks `asker`
  // is attached to; empty when it has none there.
  std::vector<uint32_t> Lookup(const std::string& asker, const std::string& name) const;
  // The first name of the container at `ip` on `asker`'s networks.
  std::optional<std::string> Reverse(const std::string& asker, uint32_t ip) const;

 private:
  struct Entry {
    std::string network, container;
    std::vector<std::string> names;  // lowercase
    uint32_t ip;
  };
  std::vector<std::string> NetworksOf(const std::string& container) const;
  mutable std::mutex mu_;
  std::vector<Entry> entries_;
};

}  // namespace berth::runtime
