// A zero-latency, synchronous PBFT cluster driver for directed tests and the protocol
// benchmark: messages are delivered in FIFO order with no latency; timers fire when the
// caller advances time; the "store" is a vector of blocks. The full simulator with faults
// and invariant checkers lives in tests/sim.
#pragma once

#include <cassert>
#include <deque>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "chain/mempool.h"
#include "pbft/replica.h"

namespace synod::testing {

crypto::KeyPair key_for(std::uint8_t tag, std::uint8_t index) {
  crypto::Seed seed;
  seed.data[0] = tag;
  seed.data[1] = index;
  return crypto::KeyPair::from_seed(seed);
}

struct Node {
  std::unique_ptr<chain::Mempool> mempool;
  std::unique_ptr<pbft::Replica> replica;
  std::vector<chain::Block> blocks;  // the "store"
  chain::State state{chain::SigningDomain{}};
  std::map<std::string, Bytes> persisted;
  std::map<std::uint32_t, chain::TimeMs> timers;
  bool up = true;
  // When set, committed blocks are "stored" only when the test calls store_pending().
  bool defer_storage = false;
  std::vector<std::uint64_t> unstored;
  std::uint64_t max_unstored_blocks = 0;  // ReplicaConfig's, at the next boot
};

struct InstantCluster {
  std::shared_ptr<chain::Genesis> genesis = std::make_shared<chain::Genesis>();
  std::vector<crypto::KeyPair> validator_keys;
  std::vector<crypto::KeyPair> account_keys;
  std::vector<Node> nodes;
  std::deque<std::tuple<chain::ReplicaIndex, chain::ReplicaIndex, Bytes>> wire;  // to, from, bytes
  chain::TimeMs now = 1000;
  std::vector<std::uint64_t> account_nonces;

  explicit InstantCluster(std::size_t n, std::uint64_t empty_block_interval_ms = 300,
                          std::size_t accounts = 4) {
    genesis->chain_id = "replica-test";
    genesis->pbft.checkpoint_interval = 4;
    genesis->pbft.watermark_window = 16;
    genesis->pbft.view_change_timeout_ms = 200;
    genesis->pbft.empty_block_interval_ms = empty_block_interval_ms;
    std::vector<chain::ValidatorInfo> validators;
    for (std::size_t i = 0; i < n; ++i) {
      validator_keys.push_back(key_for(1, static_cast<std::uint8_t>(i)));
      validators.push_back(
          {"node-" + std::to_string(i), validator_keys.back().public_key(), "", 1});
    }
    genesis->validators = chain::ValidatorSet(validators);
    assert(accounts >= 2 && accounts <= 256);
    for (std::size_t i = 0; i < accounts; ++i) {
      account_keys.push_back(key_for(2, static_cast<std::uint8_t>(i)));
      genesis->accounts.push_back(
          {chain::address_of(account_keys.back().public_key()), 1'000'000, 0});
      account_nonces.push_back(0);
    }
    nodes.resize(n);
    for (std::size_t i = 0; i < n; ++i)
      boot(i);
  }

  void boot(std::size_t i) {
    Node& node = nodes[i];
    node.mempool = std::make_unique<chain::Mempool>();
    if (node.blocks.empty()) {
      node.blocks.push_back(chain::make_genesis_block(*genesis));
      node.state = chain::State::from_genesis(*genesis);
    }
    node.timers.clear();
    std::optional<Bytes> votes;
    if (auto it = node.persisted.find(pbft::Replica::kVotesKey); it != node.persisted.end()) {
      votes = it->second;
    }
    pbft::ReplicaConfig config{genesis, validator_keys[i], 0, 0, {}};
    config.max_unstored_blocks = node.max_unstored_blocks;
    auto replica = pbft::Replica::create(std::move(config), *node.mempool,
                                         {node.state, node.blocks.back(), votes});
    if (!replica)
      throw std::runtime_error(replica.message());
    node.replica = std::move(*replica);
    node.up = true;
    run(i, node.replica->start(now));
  }

  // Reports node i's deferred blocks stored.
  void store_pending(std::size_t i) {
    std::vector<std::uint64_t> heights;
    heights.swap(nodes[i].unstored);
    for (auto height : heights)
      run(i, nodes[i].replica->on_block_stored(height, now));
  }

  void crash(std::size_t i) {
    nodes[i].up = false;
    nodes[i].replica.reset();
  }

