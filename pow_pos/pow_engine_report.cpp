// Read-only reports: status, consensus dump, validator facts, metrics, progress notes.
#include "crypto/hex.h"
#include "pow_pos/pow_engine_impl.h"

namespace synod::pow_pos {
namespace {

using nlohmann::json;

std::string hex(const crypto::Hash256& hash) {
  return crypto::to_hex(hash.view());
}

double difficulty(const chain::PowParams& params, const Uint256& target) {
  if (target.is_zero())
    return 0;
  return Uint256::from_hash(params.initial_target).to_double() / target.to_double();
}

json counters_json(const PowCounters& c) {
  json rejected = json::object();
  for (std::size_t i = 0; i < kRejectionCount; ++i)
    rejected[to_string(static_cast<Rejection>(i))] = c.rejected[i];
  return {{"blocks_accepted", c.blocks_accepted},
          {"blocks_connected", c.blocks_connected},
          {"blocks_mined", c.blocks_mined},
          {"rejected", rejected},
          {"local_errors", c.local_errors},
          {"duplicates", c.duplicates},
          {"reorgs", c.reorgs},
          {"deepest_reorg", c.deepest_reorg},
          {"deep_reorgs_refused", c.deep_reorgs_refused},
          {"orphans_added", c.orphans_added},
          {"orphans_connected", c.orphans_connected},
          {"orphans_evicted", c.orphans_evicted},
          {"transactions_returned", c.transactions_returned},
          {"fetches", c.fetches},
          {"templates", c.templates},
          {"stale_mining_reports", c.stale_mining_reports},
          {"bad_mining_reports", c.bad_mining_reports}};
}

std::uint64_t total_rejected(const PowCounters& c) {
  std::uint64_t total = 0;
  for (std::uint64_t count : c.rejected)
    total += count;
  return total;
}

std::size_t live_tips(const BlockTree& tree) {
  std::size_t n = 0;
  for (const TreeEntry* leaf : tree.leaves())
    n += leaf->validity != Validity::kInvalid ? 1 : 0;
  return n;
}

}  // namespace

json PowEngine::status(TimeMs) const {
  const Impl& r = *impl_;
  const Uint256 target = next_target();
  return {{"mode", "pow"},
          {"tip_work", r.tip().chain_work.to_decimal()},
          {"target", target.to_hex()},
          {"difficulty", difficulty(r.params, target)},
          {"tips", live_tips(r.tree)},
          {"orphans", r.orphans.size()},
          {"mining", r.mining_enabled()}};
}

// Like Bitcoin's getchaintips: each leaf with its branch length off the best chain.
json PowEngine::consensus_dump(TimeMs now) const {
  const Impl& r = *impl_;
  json tips = json::array();
  for (const TreeEntry* leaf : r.tree.leaves()) {
    auto fork = r.tree.fork_point(r.active, leaf->hash);
    const std::uint64_t fork_height = fork ? r.tree.find(*fork)->height() : 0;
    std::string status = leaf->hash == r.active ? "active" : to_string(leaf->validity);
    json tip = {{"height", leaf->height()},
                {"hash", hex(leaf->hash)},
                {"chain_work", leaf->chain_work.to_decimal()},
                {"branch_length", leaf->height() - fork_height},
                {"status", status}};
    if (leaf->invalid_reason)
      tip["reason"] = to_string(*leaf->invalid_reason);
    tips.push_back(tip);
  }
  json recent = json::array();
  for (const RejectionRecord& rejection : r.recent) {
    recent.push_back({{"hash", hex(rejection.hash)},
                      {"height", rejection.height},
                      {"from", rejection.from ? json(*rejection.from) : json(nullptr)},
                      {"reason", rejection.reason},
                      {"detail", rejection.detail},
                      {"at_ms", rejection.at_ms}});
  }
  json dump = status(now);
  dump["head"] = {{"height", r.tip().height()}, {"hash", hex(r.active)}};
  dump["tree_blocks"] = r.tree.size();
  dump["tree_root_height"] = r.tree.root().height();
  dump["chain_tips"] = tips;
  dump["orphan_bytes"] = r.orphans.bytes();
  dump["recent_rejections"] = recent;
  dump["counters"] = counters_json(r.counters);
  dump["mining_job"] = r.job ? r.job->job : 0;
  dump["peers"] = r.peers;
  return dump;
}

json PowEngine::validator_facts() const {
  const Impl& r = *impl_;
  json facts = {{"miners", r.genesis->validators.size()}};
  if (r.participant)
    facts["self"] = *r.participant;
  return facts;
}

std::vector<chain::MetricSample> PowEngine::metrics() const {
  using Kind = chain::MetricSample::Kind;
  const Impl& r = *impl_;
  const PowCounters& c = r.counters;
  auto value = [](std::uint64_t n) { return static_cast<double>(n); };
  std::vector<chain::MetricSample> out = {
      {"synod_pow_blocks_accepted_total",
       "Blocks that joined the block tree",
       Kind::kCounter,
       {},
       value(c.blocks_accepted)},
      {"synod_pow_blocks_mined_total",
       "Blocks this node mined",
       Kind::kCounter,
       {},
       value(c.blocks_mined)},
      {"synod_pow_reorgs_total", "Switches to another branch", Kind::kCounter, {}, value(c.reorgs)},
      {"synod_pow_deepest_reorg_blocks",
       "Blocks undone by the deepest reorg",
       Kind::kGauge,
       {},
       value(c.deepest_reorg)},
      {"synod_pow_deep_reorgs_refused_total",
       "Heavier branches refused for forking too deep",
       Kind::kCounter,
       {},
       value(c.deep_reorgs_refused)},
      {"synod_pow_orphans",
       "Blocks waiting for their parent",
       Kind::kGauge,
       {},
       value(r.orphans.size())},
      {"synod_pow_local_errors_total",
       "Failures of this node (not of a block)",
       Kind::kCounter,
       {},
       value(c.local_errors)},
      {"synod_pow_difficulty",
       "Initial target / next target",
       Kind::kGauge,
       {},
       difficulty(r.params, next_target())},
  };
  for (std::size_t i = 0; i < kRejectionCount; ++i) {
    out.push_back({"synod_pow_blocks_rejected_total",
                   "Blocks rejected, by reason",
                   Kind::kCounter,
                   {{"reason", to_string(static_cast<Rejection>(i))}},
                   value(c.rejected[i])});
  }
  return out;
}

std::string PowEngine::progress_note() const {
  const Impl& r = *impl_;
  const PowCounters& c = r.counters;
  const std::uint64_t height = r.tip().height();
  std::string note =
      "pow: height " + std::to_string(height) + " (" + (height >= r.noted_height ? "+" : "-") +
      std::to_string(height >= r.noted_height ? height - r.noted_height : r.noted_height - height) +
      "), " + std::to_string(c.blocks_mined - r.noted.blocks_mined) + " mined, " +
      std::to_string(c.reorgs - r.noted.reorgs) + " reorgs, " +
      std::to_string(total_rejected(c) - total_rejected(r.noted)) + " rejected, " +
      std::to_string(r.orphans.size()) + " orphans";
  r.noted = c;
  r.noted_height = height;
  return note;
}

}  // namespace synod::pow_pos
