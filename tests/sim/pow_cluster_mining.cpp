// PowCluster's virtual miners: a MineAction is ground at once with real hashes and its hit
// delivered (k - 1 + a random phase) / hash_rate virtual seconds later, unless cancelled
// first (pow_grind.h).
#include "tests/sim/pow_cluster.h"
#include "tests/sim/pow_grind.h"

namespace synod::sim {

void PowCluster::start_job(SlotId slot, const chain::MineAction& action) {
  PowNode& node = *nodes_.at(slot);
  const std::uint64_t token = ++next_mining_token_;
  node.mining_token = token;  // replaces (cancels) any earlier job
  if (!mining_enabled_ || node.hash_rate <= 0)
    return;
  if (!std::holds_alternative<chain::PowSeal>(action.header.seal)) {
    fault(slot, "a mining job whose header has no proof-of-work seal");
    return;
  }
  // A random first nonce, as a real miner's extra nonce gives: a job re-issued with the same
  // header is a fresh trial, not a replay of the last one.
  const std::uint64_t first_nonce = mining_rng_.next();
  auto hit = grind(action.header, first_nonce, options_.max_grind_hashes);
  if (!hit) {
    fault(slot, "no nonce within " + std::to_string(options_.max_grind_hashes) + " hashes");
    return;
  }
  node.hashes += hit->hashes;
  const std::uint64_t incarnation = node.incarnation;
  chain::BlockHeader header = action.header;
  std::get<chain::PowSeal>(header.seal).nonce = hit->nonce;
  const double phase = mining_rng_.unit();
  queue_.schedule(
      queue_.now() + mining_delay_ms(hit->hashes, phase, node.hash_rate),
      [this, slot, token, incarnation, job = action.job, header] {
        PowNode& miner = *nodes_.at(slot);
        if (!mining_enabled_ || miner.incarnation != incarnation || miner.mining_token != token)
          return;  // replaced, stopped or crashed since
        miner.mining_token = 0;
        deliver_hit(slot, job, header);
      });
}

void PowCluster::deliver_hit(SlotId slot, std::uint64_t job, const chain::BlockHeader& header) {
  PowNode& node = *nodes_.at(slot);
  const std::uint64_t nonce = std::get<chain::PowSeal>(header.seal).nonce;
  const crypto::Hash256 hash = header.hash();
  events_.mix(0x3A);
  events_.mix(slot);
  events_.mix(fnv1a(hash.view()));
  trace("n" + std::to_string(slot) + " MINED h=" + std::to_string(header.height));
  drive(slot, [this, job, nonce](chain::Engine& engine) {
    return engine.on_block_mined(job, nonce, queue_.now());
  });
  if (!node.up() || node.engine->head().hash != hash)
    return;  // the engine refused it (a clock check) or a hook moved on
  ++node.blocks_mined;
  record_mined(slot, node.store.head());
  if (hooks_.on_mined)
    hooks_.on_mined(node, node.store.head(), queue_.now());
}

}  // namespace synod::sim
