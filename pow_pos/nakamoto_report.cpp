// The reports both Nakamoto modes give: counters, chain tips, rejections, metrics, notes.
#include "crypto/hex.h"
#include "pow_pos/nakamoto_core.h"

namespace synod::pow_pos {
namespace {

using nlohmann::json;

std::string hex(const crypto::Hash256& hash) {
  return crypto::to_hex(hash.view());
}

// Like Bitcoin's getchaintips: each leaf with its branch length off the best chain.
json chain_tips(const NakamotoCore& core) {
  json tips = json::array();
  for (const TreeEntry* leaf : core.tree.leaves()) {
    auto fork = core.tree.fork_point(core.active, leaf->hash);
    const std::uint64_t fork_height = fork ? core.tree.find(*fork)->height() : 0;
    std::string status = leaf->hash == core.active ? "active" : to_string(leaf->validity);
    json tip = {{"height", leaf->height()},
                {"hash", hex(leaf->hash)},
                {"chain_work", leaf->chain_work.to_decimal()},
                {"branch_length", leaf->height() - fork_height},
                {"status", status}};
    if (leaf->invalid_reason)
      tip["reason"] = to_string(*leaf->invalid_reason);
    tips.push_back(tip);
  }
  return tips;
}

}  // namespace

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

json core_dump(const NakamotoCore& core) {
  json recent = json::array();
  for (const RejectionRecord& rejection : core.recent) {
    recent.push_back({{"hash", hex(rejection.hash)},
                      {"height", rejection.height},
                      {"from", rejection.from ? json(*rejection.from) : json(nullptr)},
                      {"reason", rejection.reason},
                      {"detail", rejection.detail},
                      {"at_ms", rejection.at_ms}});
  }
  return {{"head", {{"height", core.tip().height()}, {"hash", hex(core.active)}}},
          {"tree_blocks", core.tree.size()},
          {"tree_root_height", core.tree.root().height()},
          {"chain_tips", chain_tips(core)},
          {"orphan_bytes", core.orphans.bytes()},
          {"recent_rejections", recent},
          {"counters", counters_json(core.counters)},
          {"peers", core.peers}};
}

std::string core_progress_note(const NakamotoCore& core, const std::string& produced_verb) {
  const PowCounters& c = core.counters;
  const std::uint64_t height = core.tip().height();
  const std::uint64_t before = core.noted_height;
  std::string note = core.shape.mode + ": height " + std::to_string(height) + " (" +
                     (height >= before ? "+" : "-") +
                     std::to_string(height >= before ? height - before : before - height) + "), " +
                     std::to_string(c.blocks_mined - core.noted.blocks_mined) + " " +
                     produced_verb + ", " + std::to_string(c.reorgs - core.noted.reorgs) +
                     " reorgs, " + std::to_string(total_rejected(c) - total_rejected(core.noted)) +
                     " rejected, " + std::to_string(core.orphans.size()) + " orphans";
  core.noted = c;
  core.noted_height = height;
  return note;
}

std::vector<chain::MetricSample> core_metrics(const NakamotoCore& core) {
  using Kind = chain::MetricSample::Kind;
  const PowCounters& c = core.counters;
  const std::string prefix = "synod_" + core.shape.mode + "_";
  const bool pow = core.shape.mode == "pow";
  auto value = [](std::uint64_t n) { return static_cast<double>(n); };
  std::vector<chain::MetricSample> out = {
      {prefix + "blocks_accepted_total",
       "Blocks that joined the block tree",
       Kind::kCounter,
       {},
       value(c.blocks_accepted)},
      {prefix + (pow ? "blocks_mined_total" : "blocks_proposed_total"),
       pow ? "Blocks this node mined" : "Blocks this node signed",
       Kind::kCounter,
       {},
       value(c.blocks_mined)},
      {prefix + "reorgs_total", "Switches to another branch", Kind::kCounter, {}, value(c.reorgs)},
      {prefix + "deepest_reorg_blocks",
       "Blocks undone by the deepest reorg",
       Kind::kGauge,
       {},
       value(c.deepest_reorg)},
      {prefix + "deep_reorgs_refused_total",
       "Heavier branches refused for forking too deep",
       Kind::kCounter,
       {},
       value(c.deep_reorgs_refused)},
      {prefix + "orphans",
       "Blocks waiting for their parent",
       Kind::kGauge,
       {},
       value(core.orphans.size())},
      {prefix + "local_errors_total",
       "Failures of this node (not of a block)",
       Kind::kCounter,
       {},
       value(c.local_errors)},
  };
  for (std::size_t i = 0; i < kRejectionCount; ++i) {
    out.push_back({prefix + "blocks_rejected_total",
                   "Blocks rejected, by reason",
                   Kind::kCounter,
                   {{"reason", to_string(static_cast<Rejection>(i))}},
                   value(c.rejected[i])});
  }
  return out;
}

}  // namespace synod::pow_pos
