#include "node/instance_view.h"

namespace synod::node {

using nlohmann::json;

namespace {

// The lowest instance above the head; else the head's own, as it committed.
const json* choose_instance(const json& dump, std::uint64_t height) {
  const json* chosen = nullptr;
  if (const auto instances = dump.find("instances");
      instances != dump.end() && instances->is_array()) {
    for (const auto& instance : *instances) {
      const auto sequence = instance.value("sequence", std::uint64_t{0});
      if (sequence > height && (!chosen || sequence < chosen->value("sequence", std::uint64_t{0})))
        chosen = &instance;
    }
  }
  if (chosen)
    return chosen;
  const auto last = dump.find("last_committed");
  if (last != dump.end() && last->is_object() &&
      last->value("sequence", std::uint64_t{0}) == height)
    return &*last;
  return nullptr;
}

}  // namespace

json instance_view(const json& dump, std::uint64_t height, std::size_t quorum) {
  const json* chosen = choose_instance(dump, height);
  if (!chosen)
    return nullptr;
  const auto sequence = chosen->value("sequence", std::uint64_t{0});
  const auto commits = chosen->value("commits", std::uint64_t{0});
  const bool pre_prepared = chosen->value("pre_prepared", false);
  const char* phase = sequence <= height || commits >= quorum ? "committed"
                      : !pre_prepared                         ? "pre-prepare"
                      : chosen->value("prepared", false)      ? "commit"
                                                              : "prepare";
  return {{"sequence", sequence},
          {"view", chosen->value("view", std::uint64_t{0})},
          {"pre_prepared", pre_prepared},
          {"prepares", chosen->value("prepares", std::uint64_t{0})},
          {"commits", commits},
          {"transactions", chosen->value("transactions", std::uint64_t{0})},
          {"phase", phase}};
}

}  // namespace synod::node
