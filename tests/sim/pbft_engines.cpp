#include "tests/sim/pbft_engines.h"

#include <type_traits>

#include "pbft/adversary.h"
#include "pbft/messages.h"
#include "pbft/replica.h"

namespace synod::sim {

EngineFactory pbft_engine_factory(std::uint64_t seed, pbft::PlantedBug bug) {
  return [seed, bug](const NodeContext& context) -> Result<std::unique_ptr<chain::Engine>> {
    const SimNode& node = context.node;
    pbft::ReplicaConfig config{context.genesis.genesis, context.key, 0, 0, {}};
    config.planted_bug = bug;
    pbft::ReplicaRecovery recovery{node.store.state, node.store.head(), std::nullopt};
    if (auto it = node.store.kv.find(pbft::Replica::kVotesKey); it != node.store.kv.end())
      recovery.votes = it->second;
    auto replica = pbft::Replica::create(std::move(config), context.mempool, std::move(recovery));
    if (!replica.ok())
      return replica.error();
    std::unique_ptr<chain::Engine> engine = std::move(replica).value();
    if (node.role == "honest" || node.role == "twin")
      return engine;
    auto kinds = pbft::parse_adversary_kinds(node.role);
    if (!kinds.ok())
      return kinds.error();
    pbft::AdversaryOptions options{
        std::move(kinds).value(), seed ^ (node.slot * 0x100000001B3ULL) ^ (node.restarts << 32),
        context.genesis.genesis,  context.key,
        node.validator,           0};
    return pbft::wrap_adversary(std::move(engine), std::move(options));
  };
}

std::vector<std::string> pbft_adversary_kinds() {
  return {"silent",      "equivocate",    "forge-signature", "wrong-digest", "replay",
          "double-vote", "invalid-block", "slow-primary",    "flood"};
}

std::string describe_pbft_message(ByteView message) {
  auto decoded = pbft::decode_message(message);
  if (!decoded.ok())
    return "undecodable (" + std::to_string(message.size()) + " bytes)";
  std::string out = pbft::to_string(pbft::type_of(*decoded));
  std::visit(
      [&out](const auto& m) {
        using Body = std::decay_t<decltype(m.body)>;
        if constexpr (std::is_same_v<Body, pbft::PrePrepare>) {
          out += " v=" + std::to_string(m.body.view) + " s=" + std::to_string(m.body.sequence) +
                 " txs=" + std::to_string(m.body.block.transactions.size());
        } else if constexpr (std::is_same_v<Body, pbft::Prepare> ||
                             std::is_same_v<Body, pbft::Commit>) {
          out += " v=" + std::to_string(m.body.view) + " s=" + std::to_string(m.body.sequence);
        } else if constexpr (std::is_same_v<Body, pbft::Checkpoint>) {
          out += " s=" + std::to_string(m.body.sequence);
        } else if constexpr (std::is_same_v<Body, pbft::ViewChange>) {
          out += " to=" + std::to_string(m.body.new_view) +
                 " stable=" + std::to_string(m.body.stable_sequence) +
                 " head=" + std::to_string(m.body.head.height) + " prepared=[";
          for (const auto& certificate : m.body.prepared) {
            out += " s" + std::to_string(certificate.pre_prepare.body.sequence) + "/v" +
                   std::to_string(certificate.pre_prepare.body.view);
          }
          out += " ]";
        } else if constexpr (std::is_same_v<Body, pbft::NewView>) {
          out += " v=" + std::to_string(m.body.view) + " from=[";
          for (const auto& view_change : m.body.view_changes) {
            out += " v" + std::to_string(view_change.sender) +
                   ":head=" + std::to_string(view_change.body.head.height) +
                   ",prepared=" + std::to_string(view_change.body.prepared.size());
          }
          out += " ] reproposals=[";
          for (const auto& pre_prepare : m.body.pre_prepares)
            out += " s" + std::to_string(pre_prepare.body.sequence);
          out += " ]";
        }
      },
      *decoded);
  return out + " (" + std::to_string(message.size()) + "B)";
}

}  // namespace synod::sim
