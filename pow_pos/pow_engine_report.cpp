// Read-only reports: status, consensus dump, validator facts, metrics, progress notes (the
// mode-neutral parts are in nakamoto_report.cpp).
#include "pow_pos/pow_engine_impl.h"

namespace synod::pow_pos {
namespace {

using nlohmann::json;

double difficulty(const chain::PowParams& params, const Uint256& target) {
  if (target.is_zero())
    return 0;
  return Uint256::from_hash(params.initial_target).to_double() / target.to_double();
}

}  // namespace

json PowEngine::status(TimeMs) const {
  const Impl& r = *impl_;
  const Uint256 target = next_target();
  return {{"mode", "pow"},
          {"tip_work", r.core->tip().chain_work.to_decimal()},
          {"target", target.to_hex()},
          {"difficulty", difficulty(r.params, target)},
          {"tips", live_tips(r.core->tree)},
          {"orphans", r.core->orphans.size()},
          {"mining", r.mining_enabled()}};
}

json PowEngine::consensus_dump(TimeMs now) const {
  json dump = status(now);
  dump.update(core_dump(*impl_->core));
  dump["mining_job"] = current_job();
  return dump;
}

json PowEngine::validator_facts() const {
  const Impl& r = *impl_;
  json facts = {{"miners", r.core->genesis->validators.size()}};
  if (r.core->participant)
    facts["self"] = *r.core->participant;
  return facts;
}

std::vector<chain::MetricSample> PowEngine::metrics() const {
  std::vector<chain::MetricSample> out = core_metrics(*impl_->core);
  out.push_back({"synod_pow_difficulty",
                 "Initial target / next target",
                 chain::MetricSample::Kind::kGauge,
                 {},
                 difficulty(impl_->params, next_target())});
  return out;
}

std::string PowEngine::progress_note() const {
  return core_progress_note(*impl_->core, "mined");
}

}  // namespace synod::pow_pos
