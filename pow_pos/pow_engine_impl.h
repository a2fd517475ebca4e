// The PowEngine's state: the shared Nakamoto core (nakamoto_core.h) and the miner's job.
// Internal to pow_pos/ (pow_engine.cpp, pow_engine_mining.cpp, pow_engine_report.cpp).
#pragma once

#include <memory>
#include <optional>

#include "pow_pos/nakamoto_core.h"
#include "pow_pos/pow_chain_rules.h"
#include "pow_pos/pow_engine.h"

namespace synod::pow_pos {

struct MiningJob {
  std::uint64_t job = 0;
  chain::Block block;  // nonce 0
  chain::StateDiff diff;
  std::vector<crypto::Hash256> tx_hashes;
  Uint256 target;
};

struct PowEngine::Impl {
  Impl(std::unique_ptr<NakamotoCore> core, bool mine);

  std::unique_ptr<NakamotoCore> core;
  const PowChainRules& rules;
  const chain::PowParams& params;
  bool mine = false;
  std::uint64_t retarget_delay_ms = 0;  // least time between templates for new transactions

  std::optional<MiningJob> job;
  std::uint64_t last_job = 0;
  bool template_timer_armed = false;
  TimeMs last_template_ms = 0;

  bool mining_enabled() const { return mine && core->participant.has_value(); }
  std::optional<Uint256> next_target() const {
    return rules.target_after(core->tree, core->active);
  }

  // pow_engine_mining.cpp
  void tip_changed(TimeMs now, Actions& out);
  void new_template(TimeMs now, Actions& out);
  void mined(std::uint64_t job_id, std::uint64_t nonce, TimeMs now, Actions& out);
  void schedule_template(TimeMs now, Actions& out);
};

}  // namespace synod::pow_pos
