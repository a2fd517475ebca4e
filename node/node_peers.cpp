// Frames from peers: consensus messages to the engine, transaction gossip through
// admission, and state transfer (serving and receiving committed blocks).
#include <spdlog/spdlog.h>

#include <cassert>

#include "crypto/hex.h"
#include "node/node_impl.h"

namespace synod::node {

void Node::Impl::on_peer_frame(chain::ReplicaIndex from, Bytes payload) {
  if (stopping)
    return;
  auto frame = decode_wire(payload);
  if (!frame) {
    // The transport authenticated the peer, so this is a faulty validator: drop and count.
    gauges.malformed_frames->inc();
    return;
  }
  if (auto* consensus = std::get_if<ConsensusFrame>(&*frame)) {
    count_message(consensus->message, /*incoming=*/true);
    execute(engine->on_message(from, consensus->message, now_ms()));
  } else if (auto* batch = std::get_if<TransactionsFrame>(&*frame)) {
    // Skip what is already pending or already executed before paying for a signature check.
    std::vector<chain::Transaction> fresh;
    std::vector<crypto::Hash256> fresh_hashes;
    const chain::State& state = engine->state();
    for (auto& tx : batch->transactions) {
      if (tx.nonce < state.account(tx.sender()).nonce)
        continue;
      crypto::Hash256 tx_hash = tx.hash();
      if (mempool->contains(tx_hash))
        continue;
      fresh.push_back(std::move(tx));
      fresh_hashes.push_back(tx_hash);
    }
    if (!fresh.empty() && pending_verifications + fresh.size() <= kMaxPendingVerifications) {
      admit(std::move(fresh), std::move(fresh_hashes), /*from_peer=*/true, [](AdmitResults) {});
    } else if (!fresh.empty()) {
      gauges.transactions_rejected->inc(fresh.size());
    }
  } else if (auto* request = std::get_if<FetchRequestFrame>(&*frame)) {
    serve_blocks(from, request->from_height, request->max_blocks);
  } else if (auto* locator = std::get_if<LocatorRequestFrame>(&*frame)) {
    serve_locator(from, locator->locator, locator->max_blocks);
  } else if (auto* response = std::get_if<FetchResponseFrame>(&*frame)) {
    execute(engine->on_blocks_fetched(from, std::move(response->blocks), now_ms()));
  }
}

void Node::Impl::serve_blocks(chain::ReplicaIndex to, std::uint64_t from_height,
                              std::uint32_t max_blocks) {
  // A peer over its serving budget, or one that is not reading what it already asked for
  // (its send queue a quarter full), is not served; an honest one asks again later.
  if (peers->queued_bytes(to) > kServeQueueLimitBytes || !serve_budget.allows(to, now_ms())) {
    gauges.fetches_refused->inc();
    return;
  }
  std::vector<chain::Block> blocks;
  std::uint32_t limit = std::min(max_blocks, kMaxFetchBlocks);
  std::size_t bytes = 0;
  for (std::uint64_t height = from_height; height <= stored_height && blocks.size() < limit;
       ++height) {
    auto block = reader->block_at(height);
    if (!block || !block->has_value())
      break;
    bytes += (*block)->transactions.size() * chain::kMinTransactionBytes;
    blocks.push_back(std::move(**block));
    if (bytes > 16u << 20)
      break;  // keep a response well under the frame limit
  }
  auto response = std::make_shared<const Bytes>(encode_fetch_response(blocks));
  serve_budget.charge(to, response->size());
  peers->send(to, response);
}

void Node::Impl::serve_locator(chain::ReplicaIndex to, const std::vector<crypto::Hash256>& locator,
                               std::uint32_t max_blocks) {
  auto found = reader->locate(locator);
  if (!found) {
    spdlog::warn("cannot look up a peer's block locator: {}", found.message());
    return;
  }
  // Nothing in common but block 0 (every chain of this genesis shares it): from block 1.
  serve_blocks(to, found->value_or(0) + 1, max_blocks);
}

void Node::Impl::fetch_by_locator(const chain::FetchByLocatorAction& fetch) {
  std::vector<crypto::Hash256> locator = fetch.locator;
  if (locator.size() > kMaxLocatorHashes)
    locator.resize(kMaxLocatorHashes);
  if (is_full_node()) {
    // A full node reads its upstreams over JSON-RPC (get_blocks takes a locator too).
    nlohmann::json hashes = nlohmann::json::array();
    for (const auto& hash : locator)
      hashes.push_back(crypto::to_hex(hash.view()));
    fetch_from_upstream(fetch.peer, {{"locator", std::move(hashes)}},
                        std::min(fetch.max_blocks, kMaxFetchBlocks));
    return;
  }
  peers->send(fetch.peer, std::make_shared<const Bytes>(encode_locator_request(
                              locator, std::min(fetch.max_blocks, kMaxFetchBlocks))));
}

void Node::Impl::admit(std::vector<chain::Transaction> transactions,
                       std::vector<crypto::Hash256> hashes, bool from_peer,
                       std::function<void(AdmitResults)> done) {
  assert(hashes.size() == transactions.size());
  // Signatures are checked on the worker pool; the event loop only sees the verdicts.
  pending_verifications += transactions.size();
  boost::asio::post(*verify_pool, [this, transactions = std::move(transactions),
                                   hashes = std::move(hashes), from_peer,
                                   done = std::move(done)]() mutable {
    name_pool_thread("synod-verify");
    std::vector<bool> valid(transactions.size());
    for (std::size_t i = 0; i < transactions.size(); ++i) {
      // The engine may have verified it already, from a proposal that overtook the gossip.
      valid[i] = verified.contains(hashes[i]) || transactions[i].signature_valid(domain);
      if (valid[i])
        verified.insert(hashes[i]);
    }
    boost::asio::post(io, [this, transactions = std::move(transactions), valid = std::move(valid),
                           hashes = std::move(hashes), from_peer, done = std::move(done)] {
      pending_verifications -= transactions.size();
      if (stopping)
        return;
      AdmitResults results(transactions.size());
      bool any = false;
      chain::TimeMs now = now_ms();
      // Parked transactions past their time to live make way before the caps are checked.
      mempool->advance_time(now);
      for (std::size_t i = 0; i < transactions.size(); ++i) {
        const chain::Transaction& tx = transactions[i];
        if (!valid[i]) {
          results[i] = "bad_signature";
          gauges.transactions_rejected->inc();
          continue;
        }
        const crypto::Hash256& hash = hashes[i];
        if (auto error = mempool->add(tx, hash, engine->state())) {
          results[i] = chain::to_string(*error);
          if (*error != chain::AdmitError::kDuplicate)
            gauges.transactions_rejected->inc();
          continue;
        }
        any = true;
        if (!from_peer) {
          if (admitted_at.size() < 1'000'000)
            admitted_at.emplace(hash, now);
          queue_gossip(tx);
        }
      }
      if (any)
        poke_engine();
      done(std::move(results));
    });
  });
}

void Node::Impl::submit(chain::Transaction tx, const crypto::Hash256& tx_hash,
                        SubmitBatch::Done done) {
  if (pending_verifications + submissions.queue.size() >= kMaxPendingVerifications) {
    done(std::string("node_busy"));
    return;
  }
  submissions.queue.push_back(std::move(tx));
  submissions.hashes.push_back(tx_hash);
  submissions.callbacks.push_back(std::move(done));
  if (submissions.flush_scheduled)
    return;
  submissions.flush_scheduled = true;
  boost::asio::post(io, [this] {
    submissions.flush_scheduled = false;
    flush_submissions();
  });
}

void Node::Impl::flush_submissions() {
  // Chunks spread the signature checks over the worker pool.
  constexpr std::size_t kChunk = 256;
  for (std::size_t start = 0; start < submissions.queue.size(); start += kChunk) {
    std::size_t end = std::min(submissions.queue.size(), start + kChunk);
    std::vector<chain::Transaction> chunk(
        std::make_move_iterator(submissions.queue.begin() + start),
        std::make_move_iterator(submissions.queue.begin() + end));
    std::vector<crypto::Hash256> hashes(submissions.hashes.begin() + start,
                                        submissions.hashes.begin() + end);
    std::vector<SubmitBatch::Done> callbacks(
        std::make_move_iterator(submissions.callbacks.begin() + start),
        std::make_move_iterator(submissions.callbacks.begin() + end));
    admit(std::move(chunk), std::move(hashes), /*from_peer=*/false,
          [callbacks = std::move(callbacks)](AdmitResults results) {
            for (std::size_t i = 0; i < callbacks.size(); ++i)
              callbacks[i](std::move(results[i]));
          });
  }
  submissions.queue.clear();
  submissions.hashes.clear();
  submissions.callbacks.clear();
}

void Node::Impl::poke_engine() {
  if (submissions.engine_poke_scheduled)
    return;
  submissions.engine_poke_scheduled = true;
  boost::asio::post(io, [this] {
    submissions.engine_poke_scheduled = false;
    if (!stopping)
      execute(engine->on_transactions(now_ms()));
  });
}

void Node::Impl::queue_gossip(const chain::Transaction& tx) {
  gossip.queue.push_back(tx);
  if (gossip.queue.size() >= kMaxGossipBatch) {
    flush_gossip();
    return;
  }
  if (gossip.flush_scheduled)
    return;
  gossip.flush_scheduled = true;
  // Batch what arrives within the same turn of the event loop.
  boost::asio::post(io, [this] {
    gossip.flush_scheduled = false;
    flush_gossip();
  });
}

void Node::Impl::spread_own_transaction(const chain::Transaction& tx) {
  if (!is_full_node()) {
    queue_gossip(tx);
    return;
  }
  relay(tx, [hash = crypto::to_hex(tx.hash().view())](const client::RpcOutcome& outcome) {
    if (!outcome.ok())
      spdlog::warn("no upstream took this node's transaction {}: {}", hash,
                   client::describe(outcome.error()));
  });
}

void Node::Impl::flush_gossip() {
  if (gossip.queue.empty() || stopping)
    return;
  peers->broadcast(std::make_shared<const Bytes>(encode_transactions(gossip.queue)));
  gossip.queue.clear();
}

}  // namespace synod::node
