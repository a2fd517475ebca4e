// The PowEngine's construction and its inputs; the chain work is in nakamoto_*.cpp, the
// mining in pow_engine_mining.cpp.
#include "pow_pos/pow_engine.h"

#include <algorithm>

#include "pow_pos/pow_engine_impl.h"

namespace synod::pow_pos {

PowEngine::Impl::Impl(std::unique_ptr<NakamotoCore> chain_core, bool mine_blocks)
    : core(std::move(chain_core)),
      rules(static_cast<const PowChainRules&>(*core->rules)),
      params(rules.params()),
      mine(mine_blocks),
      retarget_delay_ms(std::max<std::uint64_t>(1, params.block_interval_ms / 4)) {
  core->on_tip_changed = [this](TimeMs now, Actions& out) { tip_changed(now, out); };
}

Result<std::unique_ptr<PowEngine>> PowEngine::create(chain::EngineSetup setup) {
  if (!setup.genesis || setup.genesis->mode != chain::ConsensusMode::kPow)
    return make_error("pow: the genesis is not a proof-of-work genesis");
  if (setup.mempool == nullptr)
    return make_error("pow: the engine needs a mempool");
  if (!setup.byzantine.empty())
    return make_error("pow: no Byzantine behaviours exist for proof-of-work yet");
  auto core = recover_core(setup, std::make_unique<PowChainRules>(setup.genesis->pow));
  if (!core)
    return core.error();
  return std::unique_ptr<PowEngine>(
      new PowEngine(std::make_unique<Impl>(std::move(*core), setup.mine)));
}

PowEngine::PowEngine(std::unique_ptr<Impl> impl)
    : NakamotoEngine(*impl->core), impl_(std::move(impl)) {}
PowEngine::~PowEngine() = default;

Actions PowEngine::start(TimeMs now) {
  Actions out;
  impl_->core->start(now, out);
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
    r.core->sync_tick(now, out);
  } else if (id == kTemplateTimer) {
    r.template_timer_armed = false;
    if (r.mining_enabled())
      r.new_template(now, out);
  }
  return out;
}

Actions PowEngine::on_block_mined(std::uint64_t job, std::uint64_t nonce, TimeMs now) {
  Actions out;
  impl_->mined(job, nonce, now, out);
  return out;
}

Uint256 PowEngine::tip_work() const {
  return impl_->core->tip().chain_work;
}

Uint256 PowEngine::next_target() const {
  return impl_->next_target().value_or(Uint256());
}

std::uint64_t PowEngine::current_job() const {
  return impl_->job ? impl_->job->job : 0;
}

std::size_t PowEngine::orphan_count() const {
  return impl_->core->orphans.size();
}

bool PowEngine::mining() const {
  return impl_->mining_enabled();
}

}  // namespace synod::pow_pos
