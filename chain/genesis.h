// The genesis: chain id, consensus mode and its parameters, the validator set and the
// funded accounts. Loaded from JSON and validated in full; its hash (over a canonical
// binary encoding) is the previous-hash of block 0, so two nodes with different geneses
// can never share a chain.
//
// In proof-of-work mode ("consensus": "pow") the `validators` list names the miners (name,
// public key, peer address; at least one): they are the peers a miner talks to, and only
// their keys mine (a full node follows them). `power` is accepted but unused there. The
// optional "pow" object holds the mining parameters (PowParams); it is part of the hash
// in PoW mode only, so a PBFT genesis keeps the hash it always had.
//
// In proof-of-stake mode ("consensus": "pos") the `validators` list names the stakers'
// nodes; the stakes themselves are the accounts' `stake` (at least one validator must hold
// some). The optional "pos" object (PosParams) is hashed in PoS mode only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "chain/address.h"
#include "crypto/ed25519.h"
#include "crypto/sha256.h"

namespace synod::chain {

enum class ConsensusMode : std::uint8_t { kPbft = 1, kPow = 2, kPos = 3 };
const char* to_string(ConsensusMode mode);
Result<ConsensusMode> parse_consensus_mode(std::string_view text);

struct ValidatorInfo {
  std::string name;
  crypto::PublicKey public_key;
  std::string peer_address;  // host:port other validators dial
  std::uint64_t power = 1;   // voting power (PBFT: 1 each) or stake (PoS)
};

// The validators in genesis order; validator i is the PBFT primary of views v with
// v mod n == i.
class ValidatorSet {
 public:
  ValidatorSet() = default;
  explicit ValidatorSet(std::vector<ValidatorInfo> validators);

  std::size_t size() const { return validators_.size(); }
  // Largest f with n >= 3f+1.
  std::size_t max_faulty() const { return validators_.empty() ? 0 : (size() - 1) / 3; }
  // Smallest count any two of which intersect in at least f+1 validators: 2f+1 when n = 3f+1.
  std::size_t quorum() const { return (size() + max_faulty()) / 2 + 1; }
  std::optional<std::uint32_t> index_of(const crypto::PublicKey& key) const;
  const ValidatorInfo& at(std::size_t index) const { return validators_.at(index); }
  const std::vector<ValidatorInfo>& all() const { return validators_; }

 private:
  std::vector<ValidatorInfo> validators_;
};

struct GenesisAccount {
  Address address;
  std::uint64_t balance = 0;
  std::uint64_t stake = 0;
};

// PBFT parameters every validator must agree on, and defaults for the timing ones.
struct PbftParams {
  std::uint64_t checkpoint_interval = 16;  // K: blocks between checkpoints
  std::uint64_t watermark_window = 64;  // L: how far past the stable checkpoint a primary may run
  std::uint64_t max_block_transactions = 2000;
  std::uint64_t max_block_bytes = 1024 * 1024;
  std::uint64_t batch_delay_ms = 2;              // a block closes after this delay if not full
  std::uint64_t view_change_timeout_ms = 2000;   // base request timeout, doubled per failed view
  std::uint64_t empty_block_interval_ms = 1000;  // idle primary heartbeat block; 0 = never
};

// Proof-of-work parameters every miner must agree on (genesis "pow" object). Targets are
// 256-bit numbers written as 64 big-endian hex digits; a block's hash, read the same way,
// must not exceed its target.
struct PowParams {
  // The easiest target the chain allows: block 1's target, and the cap of every retarget.
  crypto::Hash256 initial_target = default_initial_target();
  std::uint64_t block_interval_ms = 5000;  // the block spacing retargeting aims at
  // Per-block retarget: the next target is the mean target of the last `retarget_window`
  // blocks scaled by (their actual timespan / the expected one) ...
  std::uint64_t retarget_window = 20;
  // ... and moves at most this factor per block (1: a fixed difficulty).
  std::uint64_t max_retarget_factor = 4;
  // Deepest reorg a node performs; a heavier branch forking deeper is refused.
  std::uint64_t max_reorg_depth = 100;
  std::uint64_t block_reward = 50;        // minted to each block's proposer, on top of fees
  std::uint64_t max_future_ms = 15'000;   // a timestamp may run this far ahead of a node's now
  std::uint64_t median_time_window = 11;  // a timestamp must exceed the median of this many
  std::uint64_t max_block_transactions = 2000;
  std::uint64_t max_block_bytes = 1024 * 1024;

  // 0x0000ffff...ff: about 65,536 hashes per block, a fraction of a second on one core.
  static crypto::Hash256 default_initial_target();
};

// Proof-of-stake parameters (genesis "pos" object). Heights count blocks; the unbonding
// delay must exceed the evidence window, so stake cannot leave before a slash for any
// offence it backed can land.
struct PosParams {
  // The lottery's difficulty for block 1 (and the floor of nothing else): a validator with
  // stake s wins a given second with probability about s / difficulty. 0 in JSON, or
  // absent: total initial stake * block_interval_ms / 1000, so blocks come about once per
  // interval at the start.
  std::uint64_t initial_difficulty = 0;
  std::uint64_t block_interval_ms = 2000;  // the spacing difficulty adjustment aims at
  std::uint64_t retarget_window = 10;      // blocks averaged by the adjustment
  std::uint64_t max_retarget_factor = 2;   // per-block change bound (1: fixed difficulty)
  std::uint64_t unbonding_delay = 30;      // blocks until unstaked coins are spendable
  std::uint64_t evidence_window = 20;      // blocks after an offence its evidence is valid
  std::uint64_t slash_percent = 50;        // of the offender's stake and unbonding coins
  std::uint64_t reporter_percent = 10;     // of what is slashed, paid to the reporter
  std::uint64_t block_reward = 10;         // minted to each block's proposer
  std::uint64_t max_reorg_depth = 100;
  std::uint64_t max_future_ms = 3000;  // a slot may start this far ahead of a node's now
  std::uint64_t max_block_transactions = 2000;
  std::uint64_t max_block_bytes = 1024 * 1024;
};

// floor(amount * percent / 100) without overflow (percent <= 100): how the ledger takes
// slash_percent and reporter_percent (state_pos.cpp), for anyone who checks a slash.
std::uint64_t percent_of(std::uint64_t amount, std::uint64_t percent);

struct Genesis {
  std::string chain_id;
  ConsensusMode mode = ConsensusMode::kPbft;
  std::uint64_t genesis_time_ms = 0;
  PbftParams pbft;
  PowParams pow;  // meaningful (and hashed) only when mode == kPow
  PosParams pos;  // meaningful (and hashed) only when mode == kPos
  ValidatorSet validators;
  std::vector<GenesisAccount> accounts;

  crypto::Hash256 hash() const;
};

// Parses and validates genesis JSON; every defect is a one-line error naming the field.
Result<Genesis> parse_genesis(const std::string& json_text);
Result<Genesis> load_genesis(const std::string& path);
std::string genesis_to_json(const Genesis& genesis);

}  // namespace synod::chain
