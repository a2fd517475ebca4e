#include "tests/sim/pow_cluster.h"

#include <cassert>

#include "pow_pos/factory.h"
#include "pow_pos/pow_messages.h"
#include "tests/sim/pow_grind.h"
#include "tests/sim/short_hex.h"

namespace synod::sim {
namespace {

crypto::KeyPair key_from_label(const std::string& label) {
  crypto::Hash256 digest = crypto::sha256(as_bytes(label));
  return crypto::KeyPair::from_seed(crypto::Seed::from(digest.view()));
}

std::string name(SlotId slot) {
  return "n" + std::to_string(slot);
}

}  // namespace

chain::PowParams sim_pow_params() {
  chain::PowParams params;
  params.initial_target = target_for_hashes(256);
  params.block_interval_ms = 2000;
  params.retarget_window = 20;
  params.max_retarget_factor = 1;
  params.max_reorg_depth = 100;
  params.block_reward = 50;
  params.max_future_ms = 15'000;
  params.median_time_window = 11;
  params.max_block_transactions = 256;
  params.max_block_bytes = 256 * 1024;
  return params;
}

PowSimGenesis make_sim_genesis(chain::Genesis genesis, const std::string& label,
                               std::size_t validators, std::size_t accounts,
                               const std::vector<std::uint64_t>& stakes) {
  PowSimGenesis out;
  const std::string role = genesis.mode == chain::ConsensusMode::kPos ? "validator" : "miner";
  std::vector<chain::ValidatorInfo> infos;
  for (std::size_t i = 0; i < validators; ++i) {
    out.miner_keys.push_back(
        key_from_label("synod/sim/" + label + "/" + role + "/" + std::to_string(i)));
    const crypto::PublicKey key = out.miner_keys.back().public_key();
    const std::uint64_t stake = i < stakes.size() ? stakes[i] : 0;
    infos.push_back(chain::ValidatorInfo{role + std::to_string(i), key,
                                         "sim-" + std::to_string(i) + ":26656",
                                         stake > 0 ? stake : 1});
    if (stake > 0)
      genesis.accounts.push_back(chain::GenesisAccount{chain::address_of(key), 0, stake});
  }
  genesis.validators = chain::ValidatorSet(std::move(infos));
  for (std::size_t i = 0; i < accounts; ++i) {
    out.account_keys.push_back(
        key_from_label("synod/sim/" + label + "/account/" + std::to_string(i)));
    genesis.accounts.push_back(chain::GenesisAccount{
        chain::address_of(out.account_keys.back().public_key()), 1'000'000'000'000ULL, 0});
  }
  out.genesis = std::make_shared<const chain::Genesis>(std::move(genesis));
  return out;
}

PowSimGenesis make_pow_sim_genesis(std::size_t miners, std::size_t accounts,
                                   const chain::PowParams& params) {
  chain::Genesis genesis;
  genesis.chain_id = "synod-sim-pow";
  genesis.mode = chain::ConsensusMode::kPow;
  genesis.genesis_time_ms = 0;
  genesis.pow = params;
  return make_sim_genesis(std::move(genesis), "pow", miners, accounts, {});
}

PowCluster::PowCluster(PowClusterOptions options, chain::EngineFactory factory)
    : ClusterCore(options.seed, options.miners, options.network, options.trace, TimerTrace::kQuiet),
      options_(std::move(options)),
      factory_(factory ? std::move(factory) : chain::EngineFactory(pow_pos::make_pow_engine)),
      genesis_(options_.genesis
                   ? *options_.genesis
                   : make_pow_sim_genesis(options_.miners, options_.accounts, options_.pow)),
      domain_(chain::SigningDomain::of(*genesis_.genesis)),
      mining_rng_(options_.seed ^ 0x6d696e696e67ULL) {
  assert(options_.hash_rates.empty() || options_.hash_rates.size() == options_.miners);
  assert(genesis_.miner_keys.size() == options_.miners);
  for (SlotId slot = 0; slot < options_.miners; ++slot) {
    auto node = std::make_unique<PowNode>(slot, *genesis_.genesis);
    node->hash_rate = options_.hash_rates.empty() ? 1.0 : options_.hash_rates[slot];
    nodes_.push_back(std::move(node));
  }
}

void PowCluster::fault(SlotId slot, const std::string& what) {
  trace(name(slot) + " FAULT " + what);
  if (hooks_.on_fault)
    hooks_.on_fault(*nodes_.at(slot), what, queue_.now());
}

void PowCluster::start() {
  record_nodes();
  for (SlotId slot = 0; slot < nodes_.size(); ++slot) {
    if (!nodes_[slot]->up())
      restart(slot);
  }
}

void PowCluster::crash(SlotId slot) {
  PowNode& node = *nodes_.at(slot);
  if (!node.up())
    return;
  trace(name(slot) + " CRASH at height " + std::to_string(node.store.height()));
  if (recording())
    options_.recorder->on_crash(slot, node.store.height(), queue_.now());
  node.mining_token = 0;
  take_down(slot);
}

void PowCluster::restart(SlotId slot) {
  PowNode& node = *nodes_.at(slot);
  if (node.up())
    return;
  const Status started =
      bring_up(slot, options_.mempool, [this](PowNode& down) { return build_engine(down); });
  if (!started.ok()) {
    fault(slot, "engine could not be built: " + started.message());
    return;
  }
  if (recording())
    options_.recorder->on_start(slot, node.store.height(), queue_.now());
  drive(slot, [this](chain::Engine& engine) { return engine.start(queue_.now()); });
}

// The engine node/ would build for this slot on what its store kept, with the slot's
// preloaded transactions in its fresh mempool.
Result<std::unique_ptr<chain::Engine>> PowCluster::build_engine(PowNode& node) {
  for (const auto& tx : node.preload)
    (void)node.mempool->add(tx, tx.hash(), node.store.state());
  chain::EngineSetup setup(genesis_.genesis, genesis_.miner_keys.at(node.slot), node.store.state(),
                           node.store.head());
  setup.participant = static_cast<ReplicaIndex>(node.slot);
  setup.mempool = node.mempool.get();
  setup.stored = &node.store;
  setup.mine = node.hash_rate > 0;
  setup.byzantine = node.byzantine;
  setup.report_evidence = node.report_evidence;
  setup.poll_interval_ms = options_.poll_interval_ms;
  setup.fetch_batch_blocks = options_.fetch_blocks_max;
  setup.signature_check = [this](const chain::Transaction& tx, const crypto::Hash256& tx_hash) {
    return signature_valid(tx, tx_hash);
  };
  return factory_(std::move(setup));
}

bool PowCluster::signature_valid(const chain::Transaction& tx, const crypto::Hash256& tx_hash) {
  auto [it, inserted] = signatures_.try_emplace(tx_hash, false);
  if (inserted)
    it->second = tx.signature_valid(domain_);
  return it->second;
}

void PowCluster::drive(SlotId slot, const std::function<chain::Actions(chain::Engine&)>& input) {
  PowNode& node = *nodes_.at(slot);
  if (!node.up())
    return;
  execute(slot, input(*node.engine));
}

void PowCluster::execute(SlotId slot, chain::Actions actions) {
  PowNode& node = *nodes_.at(slot);
  for (auto& action : actions) {
    if (!node.up())
      return;  // a hook crashed it
    if (execute_chain_action(slot, action))
      continue;
    if (auto* send = std::get_if<chain::SendAction>(&action)) {
      if (send->to < nodes_.size() && send->to != slot)
        send_block_message(slot, send->to, std::make_shared<const Bytes>(std::move(send->message)));
    } else if (auto* broadcast = std::get_if<chain::BroadcastAction>(&action)) {
      auto message = std::make_shared<const Bytes>(std::move(broadcast->message));
      for (SlotId to = 0; to < nodes_.size(); ++to) {
        if (to != slot)
          send_block_message(slot, to, message);
      }
    } else if (auto* timer = std::get_if<chain::SetTimerAction>(&action)) {
      set_timer(slot, timer->id, timer->at_ms);
    } else if (auto* cancel = std::get_if<chain::CancelTimerAction>(&action)) {
      node.timers.erase(cancel->id);
    } else if (auto* locate = std::get_if<chain::FetchByLocatorAction>(&action)) {
      fetch_by_locator(slot, *locate);
    } else if (auto* mine = std::get_if<chain::MineAction>(&action)) {
      start_job(slot, *mine);
    } else if (std::holds_alternative<chain::StopMiningAction>(action)) {
      node.mining_token = 0;
    } else if (auto* own = std::get_if<chain::GossipTransactionAction>(&action)) {
      gossip(slot, own->tx, own->tx.hash());
    } else if (auto* log = std::get_if<chain::LogAction>(&action)) {
      trace(name(slot) + " LOG " + log->line);
    } else {
      fault(slot, "the engine asked for an action a PoW node does not carry out (index " +
                      std::to_string(action.index()) + ")");
    }
  }
}

// The store's actions; false when `action` is not one of them.
bool PowCluster::execute_chain_action(SlotId slot, chain::Action& action) {
  PowNode& node = *nodes_.at(slot);
  if (auto* append = std::get_if<chain::AppendBlockAction>(&action)) {
    record_change(slot, node.store.append(std::move(*append)));
  } else if (auto* reorg = std::get_if<chain::ReorgAction>(&action)) {
    record_change(slot, node.store.reorg(std::move(*reorg)));
  } else if (auto* side = std::get_if<chain::StoreSideBlockAction>(&action)) {
    node.store.store_side(std::move(side->block));
  } else if (auto* persist = std::get_if<chain::PersistAction>(&action)) {
    node.store.persist(persist->key, std::move(persist->value));
  } else {
    return false;
  }
  return true;
}

void PowCluster::record_change(SlotId slot, Result<StoreChange> change) {
  PowNode& node = *nodes_.at(slot);
  if (!change.ok()) {
    fault(slot, change.message());
    return;
  }
  const std::uint64_t height = node.store.height();
  events_.mix(0xB1);
  events_.mix(slot);
  events_.mix(fnv1a(node.store.head().hash().view()));
  if (tracing()) {
    std::string what = change->undone.empty() ? "APPEND"
                                              : "REORG -" + std::to_string(change->undone.size()) +
                                                    " +" + std::to_string(change->applied.size()) +
                                                    " at " + std::to_string(change->fork_height);
    trace(name(slot) + " " + what + " h=" + std::to_string(height) + " " +
          short_hex(node.store.head().hash(), kLogHashBytes) +
          " txs=" + std::to_string(node.store.head().transactions.size()));
  }
  record_store_change(slot, *change);
  if (hooks_.on_change)
    hooks_.on_change(node, *change, queue_.now());
  const std::uint64_t incarnation = node.incarnation;
  queue_.schedule(queue_.now(), [this, slot, height, incarnation] {
    if (nodes_.at(slot)->incarnation != incarnation)
      return;
    drive(slot, [this, height](chain::Engine& engine) {
      return engine.on_block_stored(height, queue_.now());
    });
  });
}

}  // namespace synod::sim
