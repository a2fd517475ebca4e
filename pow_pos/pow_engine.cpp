// The PowEngine's construction and its inputs; the work is in pow_engine_*.cpp.
#include "pow_pos/pow_engine.h"

#include "pow_pos/pow_engine_impl.h"
#include "pow_pos/pow_messages.h"

namespace synod::pow_pos {

PowEngine::Impl::Impl(chain::EngineSetup& setup, BlockTree block_tree, PowLimits engine_limits)
    : genesis(setup.genesis),
      params(genesis->pow),
      key(setup.key),
      participant(setup.participant),
      mempool(*setup.mempool),
      signature_check(setup.signature_check),
      mine(setup.mine),
      limits(engine_limits),
      genesis_block_hash(chain::make_genesis_block(*genesis).hash()),
      tree(std::move(block_tree)),
      orphans(limits.max_orphans, limits.max_orphan_bytes),
      active(setup.head.hash()),
      state(std::move(setup.state)) {
  noted_height = tree.find(active)->height();
}

Result<std::unique_ptr<PowEngine>> PowEngine::create(chain::EngineSetup setup) {
  if (!setup.genesis || setup.genesis->mode != chain::ConsensusMode::kPow)
    return make_error("pow: the genesis is not a proof-of-work genesis");
  if (setup.mempool == nullptr)
    return make_error("pow: the engine needs a mempool");
  if (!setup.byzantine.empty())
    return make_error("pow: no Byzantine behaviours exist for proof-of-work yet");
  auto impl = recover_engine(setup);
  if (!impl)
    return impl.error();
  return std::unique_ptr<PowEngine>(new PowEngine(std::move(*impl)));
}

PowEngine::PowEngine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PowEngine::~PowEngine() = default;

Actions PowEngine::start(TimeMs now) {
  Actions out;
  Impl& r = *impl_;
  // Side branches from the store may outweigh the stored head (a crash between storing a
  // side block and switching to its branch).
  const crypto::Hash256 old_tip = r.active;
  r.activate_best(now, out);
  if (r.active != old_tip)
    r.after_tip_change(now, out);
  else if (r.mining_enabled())
    r.new_template(now, out);
  r.sync_tick(now, out);
  return out;
}

Actions PowEngine::on_message(chain::ReplicaIndex from, ByteView message, TimeMs now) {
  Actions out;
  Impl& r = *impl_;
  auto block = decode_block_message(message);
  if (!block) {
    r.record(crypto::Hash256{}, 0, from, Verdict::rejected(Rejection::kMalformed, block.message()),
             now);
    return out;
  }
  std::vector<chain::Block> blocks;
  blocks.push_back(std::move(*block));
  r.receive(std::move(blocks), from, /*relay=*/true, now, out);
  return out;
}

Actions PowEngine::on_transactions(TimeMs now) {
  Actions out;
  impl_->schedule_template(now, out);
  return out;
}

Actions PowEngine::on_timer(std::uint32_t id, TimeMs now) {
  Actions out;
  Impl& r = *impl_;
  if (id == kSyncTimer) {
    r.sync_tick(now, out);
  } else if (id == kTemplateTimer) {
    r.template_timer_armed = false;
    if (r.mining_enabled())
      r.new_template(now, out);
  }
  return out;
}

Actions PowEngine::on_block_stored(std::uint64_t, TimeMs) {
  return {};  // the engine runs ahead of storage; nothing waits for it
}

Actions PowEngine::on_blocks_fetched(chain::ReplicaIndex peer, std::vector<chain::Block> blocks,
                                     TimeMs now) {
  Actions out;
  impl_->fetched(peer, std::move(blocks), now, out);
  return out;
}

Actions PowEngine::on_block_mined(std::uint64_t job, std::uint64_t nonce, TimeMs now) {
  Actions out;
  impl_->mined(job, nonce, now, out);
  return out;
}

chain::ChainHead PowEngine::head() const {
  return chain::ChainHead{impl_->tip().height(), impl_->active};
}

const chain::State& PowEngine::state() const {
  return impl_->state;
}

std::string PowEngine::message_type(ByteView message) const {
  return message_type_name(message);
}

const PowCounters& PowEngine::counters() const {
  return impl_->counters;
}

Uint256 PowEngine::tip_work() const {
  return impl_->tip().chain_work;
}

Uint256 PowEngine::next_target() const {
  return impl_->target_after(impl_->active).value_or(Uint256());
}

std::uint64_t PowEngine::current_job() const {
  return impl_->job ? impl_->job->job : 0;
}

std::size_t PowEngine::orphan_count() const {
  return impl_->orphans.size();
}

std::size_t PowEngine::tree_size() const {
  return impl_->tree.size();
}

bool PowEngine::mining() const {
  return impl_->mining_enabled();
}

}  // namespace synod::pow_pos
