#include "testnet/soak_load.h"

#include <algorithm>
#include <deque>

#include "chain/transaction.h"
#include "client/json_fields.h"
#include "crypto/hex.h"

namespace synod::testnet {

using nlohmann::json;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

// An account has at most this many transfers signed and not yet seen committed.
constexpr std::size_t kMaxPendingPerAccount = 32;
// How often the accounts' committed nonces are read back.
constexpr milliseconds kReconcileEvery{1000};
// An unanswered transfer is sent again after this; an acknowledged one that has not
// committed after kResendAcknowledgedAfter is sent again, in case its node crashed with it.
constexpr milliseconds kResendUnansweredAfter{200};
constexpr milliseconds kResendAcknowledgedAfter{8000};

std::uint64_t unix_ms() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

// The reason a node gave for refusing a transaction ("duplicate", ...), or "".
std::string refusal_reason(const client::RpcOutcome& outcome) {
  if (outcome.ok() || outcome.error().kind != client::RpcError::Kind::kRpc)
    return "";
  std::string reason = client::string_field(outcome.error().data, "reason");
  return reason.empty() ? "error " + std::to_string(outcome.error().code) : reason;
}

}  // namespace

struct SoakLoad::Account {
  const crypto::KeyPair* key = nullptr;  // in options_.accounts
  std::string address;
  chain::Address to_address;
  std::uint64_t next_nonce = 0;       // the next one to sign
  std::uint64_t committed_nonce = 0;  // every nonce below it is committed
  struct Pending {
    std::uint64_t nonce = 0;
    std::string hash_hex;
    std::string tx_hex;
    bool acknowledged = false;
    Clock::time_point last_sent;
  };
  std::deque<Pending> pending;  // by nonce, from committed_nonce
};

SoakLoad::SoakLoad(SoakLoadOptions options) : options_(std::move(options)) {
  client::RpcClientOptions rpc;
  rpc.connect_timeout = milliseconds(500);
  rpc.request_timeout = milliseconds(2000);
  for (const auto& endpoint : options_.node_rpc)
    clients_.push_back(std::make_unique<client::RpcClient>(endpoint, rpc));
  std::size_t n = options_.accounts.size();
  accounts_.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    accounts_[i].key = &options_.accounts[i];
    accounts_[i].address = chain::to_string(chain::address_of(options_.accounts[i].public_key()));
    accounts_[i].to_address = chain::address_of(options_.accounts[(i + 1) % n].public_key());
  }
}

SoakLoad::~SoakLoad() {
  stop();
}

Status SoakLoad::read_nonces() {
  for (auto& account : accounts_) {
    auto answer = clients_.at(0)->call("get_account", {{"address", account.address}});
    if (!answer.ok()) {
      return make_error(options_.node_names.at(0) +
                        ": get_account: " + client::describe(answer.error()));
    }
    account.committed_nonce = client::unsigned_field(answer.result(), "nonce");
    account.next_nonce = account.committed_nonce;
  }
  return Status::success();
}

Status SoakLoad::start() {
  if (accounts_.size() < 2)
    return make_error("the soak needs at least 2 funded accounts");
  if (auto opened = log_.open(options_.receipt_path); !opened)
    return opened;
  if (auto nonces = read_nonces(); !nonces)
    return nonces;
  running_.store(true);
  last_reconcile_ = Clock::now();
  thread_ = std::thread([this] { run(); });
  return Status::success();
}

void SoakLoad::stop() {
  running_.store(false);
  if (thread_.joinable())
    thread_.join();
  log_.close();
}

SoakLoadStats SoakLoad::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void SoakLoad::run() {
  auto start = Clock::now();
  while (running_.load()) {
    step(start);
    std::this_thread::sleep_for(milliseconds(2));
  }
}

std::size_t SoakLoad::pick_node() {
  std::size_t n = clients_.size();
  std::size_t down = down_.load();
  for (std::size_t tries = 0; tries < n; ++tries) {
    std::size_t index = cursor_++ % n;
    if (index != down)
      return index;
  }
  return 0;
}

