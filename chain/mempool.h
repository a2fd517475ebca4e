// The mempool: admitted transactions waiting to be ordered.
//
// Pure data structure (no I/O, no clock). Admission checks chain id, the nonce window,
// balance and fee against the committed state; signatures are checked by the caller before
// add() (the node does it on a worker pool, so each signature is verified once per node).
// Transactions are kept per account in nonce order; duplicates are recognised by hash;
// count and byte caps bound memory and give a clear "mempool full".
//
// Not thread-safe: the node calls it from its event-loop thread only.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "chain/state.h"
#include "chain/transaction.h"

namespace synod::chain {

enum class AdmitError : std::uint8_t {
  kDuplicate,
  kFull,
  kWrongChainId,
  kStaleNonce,   // nonce below the account's next nonce: already executed
  kNonceTooFar,  // nonce beyond the window above the account's next nonce
  kNonceTaken,   // another pending transaction has this sender and nonce
  kInsufficientBalance,
  kFeeTooLow,
  kZeroAmount,
  kOverflow,
};
const char* to_string(AdmitError error);  // stable reason ("mempool_full", ...)
std::string describe(AdmitError error);   // one human sentence

struct MempoolOptions {
  std::size_t max_transactions = 200'000;
  std::size_t max_bytes = 64 * 1024 * 1024;
  std::uint64_t nonce_window = 1024;  // accept nonces in [next, next + window)
  std::uint64_t min_fee = 0;
};

class Mempool {
 public:
  explicit Mempool(MempoolOptions options = {});

  // Admits `tx` (signature already verified) against `committed`, the state after the last
  // committed block. Balance is checked against the sender's committed balance minus what
  // its pending transactions already spend.
  std::optional<AdmitError> add(const Transaction& tx, const crypto::Hash256& tx_hash,
                                const State& committed);

  bool contains(const crypto::Hash256& tx_hash) const;
  std::size_t size() const;
  std::size_t bytes() const;
  bool empty() const { return size() == 0; }

  // Up to max_count transactions / max_bytes encoded bytes that form a valid sequence when
  // executed on `state` (consecutive nonces from each account's next nonce, balances
  // covering amount + fee), oldest accounts first. Does not remove anything. With
  // `hashes`, it receives the hash of each selected transaction, in the same order.
  std::vector<Transaction> select_batch(const State& state, std::size_t max_count,
                                        std::size_t max_bytes,
                                        std::vector<crypto::Hash256>* hashes = nullptr) const;

  // After a block commits: drops its transactions and every pending transaction whose
  // nonce `state_after` has made stale (for each sender that appears in `txs`).
  void remove_committed(const std::vector<Transaction>& txs, const State& state_after);
  // Drops one pending transaction that turned out not to execute (e.g. evidence that
  // expired while it waited). Its sender's later transactions stay, waiting for the nonce.
  void remove(const crypto::Hash256& tx_hash);

 private:
  struct PendingTx {
    Transaction tx;
    crypto::Hash256 hash;
    std::size_t bytes = 0;      // tx.encode().size()
    std::uint64_t arrival = 0;  // admission sequence number, unique
    std::uint64_t spend = 0;    // amount + fee (checked not to overflow at admission)
  };

  // One sender's pending transactions. `spend_total` is the sum of their `spend`; it never
  // exceeds a balance the account once had, so it cannot overflow.
  struct AccountQueue {
    std::map<std::uint64_t, PendingTx> by_nonce;
    std::set<std::uint64_t> arrivals;  // of the transactions in by_nonce; begin() is oldest
    std::uint64_t spend_total = 0;
  };

  struct Location {
    Address sender;
    std::uint64_t nonce = 0;
  };

  // (arrival of the account's oldest pending transaction, sender): the order in which
  // select_batch visits accounts.
  using FairnessKey = std::pair<std::uint64_t, Address>;

  std::optional<AdmitError> check_admission(const Transaction& tx, const crypto::Hash256& tx_hash,
                                            std::size_t tx_bytes, const State& committed) const;
  // Erases `sender`'s pending transaction with `nonce`, if any, keeping every index and
  // counter in step; drops the account's queue when it empties.
  void erase(const Address& sender, std::uint64_t nonce);
  // Erases every transaction of `sender` with a nonce below `next_nonce`.
  void erase_below(const Address& sender, std::uint64_t next_nonce);
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
  std::uint64_t next_arrival_ = 0;
  std::size_t bytes_ = 0;
};

}  // namespace synod::chain
