// A full node's side of the runtime: following upstreams over JSON-RPC (get_blocks) for
// its engine (in PBFT mode, pbft::Follower), and relaying clients' transactions to an upstream
// validator.
//
// Upstreams are untrusted: their answers are decoded strictly here and every block is
// checked by the engine (certificate against the genesis, re-execution) before it counts.
// Signatures are verified here, on the fetch thread, so the event loop does not pay for
// them; the engine's signature check then finds them in `verified`.
#include <spdlog/spdlog.h>

#include "chain/block.h"
#include "chain/certificate.h"
#include "client/blocks_answer.h"
#include "crypto/hex.h"
#include "crypto/merkle.h"
#include "node/node_impl.h"
#include "node/transport/log_limiter.h"

namespace synod::node {

namespace {

// Upstream trouble is logged at most once a minute per upstream and kind.
transport::LogLimiter& upstream_log_limiter() {
  static transport::LogLimiter limiter(60'000);
  return limiter;
}

// How long an upstream may hold a request for the next block before answering "nothing
// yet": blocks reach a full node as they commit, not a poll interval later.
constexpr std::uint64_t kLongPollMs = 2000;

}  // namespace

Status Node::Impl::open_upstreams() {
  for (const auto& text : config.upstreams) {
    auto endpoint = client::parse_endpoint(text);
    if (!endpoint)
      return make_error("config upstreams: " + endpoint.message());
    follow.upstreams.push_back(*endpoint);
  }
  follow.reachable.assign(follow.upstreams.size(), false);
  follow.asked.assign(follow.upstreams.size(), false);
  client::RpcClientOptions client_options;
  client_options.connect_timeout = std::chrono::milliseconds(2000);
  client_options.request_timeout = std::chrono::milliseconds(8000);
  for (const auto& endpoint : follow.upstreams) {
    follow.fetch_clients.push_back(std::make_unique<client::RpcClient>(endpoint, client_options));
    follow.relay_clients.push_back(std::make_unique<client::RpcClient>(endpoint, client_options));
  }
  follow.fetch_pool = std::make_unique<boost::asio::thread_pool>(1);
  follow.relay_pool = std::make_unique<boost::asio::thread_pool>(1);

  return Status::success();
}

// Fetch thread: verifies the transaction signatures of fetched blocks off the event loop,
// block by block, up to the first block whose certificate or transaction root does not
// check out: the engine refuses that block without looking at its signatures, so a lying
// upstream cannot make this node verify thousands of filler signatures.
void Node::Impl::preverify_signatures(const std::vector<chain::Block>& blocks) {
  for (const auto& block : blocks) {
    bool certified = std::holds_alternative<chain::PbftSeal>(block.header.seal);
    if (certified && !chain::verify_block_certificate(block, genesis->validators, domain))
      return;
    std::vector<crypto::Hash256> hashes;
    hashes.reserve(block.transactions.size());
    for (const auto& tx : block.transactions)
      hashes.push_back(tx.hash());
    if (crypto::merkle_root(hashes) != block.header.tx_root)
      return;
    for (std::size_t i = 0; i < hashes.size(); ++i) {
      if (!verified.contains(hashes[i]) && block.transactions[i].signature_valid(domain))
        verified.insert(hashes[i]);
    }
  }
}

void Node::Impl::fetch_from_upstream(chain::ReplicaIndex upstream, nlohmann::json request,
                                     std::uint32_t max_blocks) {
  if (upstream >= follow.upstreams.size())
    return;
  request["max_blocks"] = max_blocks;
  request["wait_ms"] = kLongPollMs;
  boost::asio::post(*follow.fetch_pool, [this, upstream, request = std::move(request), max_blocks] {
    name_pool_thread("synod-fetch");
    auto outcome = follow.fetch_clients[upstream]->call("get_blocks", request);
    bool reachable = outcome.ok() || outcome.error().kind == client::RpcError::Kind::kRpc;
    std::string problem;
    std::vector<chain::Block> blocks;
    if (outcome.ok()) {
      auto answer = client::decode_blocks_answer(outcome.result(), max_blocks);
      blocks = std::move(answer.blocks);
      problem = std::move(answer.problem);
    } else {
      problem = client::describe(outcome.error());
    }
    preverify_signatures(blocks);
    boost::asio::post(io, [this, upstream, reachable, problem = std::move(problem),
                           blocks = std::move(blocks)]() mutable {
      if (stopping)
        return;
      follow.reachable[upstream] = reachable;
      follow.asked[upstream] = true;
      if (!problem.empty()) {
        const std::string& where = follow.upstreams[upstream].to_string();
        if (auto line =
                upstream_log_limiter().admit(where + (reachable ? "/bad" : "/down"), now_ms(),
                                             "upstream " + where + ": " + problem)) {
          spdlog::warn("{}", *line);
        }
      }
      execute(engine->on_blocks_fetched(upstream, std::move(blocks), now_ms()));
    });
  });
}

void Node::Impl::relay(chain::Transaction tx, std::function<void(client::RpcOutcome)> done) {
  if (follow.pending_relays >= FullNodeLinks::kMaxPendingRelays) {
    done(client::RpcError{client::RpcError::Kind::kRpc, -32005,
                          "node_busy: too many transactions waiting to be relayed", nullptr});
    return;
  }
  ++follow.pending_relays;
  boost::asio::post(*follow.relay_pool, [this, tx = std::move(tx),
                                         done = std::move(done)]() mutable {
    name_pool_thread("synod-relay");
    crypto::Hash256 hash = tx.hash();
    std::optional<client::RpcOutcome> outcome;
    // Refuse what no validator would take before anyone else pays for it.
    if (tx.chain_id != genesis->chain_id) {
      outcome = client::RpcError{client::RpcError::Kind::kRpc, client::kRpcTransactionRefused,
                                 "transaction refused: wrong_chain_id",
                                 nlohmann::json{{"reason", "wrong_chain_id"}}};
    } else if (!verified.contains(hash) && !tx.signature_valid(domain)) {
      outcome = client::RpcError{client::RpcError::Kind::kRpc, client::kRpcTransactionRefused,
                                 "transaction refused: bad_signature",
                                 nlohmann::json{{"reason", "bad_signature"}}};
    } else {
      verified.insert(hash);
      nlohmann::json params = {{"tx", crypto::to_hex(tx.encode())}};
      // The first upstream that can be reached answers; the next relay starts at the next
      // upstream, which spreads relays and routes around a dead one.
      for (std::size_t attempt = 0; attempt < follow.relay_clients.size(); ++attempt) {
        std::size_t which = (follow.relay_next + attempt) % follow.relay_clients.size();
        auto answer = follow.relay_clients[which]->call("submit_tx", params);
        // An answer about the transaction itself is final; anything else (unreachable, an
        // upstream that is busy or does not speak submit_tx) sends it to the next one.
        bool final_answer = answer.ok() || answer.is_rpc_error(client::kRpcTransactionRefused) ||
                            answer.is_rpc_error(client::kRpcInvalidParams);
        if (final_answer) {
          if (answer.ok()) {
            auto result = answer.result();
            result["relayed_to"] = follow.upstreams[which].to_string();
            answer = client::RpcOutcome(std::move(result));
          }
          outcome = std::move(answer);
          follow.relay_next = which + 1;
          break;
        }
        outcome = std::move(answer);
      }
    }
    boost::asio::post(
        io, [this, hash, outcome = std::move(*outcome), done = std::move(done)]() mutable {
          --follow.pending_relays;
          if (outcome.ok()) {
            if (follow.relayed.size() >= FullNodeLinks::kMaxRelayedRemembered)
              follow.relayed.clear();
            follow.relayed[hash] = now_ms();
          }
          done(std::move(outcome));
        });
  });
}

bool Node::Impl::relayed_recently(const crypto::Hash256& tx_hash) const {
  auto it = follow.relayed.find(tx_hash);
  return it != follow.relayed.end() && now_ms() < it->second + FullNodeLinks::kRelayedPendingMs;
}

}  // namespace synod::node
