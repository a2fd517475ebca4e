// The soak's client: a steady stream of transfers between the funded accounts, spread
// over the validators that are up, each acknowledgement written to the receipt log. It
// behaves as a careful wallet does: one signed transaction per nonce, never re-signed; a
// transaction the RPC did not answer is sent again (to another node); an acknowledged one
// that stays uncommitted (its node crashed before passing it on) is sent again too, so
// that what the soak checks is the ledger, not a mempool's durability.
//
// Thread safety: the load runs on its own thread; the methods are called from one other
// thread (the soak's).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/result.h"
#include "chain/signing_domain.h"
#include "client/rpc_client.h"
#include "crypto/ed25519.h"
#include "testnet/soak_receipts.h"

namespace synod::testnet {

struct SoakLoadOptions {
  std::vector<std::string> node_names;  // the validators, by index
  std::vector<client::Endpoint> node_rpc;
  std::vector<crypto::KeyPair> accounts;
  chain::SigningDomain domain;  // the testnet genesis': what the transfers are signed in
  double rate_per_s = 50;
  std::string receipt_path;
};

struct SoakLoadStats {
  std::uint64_t signed_txs = 0;
  std::uint64_t acknowledged = 0;  // receipts written
  std::uint64_t committed = 0;     // seen committed (by the accounts' nonces)
  std::uint64_t resent_unanswered = 0;
  std::uint64_t resent_lost = 0;  // acknowledged, later accepted again as new by a node
  std::uint64_t mempool_full = 0;
  std::uint64_t pending = 0;  // signed, not yet seen committed
  std::string fatal;          // a refusal a valid transfer should never get
};

class SoakLoad {
 public:
  explicit SoakLoad(SoakLoadOptions options);
  ~SoakLoad();
  SoakLoad(const SoakLoad&) = delete;
  SoakLoad& operator=(const SoakLoad&) = delete;

  // Opens the receipt log, reads the accounts' nonces from a node and starts the thread.
  Status start();
  // The validator the soak has killed (the load avoids it), or none (SIZE_MAX).
  void set_down(std::size_t index) { down_.store(index); }
  // Stops signing new transfers; the thread keeps sending what is pending.
  void stop_signing() { signing_.store(false); }
  // Stops the thread (idempotent).
  void stop();
  SoakLoadStats stats() const;

 private:
  struct Account;
  void run();
  void step(std::chrono::steady_clock::time_point start);
  bool send(Account& account, std::size_t position);
  void reconcile();
  std::size_t pick_node();
  Status read_nonces();

  SoakLoadOptions options_;
  std::vector<std::unique_ptr<client::RpcClient>> clients_;
  std::vector<Account> accounts_;
  ReceiptLog log_;
  std::thread thread_;
  std::atomic<bool> running_{false};
  std::atomic<bool> signing_{true};
  std::atomic<std::size_t> down_{SIZE_MAX};
  std::size_t cursor_ = 0;  // round robin over nodes
  std::size_t next_account_ = 0;
  std::chrono::steady_clock::time_point last_reconcile_;
  mutable std::mutex mutex_;  // guards stats_
  SoakLoadStats stats_;
};

}  // namespace synod::testnet
