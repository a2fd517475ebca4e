// The PosEngine's construction and its inputs; the chain work is in nakamoto_*.cpp,
// proposing in pos_engine_propose.cpp, the slasher in pos_slasher.cpp.
#include "pow_pos/pos_engine.h"

#include "pow_pos/pos_engine_impl.h"

namespace synod::pow_pos {

PosEngine::Impl::Impl(std::unique_ptr<NakamotoCore> chain_core, bool double_signer,
                      bool reports_evidence)
    : core(std::move(chain_core)),
      rules(static_cast<const PosChainRules&>(*core->rules)),
      params(rules.params()),
      double_sign(double_signer),
      report_evidence(reports_evidence) {
  core->on_tip_changed = [this](TimeMs now, Actions& out) { tip_changed(now, out); };
  core->on_block_admitted = [this](const TreeEntry& entry, TimeMs now, Actions& out) {
    watch(entry, now, out);
  };
}

Result<std::unique_ptr<PosEngine>> PosEngine::create(chain::EngineSetup setup) {
  if (!setup.genesis || setup.genesis->mode != chain::ConsensusMode::kPos)
    return make_error("pos: the genesis is not a proof-of-stake genesis");
  if (setup.mempool == nullptr)
    return make_error("pos: the engine needs a mempool");
  bool double_sign = false;
  for (const std::string& name : setup.byzantine) {
    if (name != kDoubleSign)
      return make_error("pos: unknown Byzantine behaviour \"" + name + "\" (double-sign)");
    double_sign = true;
  }
  if (double_sign && !setup.participant)
    return make_error("--byzantine needs a validator's key (this is a full node)");
  setup.state.adopt_rules(*setup.genesis);  // a state read back from the store has none
  auto core =
      recover_core(setup, std::make_unique<PosChainRules>(
                              setup.genesis->pos, chain::SigningDomain::of(*setup.genesis)));
  if (!core)
    return core.error();
  return std::unique_ptr<PosEngine>(
      new PosEngine(std::make_unique<Impl>(std::move(*core), double_sign, setup.report_evidence)));
}

PosEngine::PosEngine(std::unique_ptr<Impl> impl)
    : NakamotoEngine(*impl->core), impl_(std::move(impl)) {}
PosEngine::~PosEngine() = default;

Actions PosEngine::start(TimeMs now) {
  Actions out;
  impl_->watch_recovered(now, out);  // blocks recovered from the store are headers seen
  impl_->core->start(now, out);
  return out;
}

Actions PosEngine::on_transactions(TimeMs) {
  return {};  // the next won slot takes them
}

Actions PosEngine::on_timer(std::uint32_t id, TimeMs now) {
  Actions out;
  if (id == kSyncTimer) {
    impl_->core->sync_tick(now, out);
  } else if (id == kSlotTimer) {
    impl_->slot_timer_armed = false;
    impl_->on_slot(now, out);
  }
  return out;
}

const PosCounters& PosEngine::pos_counters() const {
  return impl_->pos_counters;
}

Uint256 PosEngine::next_difficulty() const {
  return impl_->difficulty_after(impl_->core->active).value_or(Uint256());
}

}  // namespace synod::pow_pos
