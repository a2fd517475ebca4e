// `synod-testnet status` for a proof-of-work testnet: whether the miners agree, judged the
// way longest-chain finality works. Two nodes agree when their best chains hold the same
// block `depth` blocks below the lowest tip; their tips may differ — a node a block or two
// behind, or two miners that found competing blocks at the same height (a fork at the tip
// that the next block settles) — and neither is a disagreement.
//
// judge_pow_agreement is a pure function of what the nodes reported, so that it can be
// tested without nodes; check_pow_agreement asks the nodes.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "testnet/cluster.h"

namespace synod::testnet {

// How deep below the lowest tip the best chains must agree: six blocks, as Bitcoin users
// count a payment settled.
inline constexpr std::uint64_t kPowAgreementDepth = 6;

// What one answering node reported.
struct PowNodeView {
  std::string name;
  std::uint64_t tip_height = 0;
  std::string tip_hash;
  std::string tip_work;       // decimal, as status reports it
  std::string compared_hash;  // its best chain's block at the compared height ("": none)
  bool tip_on_best = false;   // its tip is on the best chain of the node with most work
};

struct PowAgreement {
  bool agree = false;
  std::uint64_t height = 0;  // the compared height: the lowest tip minus depth (or 0)
  std::string hash_hex;      // the block all nodes hold there, when they agree
  std::uint64_t lowest_tip = 0;
  std::uint64_t highest_tip = 0;
  std::size_t nodes = 0;
  bool same_tip = false;
  bool fork_at_tip = false;              // some tip is off the best chain of the most work
  std::vector<std::string> behind;       // nodes whose tip is an ancestor of the best tip
  std::vector<std::string> side_branch;  // nodes whose tip is on another branch
  std::string message;                   // one line for people
  nlohmann::json to_json(std::uint64_t depth) const;
};

// The height the nodes are compared at: `depth` below the lowest tip, or block 0.
std::uint64_t pow_compared_height(std::uint64_t lowest_tip, std::uint64_t depth);

// True when decimal `a` is a larger number than decimal `b` (chain work exceeds 64 bits).
bool more_work(const std::string& a, const std::string& b);

// The verdict on `views` (at least one), compared at pow_compared_height(lowest, depth).
PowAgreement judge_pow_agreement(const std::vector<PowNodeView>& views, std::uint64_t depth,
                                 std::size_t testnet_nodes);

// Asks the nodes whose status answers are in `answers` (node index, status JSON) for the
// blocks to compare, and judges.
PowAgreement check_pow_agreement(Cluster& cluster,
                                 const std::vector<std::pair<std::size_t, nlohmann::json>>& answers,
                                 std::uint64_t depth = kPowAgreementDepth);

// A node's line of the PoW status table, from its status answer (null: it did not answer).
std::vector<std::string> pow_status_cells(const nlohmann::json& status);

}  // namespace synod::testnet
