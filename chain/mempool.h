// The mempool: admitted transactions waiting to be ordered.
//
// Pure data structure (no I/O, no clock). Admission checks chain id, the nonce window,
// balance and fee against the committed state; signatures are checked by the caller before
// add() (the node does it on a worker pool, so each signature is verified once per node).
// Transactions are kept per account in nonce order; duplicates are recognised by hash.
//
// Two pools, so that transactions which cannot run yet cannot crowd out those that can:
// - ready: a sender's run of consecutive nonces from its committed next nonce. Count and
//   byte caps bound it; when it is full, a transaction with a higher fee evicts the
//   lowest-fee one (with that sender's later nonces, which could not run without it).
// - parked: transactions behind a nonce gap. A smaller pool with its own caps and the same
//   fee rule; a parked transaction moves to ready when its gap fills, and expires after
//   parked_ttl_ms.
// A sender holds at most max_per_sender transactions across both pools.
//
// Time is an input: advance_time(now) expires parked transactions, and stamps those parked
// until the next call. Until it is first called, time is 0.
//
// Not thread-safe: the node calls it from its event-loop thread only.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "chain/state.h"
#include "chain/transaction.h"

namespace synod::chain {

enum class AdmitError : std::uint8_t {
  kDuplicate,
  kFull,  // the ready pool is full and the fee does not beat its lowest fee
  kWrongChainId,
  kStaleNonce,   // nonce below the account's next nonce: already executed
  kNonceTooFar,  // nonce beyond the window above the account's next nonce
  kNonceTaken,   // another pending transaction has this sender and nonce
  kInsufficientBalance,
  kFeeTooLow,
  kZeroAmount,
  kOverflow,
  kSenderLimit,  // the sender already has max_per_sender transactions pending
  kParkedFull,   // behind a nonce gap, and the parked pool is full of fees at least as high
};
const char* to_string(AdmitError error);  // stable reason ("mempool_full", ...)
std::string describe(AdmitError error);   // one human sentence

struct MempoolOptions {
  // The ready pool.
  std::size_t max_transactions = 200'000;
  std::size_t max_bytes = 64 * 1024 * 1024;
  std::uint64_t nonce_window = 1024;  // accept nonces in [next, next + window)
  std::uint64_t min_fee = 0;
  std::size_t max_per_sender = 64;  // pending transactions per sender, ready and parked
  // The parked pool.
  std::size_t max_parked_transactions = 4096;
  std::size_t max_parked_bytes = 4 * 1024 * 1024;
  std::uint64_t parked_ttl_ms = 60'000;
};

// Counts since the mempool was made; they only grow.
struct MempoolCounters {
  std::uint64_t parked = 0;    // transactions put in the parked pool (admitted or moved)
  std::uint64_t promoted = 0;  // moved from parked to ready when their gap filled
  std::uint64_t expired = 0;   // dropped from the parked pool after parked_ttl_ms
  std::uint64_t evicted = 0;   // dropped for a higher fee, or for a gap-filling nonce
};

class Mempool {
 public:
  explicit Mempool(MempoolOptions options = {});

  // Admits `tx` (signature already verified) against `committed`, the state after the last
  // committed block. Balance is checked against the sender's committed balance minus what
  // its pending transactions (both pools) already spend. May evict lower-fee transactions.
  std::optional<AdmitError> add(const Transaction& tx, const crypto::Hash256& tx_hash,
                                const State& committed);

  // Moves the mempool's time to `now_ms` (never backwards): drops parked transactions that
  // have waited parked_ttl_ms, and brings the parked pool back within its caps if moves
  // from ready (a reorg lowering a sender's nonce) took it over. Returns how many it dropped.
  std::size_t advance_time(std::uint64_t now_ms);

  bool contains(const crypto::Hash256& tx_hash) const;
  bool is_parked(const crypto::Hash256& tx_hash) const;
  std::size_t size() const;   // both pools
  std::size_t bytes() const;  // both pools
  std::size_t ready_size() const { return ready_.count; }
  std::size_t parked_size() const { return parked_.count; }
  std::size_t parked_bytes() const { return parked_.bytes; }
  bool empty() const { return size() == 0; }
  const MempoolCounters& counters() const { return counters_; }

  // Up to max_count transactions / max_bytes encoded bytes that form a valid sequence when
  // executed on `state` (consecutive nonces from each account's next nonce, balances
  // covering amount + fee), from accounts with ready transactions, oldest first (a parked
  // transaction that runs on `state` may follow its sender's ready ones). Does not
  // remove anything. With `hashes`, it receives the hash of each selected transaction, in
  // the same order.
  std::vector<Transaction> select_batch(const State& state, std::size_t max_count,
                                        std::size_t max_bytes,
                                        std::vector<crypto::Hash256>* hashes = nullptr) const;

  // After a block commits: drops its transactions and every pending transaction whose
  // nonce `state_after` has made stale, and promotes parked transactions whose gap the
  // block filled (for each sender that appears in `txs`).
  void remove_committed(const std::vector<Transaction>& txs, const State& state_after);
  // Drops one pending transaction that turned out not to execute (e.g. evidence that
  // expired while it waited). Its sender's later transactions wait, parked, for the nonce.
  void remove(const crypto::Hash256& tx_hash);

 private:
  struct PendingTx {
    Transaction tx;
    crypto::Hash256 hash;
    std::size_t bytes = 0;      // tx.encode().size()
    std::uint64_t arrival = 0;  // admission sequence number, unique
    std::uint64_t spend = 0;    // amount + fee (checked not to overflow at admission)
    bool parked = false;
    std::uint64_t parked_at_ms = 0;  // when it was last parked
  };

