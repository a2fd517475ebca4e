#include "testnet/soak_check.h"

#include <thread>

#include "client/blocks_answer.h"
#include "client/json_fields.h"
#include "crypto/hex.h"

namespace synod::testnet {

using Clock = std::chrono::steady_clock;

namespace {

constexpr std::uint64_t kBlocksPerRequest = 64;  // the node's cap (kMaxFetchBlocks)

// Blocks 1..height of node `index`, handed one by one to `visit`.
Status walk_blocks(Cluster& cluster, std::size_t index, std::uint64_t height,
                   const std::function<void(const chain::Block&)>& visit) {
  const std::string& name = cluster.node(index).name;
  for (std::uint64_t next = 1; next <= height;) {
    std::uint64_t count = std::min(kBlocksPerRequest, height - next + 1);
    auto answer = cluster.call(index, "get_blocks", {{"from_height", next}, {"max_blocks", count}});
    if (!answer)
      return answer.error();
    auto blocks = client::decode_blocks_answer(*answer, count);
    if (!blocks.problem.empty())
      return make_error(name + ": get_blocks from " + std::to_string(next) + ": " + blocks.problem);
    if (blocks.blocks.empty())
      return make_error(name + " has no block " + std::to_string(next) + " (expected up to " +
                        std::to_string(height) + ")");
    for (const auto& block : blocks.blocks) {
      if (block.header.height != next)
        return make_error(name + " answered block " + std::to_string(block.header.height) +
                          " for height " + std::to_string(next));
      visit(block);
      ++next;
    }
  }
  return Status::success();
}

}  // namespace

Result<std::uint64_t> wait_all_reach(Cluster& cluster, std::chrono::seconds timeout,
                                     const std::function<bool()>& interrupted) {
  std::vector<std::size_t> all;
  for (std::size_t i = 0; i < cluster.size(); ++i)
    all.push_back(i);
  std::uint64_t target = 0;
  for (const auto& [index, height] : cluster.heights(all))
    target = std::max(target, height);
  auto start = Clock::now();
  for (;;) {
    if (interrupted())
      return make_error("interrupted");
    auto heights = cluster.heights(all);
    std::string behind;
    for (std::size_t i : all) {
      auto found = heights.find(i);
      if (found == heights.end())
        behind += " " + cluster.node(i).name + " (no answer)";
      else if (found->second < target)
        behind += " " + cluster.node(i).name + "=" + std::to_string(found->second);
    }
    if (behind.empty())
      return target;
    if (Clock::now() - start >= timeout)
      return make_error("not every validator reached height " + std::to_string(target) +
                        " within " + std::to_string(timeout.count()) + " s:" + behind);
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

Result<LedgerFacts> compare_ledgers(Cluster& cluster, std::uint64_t height) {
  LedgerFacts facts;
  facts.height = height;
  std::vector<crypto::Hash256> reference;
  auto first = walk_blocks(cluster, 0, height, [&](const chain::Block& block) {
    reference.push_back(block.hash());
    facts.state_root_hex = crypto::to_hex(block.header.state_root.view());
    for (const auto& tx : block.transactions)
      facts.tx_hashes.insert(crypto::to_hex(tx.hash().view()));
    facts.transactions += block.transactions.size();
  });
  if (!first)
    return first.error();
  for (std::size_t i = 1; i < cluster.size(); ++i) {
    std::string mismatch;
    auto walked = walk_blocks(cluster, i, height, [&](const chain::Block& block) {
      const auto& expected = reference[block.header.height - 1];
      if (mismatch.empty() && block.hash() != expected)
        mismatch = cluster.node(i).name + " has block " + crypto::to_hex(block.hash().view()) +
                   " at height " + std::to_string(block.header.height) + ", " +
                   cluster.node(0).name + " has " + crypto::to_hex(expected.view());
    });
    if (!walked)
      return walked.error();
    if (!mismatch.empty())
      return make_error("DISAGREEMENT: " + mismatch);
  }
  if (height > 0)
    facts.tip_hash_hex = crypto::to_hex(reference.back().view());
  return facts;
}

Status check_receipts(const std::vector<Receipt>& receipts, const LedgerFacts& ledger) {
  std::size_t missing = 0;
  std::string first;
  for (const auto& receipt : receipts) {
    if (ledger.tx_hashes.count(receipt.hash_hex))
      continue;
    if (++missing <= 3)
      first += "\n    " + receipt.hash_hex + " from " + receipt.sender_hex + " nonce " +
               std::to_string(receipt.nonce) + ", acknowledged by " + receipt.node + " at " +
               std::to_string(receipt.time_ms);
  }
  if (missing == 0)
    return Status::success();
  return make_error(std::to_string(missing) + " of " + std::to_string(receipts.size()) +
                    " acknowledged transactions are not in the ledger at height " +
                    std::to_string(ledger.height) + "; the first:" + first);
}

}  // namespace synod::testnet
