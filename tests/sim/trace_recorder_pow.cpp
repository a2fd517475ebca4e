// The proof-of-work events of a recorded run (trace_recorder.h): what the chart needs to
// show who mined what, where the chain forked, who reorganised and which blocks were lost.
#include "tests/sim/trace_recorder.h"

namespace synod::sim {

using nlohmann::json;

void TraceRecorder::on_mined(SlotId slot, std::uint64_t height, const std::string& hash,
                             const std::string& prev_hash, std::size_t transactions, TimeMs at_ms) {
  add({{"kind", "mined"},
       {"node", slot},
       {"height", height},
       {"hash", hash},
       {"prev", prev_hash},
       {"txs", transactions}},
      at_ms);
  auto& here = mined_at_[height];
  for (const auto& [seen, miner] : here) {
    if (seen == hash)
      return;  // the same block again (cannot happen with distinct miners, but cheap to say)
  }
  here.emplace_back(hash, slot);
  if (here.size() < 2)
    return;
  json hashes = json::array();
  json miners = json::array();
  for (const auto& [seen, miner] : here) {
    hashes.push_back(seen);
    miners.push_back(miner);
  }
  add({{"kind", "fork"},
       {"node", slot},
       {"height", height},
       {"hashes", hashes},
       {"miners", miners}},
      at_ms);
}

void TraceRecorder::on_tip(SlotId slot, std::uint64_t height, const std::string& hash,
                           std::optional<SlotId> miner, TimeMs at_ms) {
  json event = {{"kind", "tip"}, {"node", slot}, {"height", height}, {"hash", hash}};
  if (miner)
    event["miner"] = *miner;
  add(std::move(event), at_ms);
}

void TraceRecorder::on_reorg(SlotId slot, std::uint64_t fork_height,
                             const std::vector<std::string>& abandoned, std::uint64_t height,
                             const std::string& hash, TimeMs at_ms) {
  add({{"kind", "reorg"},
       {"node", slot},
       {"fork_height", fork_height},
       {"depth", abandoned.size()},
       {"abandoned", abandoned},
       {"height", height},
       {"hash", hash}},
      at_ms);
}

void TraceRecorder::mark_orphans(const std::set<std::string>& final_chain) {
  orphans_ = 0;
  for (auto& event : events_) {
    if (event["kind"] != "mined")
      continue;
    const bool orphaned = final_chain.count(event["hash"].get<std::string>()) == 0;
    event["orphaned"] = orphaned;
    orphans_ += orphaned ? 1 : 0;
  }
}

}  // namespace synod::sim
