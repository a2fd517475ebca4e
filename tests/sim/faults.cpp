#include "tests/sim/faults.h"

#include <algorithm>

namespace synod::sim {

std::vector<std::vector<SlotId>> random_groups(Rng& rng, std::size_t slots,
                                               std::size_t slots_for_three) {
  const std::size_t count = (slots >= slots_for_three && rng.chance(0.3)) ? 3 : 2;
  std::vector<SlotId> order(slots);
  for (SlotId i = 0; i < slots; ++i)
    order[i] = i;
  for (std::size_t i = slots - 1; i > 0; --i)
    std::swap(order[i], order[rng.below(i + 1)]);
  std::vector<std::vector<SlotId>> groups(count);
  for (std::size_t i = 0; i < slots; ++i)
    groups[i < count ? i : rng.below(count)].push_back(order[i]);
  for (auto& group : groups)
    std::sort(group.begin(), group.end());
  return groups;
}

void describe_faults(std::ostream& out, const NetworkOptions& faulty_network,
                     const std::vector<PartitionFault>& partitions,
                     const std::vector<CrashFault>& crashes) {
  out << " latency=" << faulty_network.latency_base_ms << "+"
      << faulty_network.latency_jitter_mean_ms << "ms drop=" << faulty_network.drop_probability
      << " dup=" << faulty_network.duplicate_probability;
  for (const auto& partition : partitions) {
    out << " partition{";
    for (std::size_t g = 0; g < partition.groups.size(); ++g) {
      out << (g ? "|" : "");
      for (std::size_t i = 0; i < partition.groups[g].size(); ++i)
        out << (i ? "," : "") << partition.groups[g][i];
    }
    out << "}@" << partition.start_ms << "-" << partition.heal_ms;
  }
  for (const auto& crash : crashes)
    out << " crash[" << crash.slot << "]@" << crash.crash_ms << "-" << crash.restart_ms;
}

}  // namespace synod::sim
