#include "tests/sim/cluster.h"

#include <cassert>
#include <sstream>

#include "tests/sim/short_hex.h"

namespace synod::sim {
namespace {

// Derived once per thread: a Twins chunk builds a cluster per scenario, and deriving its
// twelve keys again was a visible share of a short run.
crypto::KeyPair key_from_label(const std::string& label) {
  thread_local std::map<std::string, crypto::KeyPair> derived;
  if (auto it = derived.find(label); it != derived.end())
    return it->second;
  crypto::Hash256 digest = crypto::sha256(as_bytes(label));
  crypto::KeyPair key = crypto::KeyPair::from_seed(crypto::Seed::from(digest.view()));
  derived.emplace(label, key);
  return key;
}

}  // namespace

chain::PbftParams sim_pbft_params() {
  chain::PbftParams params;
  params.checkpoint_interval = 4;
  params.watermark_window = 16;
  params.max_block_transactions = 256;
  params.max_block_bytes = 256 * 1024;
  params.batch_delay_ms = 5;
  params.view_change_timeout_ms = 400;
  params.empty_block_interval_ms = 500;
  return params;
}

SimGenesis make_sim_genesis(std::size_t validators, std::size_t accounts,
                            const chain::PbftParams& params) {
  SimGenesis out;
  auto genesis = std::make_shared<chain::Genesis>();
  genesis->chain_id = "synod-sim";
  genesis->mode = chain::ConsensusMode::kPbft;
  genesis->genesis_time_ms = 0;
  genesis->pbft = params;
  std::vector<chain::ValidatorInfo> infos;
  for (std::size_t i = 0; i < validators; ++i) {
    out.validator_keys.push_back(key_from_label("synod/sim/validator/" + std::to_string(i)));
    infos.push_back(chain::ValidatorInfo{"sim" + std::to_string(i),
                                         out.validator_keys.back().public_key(),
                                         "sim-" + std::to_string(i) + ":26656", 1});
  }
  genesis->validators = chain::ValidatorSet(std::move(infos));
  for (std::size_t i = 0; i < accounts; ++i) {
    out.account_keys.push_back(key_from_label("synod/sim/account/" + std::to_string(i)));
    genesis->accounts.push_back(chain::GenesisAccount{
        chain::address_of(out.account_keys.back().public_key()), 1'000'000'000'000ULL, 0});
  }
  out.genesis = std::move(genesis);
  return out;
}

Cluster::Cluster(ClusterOptions options, EngineFactory factory)
    : ClusterCore(options.seed, options.validators + options.twins.size(), options.network,
                  options.trace, TimerTrace::kTraced),
      options_(std::move(options)),
      factory_(std::move(factory)),
      genesis_(make_sim_genesis(options_.validators, options_.accounts, options_.pbft)) {
  const chain::Block block0 = chain::make_genesis_block(*genesis_.genesis);
  const chain::State state0 = chain::State::from_genesis(*genesis_.genesis);
  std::size_t slots = options_.validators + options_.twins.size();
  for (SlotId slot = 0; slot < slots; ++slot) {
    auto node = std::make_unique<SimNode>(SimNode{
        slot, 0, true, "honest", NodeStore{{block0}, state0, {}}, nullptr, nullptr, {}, 0, 0});
    if (slot < options_.validators) {
      node->validator = static_cast<ReplicaIndex>(slot);
    } else {
      node->validator = options_.twins[slot - options_.validators];
      assert(node->validator < options_.validators);
    }
    nodes_.push_back(std::move(node));
  }
  for (ReplicaIndex twinned : options_.twins) {
    for (auto& node : nodes_) {
      if (node->validator == twinned) {
        node->honest = false;
        node->role = "twin";
      }
    }
  }
  for (const auto& [slot, kind] : options_.adversaries) {
    nodes_.at(slot)->honest = false;
    nodes_.at(slot)->role = kind;
  }
  if (options_.recorder != nullptr) {
    std::vector<TraceNode> described;
    for (const auto& node : nodes_)
      described.push_back({node->slot, node->validator, node->role});
    options_.recorder->set_nodes(std::move(described));
    network_.set_observer(options_.recorder);
  }
}

void Cluster::record_status(SlotId slot) {
  const SimNode& node = *nodes_.at(slot);
  if (options_.recorder != nullptr && !options_.recorder->full() && node.up())
    options_.recorder->on_status(slot, node.engine->status(queue_.now()), queue_.now());
}

// Only a recorded run renders labels; the recorder leaves unlabelled sends (transaction
// gossip between mempools) out of the chart.
std::string Cluster::label_of(ByteView message) const {
  if (options_.recorder == nullptr || options_.recorder->full())
    return {};
  return options_.describe_message ? options_.describe_message(message)
                                   : "MESSAGE (" + std::to_string(message.size()) + "B)";
}

void Cluster::fault(SlotId slot, const std::string& what) {
  trace("n" + std::to_string(slot) + " FAULT " + what);
  if (hooks_.on_fault)
    hooks_.on_fault(*nodes_.at(slot), what, queue_.now());
}

void Cluster::start() {
  for (SlotId slot = 0; slot < nodes_.size(); ++slot) {
    if (!nodes_[slot]->up())
      restart(slot);
  }
}

void Cluster::crash(SlotId slot) {
  SimNode& node = *nodes_.at(slot);
  if (!node.up())
    return;
  trace("n" + std::to_string(slot) + " CRASH at height " + std::to_string(node.store.height()));
  if (options_.recorder != nullptr)
    options_.recorder->on_crash(slot, node.store.height(), queue_.now());
  take_down(slot);
}

void Cluster::restart(SlotId slot) {
  SimNode& node = *nodes_.at(slot);
  if (node.up())
    return;
  const Status started = bring_up(slot, options_.mempool, [this](SimNode& down) {
    return factory_(NodeContext{down, genesis_, genesis_.validator_keys.at(down.validator),
                                *down.mempool, queue_.now()});
  });
  if (!started.ok()) {
    fault(slot, "engine could not be built: " + started.message());
    return;
  }
  if (options_.recorder != nullptr)
    options_.recorder->on_start(slot, node.store.height(), queue_.now());
  drive(slot, [this](chain::Engine& engine) { return engine.start(queue_.now()); });
}

void Cluster::drive(SlotId slot, const std::function<chain::Actions(chain::Engine&)>& input) {
  SimNode& node = *nodes_.at(slot);
  if (!node.up())
    return;
  execute(slot, input(*node.engine));
  record_status(slot);
}

void Cluster::execute(SlotId slot, chain::Actions actions) {
  SimNode& node = *nodes_.at(slot);
  for (auto& action : actions) {
    if (auto* send = std::get_if<chain::SendAction>(&action)) {
      send_message(slot, send->to, std::make_shared<const Bytes>(std::move(send->message)));
    } else if (auto* broadcast = std::get_if<chain::BroadcastAction>(&action)) {
      auto message = std::make_shared<const Bytes>(std::move(broadcast->message));
      for (ReplicaIndex to = 0; to < options_.validators; ++to) {
        if (to != node.validator)
          send_message(slot, to, message);
      }
    } else if (auto* commit = std::get_if<chain::AppendBlockAction>(&action)) {
      commit_block(slot, std::move(*commit));
    } else if (auto* persist = std::get_if<chain::PersistAction>(&action)) {
      node.store.kv[persist->key] = std::move(persist->value);
    } else if (auto* timer = std::get_if<chain::SetTimerAction>(&action)) {
      set_timer(slot, timer->id, timer->at_ms);
    } else if (auto* cancel = std::get_if<chain::CancelTimerAction>(&action)) {
      node.timers.erase(cancel->id);
    } else if (auto* fetch = std::get_if<chain::FetchBlocksAction>(&action)) {
      fetch_blocks(slot, *fetch);
    } else if (auto* log = std::get_if<chain::LogAction>(&action)) {
      trace("n" + std::to_string(slot) + " LOG " + log->line);
    } else {
      fault(slot, "the engine asked for an action this cluster does not carry out (index " +
                      std::to_string(action.index()) + ")");
    }
  }
}

// The slot that receives what `from` sends to validator `to`: with twins, the copy `from`
// can reach now (the first, if it can reach several: the other is sent separately).
std::optional<SlotId> Cluster::route(SlotId from, ReplicaIndex to) const {
  std::optional<SlotId> fallback;
  for (const auto& node : nodes_) {
    if (node->validator != to || node->slot == from)
      continue;
    if (network_.reachable(from, node->slot))
      return node->slot;
    if (!fallback)
      fallback = node->slot;
  }
  return fallback;
}

void Cluster::send_message(SlotId from, ReplicaIndex to,
                           const std::shared_ptr<const Bytes>& message) {
  if (to >= options_.validators)
    return;  // an engine addressing a non-validator: nothing to deliver to
  const ReplicaIndex sender = nodes_.at(from)->validator;
  const std::uint64_t tag = fnv1a(*message);
  for (const auto& node : nodes_) {
    if (node->validator != to || node->slot == from)
      continue;
    SlotId target = node->slot;
    if (link_filter_ && !link_filter_(from, target, *message))
      continue;
    network_.send(
        from, target, tag, Network::Delivery::kLossy,
        [this, target, sender, message] { deliver_message(target, sender, message); },
        label_of(*message));
  }
}

void Cluster::deliver_message(SlotId to, ReplicaIndex from,
                              const std::shared_ptr<const Bytes>& message) {
  if (tracing()) {
    std::string what = options_.describe_message ? options_.describe_message(*message)
                                                 : std::to_string(message->size()) + "B";
    trace("n" + std::to_string(to) + " <- v" + std::to_string(from) + " " + what);
  }
  drive(to, [this, from, &message](chain::Engine& engine) {
    return engine.on_message(from, *message, queue_.now());
  });
}

void Cluster::commit_block(SlotId slot, chain::AppendBlockAction action) {
  SimNode& node = *nodes_.at(slot);
  const std::uint64_t height = action.block.header.height;
  if (height != node.store.height() + 1) {
    fault(slot, "commit of height " + std::to_string(height) + " on a store at height " +
                    std::to_string(node.store.height()));
    return;
  }
  if (action.block.header.prev_hash != node.store.head().hash()) {
    fault(slot, "commit of height " + std::to_string(height) + " does not extend the stored head");
    return;
  }
  // The engine hands over the hashes it computed while checking the block; drivers store
  // and index by them, so they must be the transactions' own.
  bool hashes_match = action.tx_hashes.size() == action.block.transactions.size();
  for (std::size_t i = 0; hashes_match && i < action.tx_hashes.size(); ++i)
    hashes_match = action.tx_hashes[i] == action.block.transactions[i].hash();
  if (!hashes_match) {
    fault(slot, "commit of height " + std::to_string(height) +
                    " carries transaction hashes that are not its transactions'");
    return;
  }
  chain::State before = node.store.state;
  node.store.state.apply(action.diff);
  node.store.blocks.push_back(std::move(action.block));
  const chain::Block& block = node.store.blocks.back();
  events_.mix(0xB1);
  events_.mix(slot);
  events_.mix(fnv1a(block.hash().view()));
  trace("n" + std::to_string(slot) + " COMMIT h=" + std::to_string(height) + " " +
        short_hex(block.hash(), kLogHashBytes) +
        " txs=" + std::to_string(block.transactions.size()));
  if (options_.recorder != nullptr) {
    options_.recorder->on_commit(slot, height, short_hex(block.hash(), kLogHashBytes),
                                 block.transactions.size(), queue_.now());
  }
  if (hooks_.on_commit)
    hooks_.on_commit(node, block, action.diff, before, queue_.now());
  const std::uint64_t incarnation = node.incarnation;
  queue_.schedule(queue_.now() + options_.store_delay_ms, [this, slot, height, incarnation] {
    if (nodes_.at(slot)->incarnation != incarnation)
      return;
    drive(slot, [this, height](chain::Engine& engine) {
      return engine.on_block_stored(height, queue_.now());
    });
  });
}

void Cluster::fetch_blocks(SlotId slot, const chain::FetchBlocksAction& action) {
  std::optional<SlotId> server = route(slot, action.peer);
  if (!server || action.peer >= options_.validators)
    return;
  if (link_filter_ && !link_filter_(slot, *server, ByteView()))
    return;
  const std::uint64_t incarnation = nodes_.at(slot)->incarnation;
  const std::uint32_t max_blocks = std::min(action.max_blocks, options_.fetch_blocks_max);
  const std::uint64_t from_height = action.from_height;
  const ReplicaIndex peer = action.peer;
  const SlotId target = *server;
  trace("n" + std::to_string(slot) + " FETCH from v" + std::to_string(peer) +
        " h>=" + std::to_string(from_height));
  const std::string request_label =
      network_.observed() ? "FETCH h>=" + std::to_string(from_height) : std::string();
  network_.send(
      slot, target, from_height, Network::Delivery::kLossy,
      [=, this] {
        const NodeStore& store = nodes_.at(target)->store;
        auto blocks = std::make_shared<std::vector<chain::Block>>();
        for (std::uint64_t h = from_height; h < store.blocks.size() && blocks->size() < max_blocks;
             ++h) {
          blocks->push_back(store.blocks[h]);
        }
        const std::string reply_label =
            network_.observed() ? "BLOCKS n=" + std::to_string(blocks->size()) : std::string();
        network_.send(
            target, slot, blocks->size(), Network::Delivery::kLossy,
            [=, this] {
              if (nodes_.at(slot)->incarnation != incarnation)
                return;  // the requester restarted: its connection is gone
              trace("n" + std::to_string(slot) + " FETCHED " + std::to_string(blocks->size()) +
                    " blocks from v" + std::to_string(peer));
              drive(slot, [this, peer, blocks](chain::Engine& engine) {
                return engine.on_blocks_fetched(peer, *blocks, queue_.now());
              });
            },
            reply_label);
      },
      request_label);
}

}  // namespace synod::sim