  // One sender's pending transactions. `spend_total` is the sum of their `spend`; it never
  // exceeds a balance the account once had, so it cannot overflow. The ready ones are the
  // run of consecutive nonces from `next_nonce`; every later one is parked.
  struct AccountQueue {
    std::map<std::uint64_t, PendingTx> by_nonce;
    std::set<std::uint64_t> ready_arrivals;  // begin() is the oldest ready transaction
    std::uint64_t spend_total = 0;
    std::uint64_t next_nonce = 0;  // the committed next nonce, as last seen
    std::size_t ready_count = 0;
  };

  struct Location {
    Address sender;
    std::uint64_t nonce = 0;
  };

  // (fee, inverted arrival, sender, nonce): begin() is the lowest fee and, among equal
  // fees, the newest transaction, the first to evict.
  using FeeKey = std::tuple<std::uint64_t, std::uint64_t, Address, std::uint64_t>;
  // (parked_at_ms, sender, nonce): begin() expires first.
  using ExpiryKey = std::tuple<std::uint64_t, Address, std::uint64_t>;

  struct Pool {
    std::size_t count = 0;
    std::size_t bytes = 0;
    std::size_t max_count = 0;
    std::size_t max_bytes = 0;
    std::set<FeeKey> by_fee;
    bool fits(std::size_t extra_count, std::size_t extra_bytes) const;
  };

  // (arrival of the account's oldest ready transaction, sender): the order in which
  // select_batch visits accounts.
  using FairnessKey = std::pair<std::uint64_t, Address>;

  // Checks that need no account queue, cheapest first.
  std::optional<AdmitError> check_transaction(const Transaction& tx, const crypto::Hash256& tx_hash,
                                              const Account& sender) const;
  // The sender's highest-nonce parked transaction when `tx` would be the sender's next
  // ready one but the sender is at max_per_sender: it makes way, or the parked ones would
  // wait forever behind a gap nothing may fill (a reorg handing a sender's early
  // transactions back to a pool that holds its later ones).
  const PendingTx* displaced_by(const Transaction& tx, const AccountQueue& queue) const;
  // Drops `displaced` (displaced_by's, taken before make_room) if the sender is still at
  // its cap once the transaction displacing it has room.
  void make_way_for(const Address& sender, const std::optional<crypto::Hash256>& displaced);
  std::optional<AdmitError> check_account(const Transaction& tx, const Account& sender) const;
  // Evicts lower-fee transactions of other senders until `tx` fits the pool it goes to, or
  // evicts nothing and says why it cannot.
  std::optional<AdmitError> make_room(const Transaction& tx, std::size_t tx_bytes, bool parked);
  // `next_nonce` is the sender's committed next nonce, for a queue made here.
  // How many of `sender`'s transactions from `nonce` on are in the given pool, and their bytes.
  std::pair<std::size_t, std::size_t> pending_from(const Address& sender, std::uint64_t nonce,
                                                   bool parked) const;
  void insert(const Transaction& tx, const crypto::Hash256& tx_hash, std::size_t tx_bytes,
              bool parked, std::uint64_t next_nonce);

  Pool& pool_of(bool parked) { return parked ? parked_ : ready_; }
  static FeeKey fee_key(const Address& sender, const PendingTx& pending);
  // Adds or removes one transaction in its pool's counts and indexes.
  void link(const Address& sender, AccountQueue& queue, const PendingTx& pending);
  void unlink(const Address& sender, AccountQueue& queue, const PendingTx& pending);
  void set_parked(const Address& sender, AccountQueue& queue, PendingTx& pending, bool parked);
  // Re-anchors `sender`'s queue at `next_nonce`: drops stale nonces, then the consecutive
  // run becomes ready (parked ones while the ready pool has room) and the rest parked.
  void resync(const Address& sender, std::uint64_t next_nonce);
  // After `sender`'s ready run grew to `nonce`: the parked transactions that now follow it
  // become ready, while the ready pool has room.
  void promote_after(const Address& sender, std::uint64_t nonce);
  // Erases `sender`'s pending transaction with `nonce`, if any, keeping every index and
  // counter in step; drops the account's queue when it empties.
  void erase(const Address& sender, std::uint64_t nonce);
  // Erases every transaction of `sender` with a nonce below / from `nonce`.
  void erase_below(const Address& sender, std::uint64_t nonce);
  void erase_from(const Address& sender, std::uint64_t nonce);
  // Evicts `sender`'s transactions from `nonce` on, counting them as evicted.
  void evict_from(const Address& sender, std::uint64_t nonce);
  // Evicts the lowest-fee parked transactions while the parked pool is over its caps.
  void trim_parked();
  // Appends `sender`'s transactions that run in nonce order on `state` to `batch`, within
  // the remaining limits.
  void select_from(const State& state, const Address& sender, const AccountQueue& queue,
                   std::size_t max_count, std::size_t max_bytes, std::size_t& batch_bytes,
                   std::vector<Transaction>& batch, std::vector<crypto::Hash256>* hashes) const;

  MempoolOptions options_;
  // Ordered maps throughout: keys (hashes, addresses) are chosen by whoever sends
  // transactions, so worst-case O(log n) beats an average-case hash table here.
  std::map<Address, AccountQueue> accounts_;
  std::map<crypto::Hash256, Location> by_hash_;
  std::set<FairnessKey> fairness_;
  std::set<ExpiryKey> expiry_;
  Pool ready_;
  Pool parked_;
  MempoolCounters counters_;
  std::uint64_t next_arrival_ = 0;
  std::uint64_t now_ms_ = 0;
};

}  // namespace synod::chain
