// Node setup, the engine's actions, timers, metrics and shutdown.
#include "node/node.h"

#include <spdlog/spdlog.h>

#include <filesystem>

#include "chain/genesis.h"
#include "crypto/hex.h"
#include "crypto/key_file.h"
#include "node/node_impl.h"
#include "pbft/messages.h"

namespace synod::node {

namespace fs = std::filesystem;

chain::TimeMs Node::Impl::now_ms() {
  using namespace std::chrono;
  return static_cast<chain::TimeMs>(
      duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

Status Node::Impl::open(NodeOptions node_options) {
  options = std::move(node_options);
  const fs::path home(options.home);
  auto loaded_config = load_config((home / "config.json").string());
  if (!loaded_config)
    return loaded_config.error();
  config = std::move(*loaded_config);
  auto loaded_genesis = chain::load_genesis((home / "genesis.json").string());
  if (!loaded_genesis)
    return make_error((home / "genesis.json").string() + ": " + loaded_genesis.message());
  genesis = std::make_shared<chain::Genesis>(std::move(*loaded_genesis));
  if (genesis->mode != chain::ConsensusMode::kPbft) {
    return make_error(std::string("consensus mode ") + chain::to_string(genesis->mode) +
                      " is not supported by this node yet (pbft only)");
  }
  auto loaded_key = crypto::load_key_file((home / "node_key.json").string());
  if (!loaded_key)
    return loaded_key.error();
  key = std::move(*loaded_key);
  auto validator = genesis->validators.index_of(key->public_key());
  if (!validator && config.upstreams.empty()) {
    return make_error(
        "node_key.json is not one of the genesis validators; to run a non-validating full "
        "node, list the JSON-RPC endpoints it should follow in config.json \"upstreams\"");
  }
  if (validator && !config.upstreams.empty()) {
    return make_error(
        "config.json lists \"upstreams\", which only a full node uses, but node_key.json is "
        "a genesis validator's key");
  }
  if (!validator && !options.byzantine.empty())
    return make_error("--byzantine needs a validator's key (this is a full node)");
  if (validator) {
    name = config.moniker.empty() ? genesis->validators.at(*validator).name : config.moniker;
  } else {
    name = config.moniker.empty() ? "full-node" : config.moniker;
  }
  spdlog::set_level(spdlog::level::from_str(config.log_level));

  std::error_code ec;
  fs::create_directories(home / "data", ec);
  if (ec)
    return make_error("cannot create " + (home / "data").string() + ": " + ec.message());
  const std::string db_path = (home / "data" / "chain.db").string();
  auto opened = chain::BlockStore::open(db_path);
  if (!opened)
    return opened.error();
  reader = std::move(*opened);
  if (auto status = reader->initialize(*genesis); !status)
    return status;
  auto head = reader->head();
  if (!head)
    return head.error();
  auto state = reader->load_state(genesis->chain_id);
  if (!state)
    return state.error();
  if (state->root() != head->header.state_root) {
    return make_error("store: accounts do not match the head block's state root");
  }
  stored_height = head->header.height;

  auto writer = chain::BlockStore::open(db_path);
  if (!writer)
    return writer.error();
  storage = std::make_unique<StorageWorker>(
      std::move(*writer), [this](std::uint64_t height, Status status, std::uint64_t indexed) {
        boost::asio::post(
            io, [this, height, status, indexed] { on_block_stored(height, status, indexed); });
      });

  mempool = std::make_unique<chain::Mempool>(config.mempool);
  verify_pool = std::make_unique<boost::asio::thread_pool>(config.verify_threads);
  register_metrics();
  if (validator) {
    auto votes = open_vote_store((home / "data" / "votes.db").string());
    if (!votes)
      return votes.error();
    if (auto status =
            open_validator(*validator, std::move(*state), std::move(*head), std::move(*votes));
        !status) {
      return status;
    }
  } else if (auto status = open_full_node(std::move(*state), std::move(*head)); !status) {
    return status;
  }

  HttpServerOptions rpc_options;
  rpc_options.listen_address = config.rpc_listen;
  rpc_options.max_body_bytes = config.rpc_max_body_bytes;
  rpc = std::make_unique<HttpServer>(io, rpc_options);
  register_rpc_methods();

  summary_from_height = stored_height + 1;
  return Status::success();
}

Status Node::Impl::open_validator(chain::ReplicaIndex validator, chain::State state,
                                  chain::Block head, std::optional<Bytes> votes) {
  index = validator;
  pbft::ReplicaConfig replica_config{
      genesis, *key, config.batch_delay_ms, config.view_change_timeout_ms, {}};
  replica_config.signature_check = [this](const chain::Transaction& tx,
                                          const crypto::Hash256& tx_hash) {
    if (mempool->contains(tx_hash) || verified.contains(tx_hash))
      return true;
    bool valid = tx.signature_valid();
    if (valid)
      verified.insert(tx_hash);
    return valid;
  };
  auto built = pbft::Replica::create(replica_config, *mempool,
                                     {std::move(state), std::move(head), std::move(votes)});
  if (!built)
    return built.error();
  replica = built->get();
  if (options.byzantine.empty()) {
    engine = std::move(*built);
  } else {
    pbft::AdversaryOptions adversary{
        options.byzantine, options.adversary_seed, genesis, *key, index, 0};
    engine = pbft::wrap_adversary(std::move(*built), std::move(adversary));
  }

  PeerManagerOptions peer_options;
  peer_options.listen_address = config.peer_listen;
  peers = std::make_unique<PeerManager>(
      io, genesis, *key, peer_options,
      [this](chain::ReplicaIndex from, Bytes payload) { on_peer_frame(from, std::move(payload)); },
      [](std::string line) { spdlog::warn("peers: {}", line); });
  for (int reason = 0; reason < static_cast<int>(pbft::DropReason::kCount_); ++reason) {
    const char* label = pbft::to_string(static_cast<pbft::DropReason>(reason));
    dropped_by_reason[label] = &metrics.counter("synod_messages_dropped_total",
                                                "Consensus messages dropped", {{"reason", label}});
  }
  return Status::success();
}

void Node::Impl::register_metrics() {
  gauges.height = &metrics.gauge("synod_height", "Height of the last committed block");
  gauges.stored_height =
      &metrics.gauge("synod_stored_height", "Height of the last block written to disk");
  gauges.view = &metrics.gauge("synod_view", "Current PBFT view");
  gauges.mempool_size = &metrics.gauge("synod_mempool_transactions", "Transactions in the mempool");
  gauges.peers = &metrics.gauge("synod_peers_connected", "Validators connected");
  gauges.view_changes = &metrics.counter("synod_view_changes_total", "View changes started");
  gauges.transactions_committed =
      &metrics.counter("synod_transactions_committed_total", "Transactions committed");
  gauges.blocks_committed = &metrics.counter("synod_blocks_committed_total", "Blocks committed");
  gauges.transactions_rejected =
      &metrics.counter("synod_transactions_rejected_total", "Transactions refused at admission");
  gauges.commit_latency = &metrics.histogram(
      "synod_commit_latency_seconds", "Admission to commit, for transactions this node admitted",
      {0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10});
}

Result<std::optional<Bytes>> Node::Impl::open_vote_store(const std::string& path) {
  auto opened = chain::BlockStore::open(path);
  if (!opened)
    return opened.error();
  vote_store = std::move(*opened);
  const std::string votes_key = pbft::Replica::kVotesKey;
  auto votes = vote_store->get_meta(votes_key);
  if (!votes || *votes)
    return votes;
  // Data directories from before the separate vote store kept the votes in chain.db: move
  // them over (durably, then forget the old copy so it can never be read again).
  auto legacy = reader->get_meta(votes_key);
  if (!legacy || !*legacy)
    return legacy;
  if (auto status = vote_store->put_meta(votes_key, **legacy); !status)
    return status.error();
  if (auto status = reader->delete_meta(votes_key); !status)
    return status.error();
  return legacy;
}

void Node::Impl::set_timer(std::uint32_t id, chain::TimeMs at_ms) {
  auto& timer = timers[id];
  if (!timer)
    timer = std::make_unique<boost::asio::steady_timer>(io);
  chain::TimeMs now = now_ms();
  auto delay = std::chrono::milliseconds(at_ms > now ? at_ms - now : 0);
  timer->expires_after(delay);
  timer->async_wait([this, id](const boost::system::error_code& error) {
    if (error || stopping)
      return;
    execute(engine->on_timer(id, now_ms()));
  });
}

void Node::Impl::execute(const chain::Actions& actions) {
  for (const auto& action : actions) {
    if (stopping)
      return;
    if (const auto* send = std::get_if<chain::SendAction>(&action)) {
      count_message(send->message, /*incoming=*/false);
      peers->send(send->to, std::make_shared<const Bytes>(encode_consensus(send->message)));
    } else if (const auto* broadcast = std::get_if<chain::BroadcastAction>(&action)) {
      count_message(broadcast->message, /*incoming=*/false, genesis->validators.size() - 1);
      peers->broadcast(std::make_shared<const Bytes>(encode_consensus(broadcast->message)));
    } else if (const auto* commit = std::get_if<chain::CommitBlockAction>(&action)) {
      on_block_committed(commit->block, commit->tx_hashes);
      storage->enqueue(commit->block, commit->diff, commit->tx_hashes);
    } else if (const auto* persist = std::get_if<chain::PersistAction>(&action)) {
      // Durable before anything after it is sent: the replica's safety depends on it.
      if (auto status = vote_store->put_meta(persist->key, persist->value); !status) {
        fatal("cannot persist consensus votes: " + status.message());
        return;
      }
    } else if (const auto* timer = std::get_if<chain::SetTimerAction>(&action)) {
      set_timer(timer->id, timer->at_ms);
    } else if (const auto* cancel = std::get_if<chain::CancelTimerAction>(&action)) {
      if (auto it = timers.find(cancel->id); it != timers.end())
        it->second->cancel();
    } else if (const auto* fetch = std::get_if<chain::FetchBlocksAction>(&action)) {
      if (is_full_node()) {
        fetch_from_upstream(fetch->peer, fetch->from_height, fetch->max_blocks);
      } else {
        peers->send(fetch->peer, std::make_shared<const Bytes>(
                                     encode_fetch_request(fetch->from_height, fetch->max_blocks)));
      }
    }
  }
  refresh_metrics();
}

void Node::Impl::on_block_committed(const chain::Block& block,
                                    const std::vector<crypto::Hash256>& tx_hashes) {
  assert(tx_hashes.size() == block.transactions.size());
  chain::TimeMs now = now_ms();
  crypto::Hash256 block_hash = block.hash();
  for (std::size_t i = 0; i < block.transactions.size(); ++i) {
    const crypto::Hash256& tx_hash = tx_hashes[i];
    unindexed_transactions[tx_hash] =
        chain::TxLocation{block.header.height, static_cast<std::uint32_t>(i), block_hash};
    unindexed_by_height[block.header.height].push_back(tx_hash);
    relayed.erase(tx_hash);
    if (auto it = admitted_at.find(tx_hash); it != admitted_at.end()) {
      gauges.commit_latency->observe(static_cast<double>(now - it->second) / 1000.0);
      admitted_at.erase(it);
    }
  }
  verified.erase(tx_hashes);
  unstored_blocks[block.header.height] = block;
  answer_block_waiters();
  gauges.blocks_committed->inc();
  gauges.transactions_committed->inc(block.transactions.size());
  log_summary(block);
}

void Node::Impl::on_block_stored(std::uint64_t height, Status status,
                                 std::uint64_t indexed_height) {
  if (!status) {
    fatal("cannot store block " + std::to_string(height) + ": " + status.message());
    return;
  }
  stored_height = height;
  unstored_blocks.erase(unstored_blocks.begin(), unstored_blocks.upper_bound(height));
  auto indexed_end = unindexed_by_height.upper_bound(indexed_height);
  for (auto it = unindexed_by_height.begin(); it != indexed_end; ++it) {
    for (const auto& tx_hash : it->second)
      unindexed_transactions.erase(tx_hash);
  }
  unindexed_by_height.erase(unindexed_by_height.begin(), indexed_end);
  if (!stopping)
    execute(engine->on_block_stored(height, now_ms()));
}

void Node::Impl::log_summary(const chain::Block& block) {
  summary_transactions += block.transactions.size();
  std::uint64_t current_view = view();
  bool interval_done =
      block.header.height + 1 >= summary_from_height + config.summary_interval_blocks;
  if (!interval_done && current_view == summary_view)
    return;
  if (is_full_node()) {
    const auto& counters = follower->counters();
    spdlog::info(
        "followed blocks {}-{}: {} transactions, {} blocks rejected, {} fetches timed out, "
        "{} of {} upstreams reachable",
        summary_from_height, block.header.height, summary_transactions, counters.blocks_rejected,
        counters.fetch_timeouts, peers_connected(), upstreams.size());
    summary_from_height = block.header.height + 1;
    summary_transactions = 0;
    summary_view = current_view;
    return;
  }
  const auto& counters = replica->counters();
  std::uint64_t dropped = 0;
  for (auto count : counters.dropped)
    dropped += count;
  spdlog::info(
      "view {} (primary {}): blocks {}-{} committed, {} transactions, {} view changes, "
      "{} invalid proposals, {} messages dropped, {} peers",
      summary_view, genesis->validators.at(summary_view % genesis->validators.size()).name,
      summary_from_height, block.header.height, summary_transactions, counters.view_changes,
      counters.invalid_proposals, dropped, peers->connected_count());
  summary_from_height = block.header.height + 1;
  summary_transactions = 0;
  summary_view = current_view;
}

void Node::Impl::count_message(ByteView message, bool incoming, std::size_t copies) {
  if (message.empty() || message[0] < 1 || message[0] > 6)
    return;
  const char* type = pbft::to_string(static_cast<pbft::MessageType>(message[0]));
  auto& family = incoming ? messages_in_by_type : messages_out_by_type;
  Counter*& counter = family[type];
  if (counter == nullptr) {
    counter = incoming ? &metrics.counter("synod_messages_in_total", "Consensus messages received",
                                          {{"type", type}})
                       : &metrics.counter("synod_messages_out_total", "Consensus messages sent",
                                          {{"type", type}});
  }
  counter->inc(copies);
}

std::uint64_t Node::Impl::head_height() const {
  return replica ? replica->head_height() : follower->head_height();
}

const crypto::Hash256& Node::Impl::head_hash() const {
  return replica ? replica->head_hash() : follower->head_hash();
}

const chain::State& Node::Impl::ledger() const {
  return replica ? replica->state() : follower->state();
}

std::uint64_t Node::Impl::view() const {
  return replica ? replica->view() : follower->head_view();
}

chain::ReplicaIndex Node::Impl::primary() const {
  return replica ? replica->primary()
                 : static_cast<chain::ReplicaIndex>(view() % genesis->validators.size());
}

std::size_t Node::Impl::peers_connected() const {
  if (peers)
    return peers->connected_count();
  return static_cast<std::size_t>(
      std::count(upstream_reachable.begin(), upstream_reachable.end(), true));
}

void Node::Impl::refresh_metrics() {
  gauges.height->set(static_cast<double>(head_height()));
  gauges.stored_height->set(static_cast<double>(stored_height));
  gauges.view->set(static_cast<double>(view()));
  gauges.mempool_size->set(static_cast<double>(mempool->size()));
  gauges.peers->set(static_cast<double>(peers_connected()));
  if (is_full_node()) {
    const auto& counters = follower->counters();
    if (counters.blocks_rejected > blocks_rejected->value())
      blocks_rejected->inc(counters.blocks_rejected - blocks_rejected->value());
    if (counters.fetch_timeouts > fetch_timeouts->value())
      fetch_timeouts->inc(counters.fetch_timeouts - fetch_timeouts->value());
    return;
  }
  const auto& counters = replica->counters();
  if (counters.view_changes > view_changes_seen) {
    gauges.view_changes->inc(counters.view_changes - view_changes_seen);
    view_changes_seen = counters.view_changes;
  }
  for (int reason = 0; reason < static_cast<int>(pbft::DropReason::kCount_); ++reason) {
    if (counters.dropped[reason] > dropped_seen[reason]) {
      const char* label = pbft::to_string(static_cast<pbft::DropReason>(reason));
      dropped_by_reason[label]->inc(counters.dropped[reason] - dropped_seen[reason]);
      dropped_seen[reason] = counters.dropped[reason];
    }
  }
}

void Node::Impl::fatal(const std::string& message) {
  spdlog::critical("{}", message);
  exit_code = 1;
  shutdown();
}

void Node::Impl::shutdown() {
  if (stopping)
    return;
  stopping = true;
  spdlog::info("stopping: writing pending blocks and closing the store");
  for (auto& [id, timer] : timers)
    timer->cancel();
  signals.cancel();
  if (rpc)
    rpc->stop();
  if (peers)
    peers->stop();
  for (auto* pool : {verify_pool.get(), fetch_pool.get(), relay_pool.get()}) {
    if (pool)
      pool->stop();
  }
  io.stop();
}

// ---- Node ---------------------------------------------------------------------------------

Result<std::unique_ptr<Node>> Node::create(NodeOptions options) {
  auto impl = std::make_unique<Impl>();
  if (auto status = impl->open(std::move(options)); !status)
    return status.error();
  return std::unique_ptr<Node>(new Node(std::move(impl)));
}

Node::Node(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Node::~Node() {
  for (auto* pool : {impl_->verify_pool.get(), impl_->fetch_pool.get(), impl_->relay_pool.get()}) {
    if (pool)
      pool->join();
  }
  if (impl_->storage)
    impl_->storage->stop();
}

int Node::run() {
  Impl& r = *impl_;
  if (r.peers) {
    if (auto status = r.peers->start(); !status) {
      spdlog::critical("{}", status.message());
      return 1;
    }
  }
  if (auto status = r.rpc->start(); !status) {
    spdlog::critical("{}", status.message());
    return 1;
  }
  r.signals.async_wait([&r](const boost::system::error_code& error, int) {
    if (!error)
      r.shutdown();
  });
  if (r.is_full_node()) {
    std::string sources;
    for (const auto& upstream : r.upstreams)
      sources += (sources.empty() ? "" : ", ") + upstream.to_string();
    spdlog::info("{} (full node) following chain {} from {}: height {}, RPC on {}", r.name,
                 r.genesis->chain_id, sources, r.stored_height, r.config.rpc_listen);
  } else {
    spdlog::info("{} (validator {}) serving chain {}: height {}, RPC on {}, peers on port {}",
                 r.name, r.index, r.genesis->chain_id, r.stored_height, r.config.rpc_listen,
                 r.peers->listen_port());
  }
  r.execute(r.engine->start(Impl::now_ms()));
  r.io.run();
  r.storage->stop();  // every committed block queued so far is written before exit
  for (auto* pool : {r.verify_pool.get(), r.fetch_pool.get(), r.relay_pool.get()}) {
    if (pool)
      pool->join();
  }
  spdlog::info("stopped at stored height {}", r.stored_height);
  return r.exit_code;
}

}  // namespace synod::node