// Sends pending transfer `position` of `account` to a node that is up. True when a node
// answered for it (it holds it, or has committed it); false when it is to be sent again.
bool SoakLoad::send(Account& account, std::size_t position) {
  auto& tx = account.pending[position];
  std::size_t node = pick_node();
  tx.last_sent = Clock::now();
  auto outcome = clients_[node]->call("submit_tx", {{"tx", tx.tx_hex}});
  std::string reason = refusal_reason(outcome);
  std::lock_guard lock(mutex_);
  if (!outcome.ok() && reason.empty())
    return false;  // no answer: the node is down or stuck; another one gets it next
  if (reason == "mempool_full" || reason == "nonce_too_far" || reason == "sender_limit" ||
      reason == "parked_full") {
    // Busy, or a node still catching up after its restart: not an answer about this one.
    ++stats_.mempool_full;
    return false;
  }
  bool holds = outcome.ok() || reason == "duplicate" || reason == "stale_nonce";
  if (!holds) {
    stats_.fatal = options_.node_names[node] + " refused transfer " + tx.hash_hex + " (nonce " +
                   std::to_string(tx.nonce) + "): " + reason;
    return false;
  }
  if (tx.acknowledged) {
    if (outcome.ok())
      ++stats_.resent_lost;
    return true;
  }
  tx.acknowledged = true;
  auto logged =
      log_.append({unix_ms(), tx.hash_hex, account.address, tx.nonce, options_.node_names[node]});
  if (!logged)
    stats_.fatal = logged.message();
  ++stats_.acknowledged;
  return true;
}

// Reads every account's committed nonce from a node that is up, forgets what committed,
// and sends again what was acknowledged long ago but has not committed.
void SoakLoad::reconcile() {
  std::size_t node = pick_node();
  std::uint64_t committed = 0;
  std::uint64_t pending = 0;
  for (auto& account : accounts_) {
    auto answer = clients_[node]->call("get_account", {{"address", account.address}});
    if (answer.ok()) {
      account.committed_nonce =
          std::max(account.committed_nonce, client::unsigned_field(answer.result(), "nonce"));
    }
    while (!account.pending.empty() && account.pending.front().nonce < account.committed_nonce) {
      account.pending.pop_front();
      ++committed;
    }
    if (!account.pending.empty() && account.pending.front().acknowledged &&
        Clock::now() - account.pending.front().last_sent >= kResendAcknowledgedAfter) {
      for (std::size_t i = 0; i < account.pending.size(); ++i)
        send(account, i);
    }
    pending += account.pending.size();
  }
  std::lock_guard lock(mutex_);
  stats_.committed += committed;
  stats_.pending = pending;
}

void SoakLoad::step(Clock::time_point start) {
  auto now = Clock::now();
  // Nonces go out in order: an account's unanswered transfer is retried before any newer.
  for (auto& account : accounts_) {
    for (std::size_t i = 0; i < account.pending.size(); ++i) {
      auto& tx = account.pending[i];
      if (tx.acknowledged)
        continue;
      if (now - tx.last_sent >= kResendUnansweredAfter && send(account, i)) {
        std::lock_guard lock(mutex_);
        ++stats_.resent_unanswered;
      }
      break;
    }
  }
  double elapsed_s = std::chrono::duration<double>(now - start).count();
  auto due = static_cast<std::int64_t>(options_.rate_per_s * elapsed_s) -
             static_cast<std::int64_t>(stats().signed_txs);
  for (std::size_t tries = 0; signing_.load() && due > 0 && tries < accounts_.size(); ++tries) {
    Account& account = accounts_[next_account_++ % accounts_.size()];
    bool blocked = account.pending.size() >= kMaxPendingPerAccount ||
                   std::any_of(account.pending.begin(), account.pending.end(),
                               [](const auto& tx) { return !tx.acknowledged; });
    if (blocked)
      continue;
    auto tx = chain::make_transfer(*account.key, options_.domain, account.to_address, 1, 1,
                                   account.next_nonce++);
    account.pending.push_back({tx.nonce, crypto::to_hex(tx.hash().view()),
                               crypto::to_hex(tx.encode()), false, Clock::time_point()});
    {
      std::lock_guard lock(mutex_);
      ++stats_.signed_txs;
      ++stats_.pending;
    }
    send(account, account.pending.size() - 1);
    --due;
  }
  if (now - last_reconcile_ >= kReconcileEvery) {
    last_reconcile_ = now;
    reconcile();
  }
}

}  // namespace synod::testnet
