#include "tests/sim/honest_votes.h"

#include <type_traits>

#include "tests/sim/short_hex.h"

namespace synod::sim {

void HonestVoteChecker::on_sent(ReplicaIndex validator, const pbft::Message& message, TimeMs now) {
  const auto type = static_cast<std::uint8_t>(pbft::type_of(message));
  std::visit(
      [&](const auto& m) {
        using Body = std::decay_t<decltype(m.body)>;
        if (m.sender != validator)
          return;
        if constexpr (std::is_same_v<Body, pbft::PrePrepare>) {
          record({validator, type, m.body.view, m.body.sequence}, m.body.block.hash(), now);
        } else if constexpr (std::is_same_v<Body, pbft::Prepare> ||
                             std::is_same_v<Body, pbft::Commit>) {
          record({validator, type, m.body.view, m.body.sequence}, m.body.digest, now);
        } else if constexpr (std::is_same_v<Body, pbft::Checkpoint>) {
          record({validator, type, 0, m.body.sequence}, m.body.digest, now);
        } else if constexpr (std::is_same_v<Body, pbft::NewView>) {
          // The re-proposal is the new primary's PRE-PREPARE for its view.
          for (const auto& pre_prepare : m.body.pre_prepares) {
            const auto pre_prepare_type = static_cast<std::uint8_t>(pbft::MessageType::kPrePrepare);
            record({validator, pre_prepare_type, pre_prepare.body.view, pre_prepare.body.sequence},
                   pre_prepare.body.block.hash(), now);
          }
        }
      },
      message);
}

void HonestVoteChecker::record(const Key& key, const crypto::Hash256& digest, TimeMs now) {
  auto [it, first] = signed_.try_emplace(key, digest);
  if (first || it->second == digest || violations_.size() >= 20 ||
      !reported_.insert({key, digest}).second) {
    return;
  }
  const auto& [validator, type, view, sequence] = key;
  violations_.push_back(
      Violation{now, "equivocation: honest validator " + std::to_string(validator) + " signed " +
                         pbft::to_string(static_cast<pbft::MessageType>(type)) +
                         " v=" + std::to_string(view) + " s=" + std::to_string(sequence) + " for " +
                         short_hex(it->second) + " and for " + short_hex(digest)});
}

}  // namespace synod::sim