  void run(std::size_t i, const chain::Actions& actions) {
    Node& node = nodes[i];
    // Reported once this list is done, as a node's storage thread would: the replica may
    // act on a report (resume execution), and must not be re-entered mid-list.
    std::vector<std::uint64_t> stored;
    for (const auto& action : actions) {
      if (const auto* send = std::get_if<chain::SendAction>(&action)) {
        wire.emplace_back(send->to, i, send->message);
      } else if (const auto* all = std::get_if<chain::BroadcastAction>(&action)) {
        for (std::size_t to = 0; to < nodes.size(); ++to) {
          if (to != i)
            wire.emplace_back(to, i, all->message);
        }
      } else if (const auto* commit = std::get_if<chain::AppendBlockAction>(&action)) {
        assert(commit->block.header.height == node.blocks.size());
        assert(commit->tx_hashes.size() == commit->block.transactions.size());
        for (std::size_t t = 0; t < commit->tx_hashes.size(); ++t)
          assert(commit->tx_hashes[t] == commit->block.transactions[t].hash());
        node.blocks.push_back(commit->block);
        node.state.apply(commit->diff);
        if (node.defer_storage)
          node.unstored.push_back(commit->block.header.height);
        else
          stored.push_back(commit->block.header.height);
      } else if (const auto* persist = std::get_if<chain::PersistAction>(&action)) {
        node.persisted[persist->key] = persist->value;
      } else if (const auto* timer = std::get_if<chain::SetTimerAction>(&action)) {
        node.timers[timer->id] = timer->at_ms;
      } else if (const auto* cancel = std::get_if<chain::CancelTimerAction>(&action)) {
        node.timers.erase(cancel->id);
      } else if (const auto* fetch = std::get_if<chain::FetchBlocksAction>(&action)) {
        const Node& peer = nodes[fetch->peer];
        std::vector<chain::Block> blocks;
        for (std::uint64_t h = fetch->from_height;
             h < peer.blocks.size() && blocks.size() < fetch->max_blocks; ++h) {
          blocks.push_back(peer.blocks[h]);
        }
        if (peer.up && node.replica) {
          run(i, node.replica->on_blocks_fetched(fetch->peer, blocks, now));
        }
      }
    }
    for (std::uint64_t height : stored) {
      if (node.replica)
        run(i, node.replica->on_block_stored(height, now));
    }
  }

  void deliver_all(std::size_t limit = 100000) {
    while (!wire.empty() && limit-- > 0) {
      auto [to, from, bytes] = wire.front();
      wire.pop_front();
      if (!nodes[to].up || !nodes[from].up)
        continue;
      run(to, nodes[to].replica->on_message(from, bytes, now));
    }
  }

  // Advances time in steps, firing due timers and delivering messages.
  void advance(chain::TimeMs duration, chain::TimeMs step = 10) {
    for (chain::TimeMs end = now + duration; now < end; now += step) {
      deliver_all();
      for (std::size_t i = 0; i < nodes.size(); ++i) {
        if (!nodes[i].up)
          continue;
        auto due = nodes[i].timers;
        for (auto [id, at] : due) {
          if (at <= now && nodes[i].timers.count(id) && nodes[i].timers[id] == at) {
            nodes[i].timers.erase(id);
            run(i, nodes[i].replica->on_timer(id, now));
          }
        }
      }
      deliver_all();
    }
  }

  // Submits to every live node's mempool, as the node runtime's gossip does; only
  // `to_node` is told unless `gossip`.
  void submit(std::size_t account, std::size_t to_node, bool gossip = true,
              std::uint64_t amount = 10) {
    auto tx = chain::make_transfer(
        account_keys[account], chain::SigningDomain::of(*genesis),
        chain::address_of(account_keys[(account + 1) % account_keys.size()].public_key()), amount,
        1, account_nonces[account]++);
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      if (!nodes[i].up)
        continue;
      auto error = nodes[i].mempool->add(tx, tx.hash(), nodes[i].state);
      (void)error;
      if (i == to_node || gossip)
        run(i, nodes[i].replica->on_transactions(now));
    }
  }

  std::uint64_t nonce_at(std::size_t node, std::size_t account) const {
    return nodes[node].state.account(chain::address_of(account_keys[account].public_key())).nonce;
  }

  // True when every pair of nodes has the same block at every height both have.
  bool agree() const {
    for (const auto& a : nodes) {
      for (const auto& b : nodes) {
        std::size_t common = std::min(a.blocks.size(), b.blocks.size());
        for (std::size_t h = 0; h < common; ++h) {
          if (a.blocks[h].hash() != b.blocks[h].hash())
            return false;
        }
      }
    }
    return true;
  }
};

}  // namespace synod::testing
