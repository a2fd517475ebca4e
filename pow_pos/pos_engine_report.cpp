// Read-only reports of the PoS engine: status, dump, validator stakes, metrics, notes.
#include "pow_pos/pos_engine_impl.h"

namespace synod::pow_pos {
namespace {

using nlohmann::json;

json pos_counters_json(const PosCounters& c) {
  return {{"tickets_drawn", c.tickets_drawn},
          {"slots_won", c.slots_won},
          {"double_signs_seen", c.double_signs_seen},
          {"evidence_submitted", c.evidence_submitted},
          {"evidence_not_submitted", c.evidence_not_submitted},
          {"dropped_transactions", c.dropped_transactions},
          {"byzantine_blocks", c.byzantine_blocks}};
}

}  // namespace

json PosEngine::status(TimeMs) const {
  const Impl& r = *impl_;
  const chain::Address self = chain::address_of(r.core->key.public_key());
  return {{"mode", "pos"},
          {"tip_work", r.core->tip().chain_work.to_decimal()},  // the chain length
          {"difficulty", next_difficulty().to_decimal()},
          {"tips", live_tips(r.core->tree)},
          {"orphans", r.core->orphans.size()},
          {"proposing", r.proposing()},
          {"stake", r.core->state.account(self).stake},
          {"slashed", r.core->state.account(self).slashed()},
          {"double_signs_seen", r.pos_counters.double_signs_seen},
          {"evidence_submitted", r.pos_counters.evidence_submitted}};
}

json PosEngine::consensus_dump(TimeMs now) const {
  json dump = status(now);
  dump.update(core_dump(*impl_->core));
  dump["pos_counters"] = pos_counters_json(impl_->pos_counters);
  dump["double_sign"] = impl_->double_sign;
  return dump;
}

// Each validator's stake as the best chain's state has it, and whether it was slashed.
json PosEngine::validator_facts() const {
  const Impl& r = *impl_;
  json stakes = json::array();
  for (const auto& validator : r.core->genesis->validators.all()) {
    const chain::Account account = r.core->state.account(chain::address_of(validator.public_key));
    stakes.push_back({{"name", validator.name},
                      {"stake", account.stake},
                      {"unbonding", account.unbonding},
                      {"slashed", account.slashed()}});
  }
  json facts = {{"validators", r.core->genesis->validators.size()}, {"stakes", stakes}};
  if (r.core->participant)
    facts["self"] = *r.core->participant;
  return facts;
}

std::vector<chain::MetricSample> PosEngine::metrics() const {
  using Kind = chain::MetricSample::Kind;
  const PosCounters& c = impl_->pos_counters;
  std::vector<chain::MetricSample> out = core_metrics(*impl_->core);
  out.push_back({"synod_pos_difficulty",
                 "The next block's lottery difficulty",
                 Kind::kGauge,
                 {},
                 next_difficulty().to_double()});
  out.push_back({"synod_pos_slots_won_total",
                 "Lottery tickets that won",
                 Kind::kCounter,
                 {},
                 static_cast<double>(c.slots_won)});
  out.push_back({"synod_pos_double_signs_seen_total",
                 "Double-sign offences detected",
                 Kind::kCounter,
                 {},
                 static_cast<double>(c.double_signs_seen)});
  out.push_back({"synod_pos_evidence_submitted_total",
                 "Slashing evidence put in the mempool",
                 Kind::kCounter,
                 {},
                 static_cast<double>(c.evidence_submitted)});
  return out;
}

std::string PosEngine::progress_note() const {
  return core_progress_note(*impl_->core, "signed");
}

}  // namespace synod::pow_pos
