// Node setup, the engine's actions, timers, metrics and shutdown.
#include "node/node.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>

#include "chain/genesis.h"
#include "crypto/hex.h"
#include "crypto/key_file.h"
#include "node/engine_factory.h"
#include "node/node_impl.h"
#include "node/stored_chain.h"

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
  if (auto status = load_identity(options.home); !status)
    return status;
  spdlog::set_level(spdlog::level::from_str(config.log_level));
  if (options.hash_rate_limit)
    config.hash_rate_limit = *options.hash_rate_limit;
  if (auto status = take_node_behaviours(); !status)
    return status;
  if (auto status = open_stores(options.home); !status)
    return status;
  auto head = reader->head();
  if (!head)
    return head.error();
  auto state = reader->load_state(domain);
  if (!state)
    return state.error();
  if (state->root() != head->header.state_root) {
    return make_error("store: accounts do not match the head block's state root");
  }
  stored_height = head->header.height;

  mempool = std::make_unique<chain::Mempool>(config.mempool);
  verify_pool = std::make_unique<boost::asio::thread_pool>(config.verify_threads);
  register_metrics();
  if (is_full_node()) {
    if (auto status = open_upstreams(); !status)
      return status;
  }
  if (auto status = open_engine(std::move(*state), std::move(*head)); !status)
    return status;
  if (!is_full_node()) {
    if (auto status = open_peers(); !status)
      return status;
  }

  if (auto status = open_rpc(); !status)
    return status;

  summary.from_height = stored_height + 1;
  return Status::success();
}

// Byzantine kinds the node carries out itself rather than its engine.
Status Node::Impl::take_node_behaviours() {
  const auto& kinds = options.byzantine;
  if (std::find(kinds.begin(), kinds.end(), "private-mining") == kinds.end())
    return Status::success();
  if (genesis->mode != chain::ConsensusMode::kPow || is_full_node() || !config.mining_enabled)
    return make_error("--byzantine private-mining: only a proof-of-work miner can mine privately");
  private_mining = true;
  return Status::success();
}

Status Node::Impl::load_identity(const std::string& home_dir) {
  const fs::path home(home_dir);
  auto loaded_config = load_config((home / "config.json").string());
  if (!loaded_config)
    return loaded_config.error();
  config = std::move(*loaded_config);
  auto loaded_genesis = chain::load_genesis((home / "genesis.json").string());
  if (!loaded_genesis)
    return make_error((home / "genesis.json").string() + ": " + loaded_genesis.message());
  genesis = std::make_shared<chain::Genesis>(std::move(*loaded_genesis));
  domain = chain::SigningDomain::of(*genesis);
  auto loaded_key = crypto::load_key_file((home / "node_key.json").string());
  if (!loaded_key)
    return loaded_key.error();
  key = std::move(*loaded_key);
  auto participant = genesis->validators.index_of(key->public_key());
  if (!participant && config.upstreams.empty()) {
    return make_error(
        "node_key.json is not one of the genesis validators; to run a non-validating full "
        "node, list the JSON-RPC endpoints it should follow in config.json \"upstreams\"");
  }
  if (participant && !config.upstreams.empty()) {
    return make_error(
        "config.json lists \"upstreams\", which only a full node uses, but node_key.json is "
        "a genesis validator's key");
  }
  full_node = !participant;
  index = participant.value_or(0);
  if (participant) {
    name = config.moniker.empty() ? genesis->validators.at(index).name : config.moniker;
  } else {
    name = config.moniker.empty() ? "full-node" : config.moniker;
  }
  return Status::success();
}

Status Node::Impl::open_stores(const std::string& home_dir) {
  const fs::path home(home_dir);
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
  // A restart finds blocks whose transactions are not indexed yet: get_tx serves those from
  // memory, as it does the blocks committed from now on, until the storage thread indexes them.
  for (const auto& [tx_hash, location] : reader->unindexed())
    backlog.remember_unindexed(tx_hash, location);
  store_readers = std::make_shared<StoreReaders>(db_path);
  auto writer = chain::BlockStore::open(db_path);
  if (!writer)
    return writer.error();
  storage = std::make_unique<StorageWorker>(std::move(*writer), [this](WriteReport report) {
    boost::asio::post(io, [this, report = std::move(report)] { on_written(report); });
  });
  return open_vote_store((home / "data" / "votes.db").string());
}

Status Node::Impl::open_engine(chain::State state, chain::Block head) {
  StoredChain stored(*reader, *vote_store);
  chain::EngineSetup setup(genesis, *key, std::move(state), std::move(head));
  if (!is_full_node())
    setup.participant = index;
  setup.mempool = mempool.get();
  setup.stored = &stored;
  setup.batch_delay_ms = config.batch_delay_ms;
  setup.view_change_timeout_ms = config.view_change_timeout_ms;
  setup.max_block_gap_ms = config.max_block_gap_ms;
  setup.slow_primary_strikes = config.slow_primary_strikes;
  setup.poll_interval_ms = config.follow_poll_ms;
  setup.upstreams = static_cast<std::uint32_t>(follow.upstreams.size());
  setup.fetch_batch_blocks = kMaxFetchBlocks;
  for (const auto& kind : options.byzantine) {
    if (kind != "private-mining")
      setup.byzantine.push_back(kind);
  }
  setup.adversary_seed = options.adversary_seed;
  setup.mine = config.mining_enabled;
  setup.signature_check = [this](const chain::Transaction& tx, const crypto::Hash256& tx_hash) {
    // Admission (or the fetch thread) verified most transactions already.
    if (verified.contains(tx_hash) || mempool->contains(tx_hash))
      return true;
    bool valid = tx.signature_valid(domain);
    if (valid)
      verified.insert(tx_hash);
    return valid;
  };
  auto built = make_engine(std::move(setup));
  if (!built)
    return built.error();
  engine = std::move(*built);
  engine_metrics = std::make_unique<EngineMetrics>(metrics);
  return Status::success();
}

Status Node::Impl::open_peers() {
  PeerManagerOptions peer_options;
  peer_options.listen_address = config.peer_listen;
  peer_options.handshake_threads = config.peer_handshake_threads;
  peer_options.handshake_rate = {config.peer_handshakes_per_second, config.peer_handshake_burst,
                                 config.peer_handshakes_per_second_per_address,
                                 config.peer_handshake_burst_per_address};
  peers = std::make_unique<PeerManager>(
      io, genesis, *key, peer_options,
      [this](chain::ReplicaIndex from, Bytes payload) { on_peer_frame(from, std::move(payload)); },
      [](std::string line) { spdlog::warn("peers: {}", line); });
  return Status::success();
}

void Node::Impl::register_metrics() {
  gauges.height = &metrics.gauge("synod_height", "Height of the last committed block");
  gauges.stored_height =
      &metrics.gauge("synod_stored_height", "Height of the last block written to disk");
  gauges.mempool_size = &metrics.gauge("synod_mempool_transactions", "Transactions in the mempool");
  gauges.peers = &metrics.gauge("synod_peers_connected", "Validators connected");
  gauges.malformed_frames = &metrics.counter("synod_peer_frames_malformed_total",
                                             "Frames from authenticated peers that did not decode");
  gauges.hash_rate = &metrics.gauge("synod_hash_rate", "Proof-of-work hashes a second (mining)");
  gauges.hashes = &metrics.counter("synod_hashes_total", "Proof-of-work hashes tried");
  gauges.transactions_committed =
      &metrics.counter("synod_transactions_committed_total", "Transactions committed");
  gauges.blocks_committed = &metrics.counter("synod_blocks_committed_total", "Blocks committed");
  gauges.transactions_rejected =
      &metrics.counter("synod_transactions_rejected_total", "Transactions refused at admission");
  gauges.fetches_refused =
      &metrics.counter("synod_peer_fetches_refused_total",
                       "Block requests from peers not served: over budget or not reading");
  gauges.commit_latency = &metrics.histogram(
      "synod_commit_latency_seconds", "Admission to commit, for transactions this node admitted",
      {0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10});
}

Status Node::Impl::open_vote_store(const std::string& path) {
  auto opened = chain::BlockStore::open(path);
  if (!opened)
    return opened.error();
  vote_store = std::move(*opened);
  // Data directories from before the separate vote store kept the PBFT replica's votes
  // (its only record) in chain.db: move them over durably, then forget the old copy so it
  // can never be read again.
  const std::string votes_key = "pbft/votes";
  auto votes = vote_store->get_meta(votes_key);
  if (!votes)
    return votes.error();
  if (*votes)
    return Status::success();
  auto legacy = reader->get_meta(votes_key);
  if (!legacy)
    return legacy.error();
  if (!*legacy)
    return Status::success();
  if (auto status = vote_store->put_meta(votes_key, **legacy); !status)
    return status;
  return reader->delete_meta(votes_key);
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
    } else if (const auto* append = std::get_if<chain::AppendBlockAction>(&action)) {
      on_append(*append);
    } else if (const auto* reorg = std::get_if<chain::ReorgAction>(&action)) {
      on_reorg(*reorg);
    } else if (const auto* side = std::get_if<chain::StoreSideBlockAction>(&action)) {
      storage->enqueue_side_block(side->block);
    } else if (const auto* locate = std::get_if<chain::FetchByLocatorAction>(&action)) {
      fetch_by_locator(*locate);
    } else if (const auto* mine = std::get_if<chain::MineAction>(&action)) {
      start_mining(*mine);
    } else if (std::holds_alternative<chain::StopMiningAction>(action)) {
      if (mining.miner)
        mining.miner->stop_job();
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
        fetch_from_upstream(fetch->peer, {{"from_height", fetch->from_height}}, fetch->max_blocks);
      } else {
        peers->send(fetch->peer, std::make_shared<const Bytes>(
                                     encode_fetch_request(fetch->from_height, fetch->max_blocks)));
      }
    } else if (const auto* own = std::get_if<chain::GossipTransactionAction>(&action)) {
      spread_own_transaction(own->tx);
    } else if (const auto* log = std::get_if<chain::LogAction>(&action)) {
      if (log->level == chain::LogAction::Level::kWarn)
        spdlog::warn("{}", log->line);
      else
        spdlog::info("{}", log->line);
    } else {
      fatal(std::string("the engine asked for an action this node cannot carry out (index ") +
            std::to_string(action.index()) + ")");
      return;
    }
  }
  refresh_metrics();
}

void Node::Impl::log_summary(const chain::Block& block) {
  summary.transactions += block.transactions.size();
  if (block.header.height + 1 < summary.from_height + config.summary_interval_blocks)
    return;
  std::string note = engine->progress_note();
  if (is_full_node()) {
    spdlog::info("followed blocks {}-{}: {} transactions, {}, {} of {} upstreams reachable",
                 summary.from_height, block.header.height, summary.transactions, note,
                 peers_connected(), follow.upstreams.size());
  } else {
    spdlog::info("blocks {}-{}: {} transactions; {}; {} peers", summary.from_height,
                 block.header.height, summary.transactions, note, peers->connected_count());
  }
  summary.from_height = block.header.height + 1;
  summary.transactions = 0;
}

void Node::Impl::count_message(ByteView message, bool incoming, std::size_t copies) {
  std::string type = engine->message_type(message);
  if (type == "unknown")
    return;
  auto& family = incoming ? gauges.messages_in_by_type : gauges.messages_out_by_type;
  Counter*& counter = family[type];
  if (counter == nullptr) {
    counter = incoming ? &metrics.counter("synod_messages_in_total", "Consensus messages received",
                                          {{"type", type}})
                       : &metrics.counter("synod_messages_out_total", "Consensus messages sent",
                                          {{"type", type}});
  }
  counter->inc(copies);
}

std::size_t Node::Impl::peers_connected() const {
  if (peers)
    return peers->connected_count();
  return static_cast<std::size_t>(
      std::count(follow.reachable.begin(), follow.reachable.end(), true));
}

void Node::Impl::refresh_metrics() {
  gauges.height->set(static_cast<double>(head_height()));
  gauges.stored_height->set(static_cast<double>(stored_height));
  gauges.mempool_size->set(static_cast<double>(mempool->size()));
  gauges.peers->set(static_cast<double>(peers_connected()));
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
  if (mining.sample_timer)
    mining.sample_timer->cancel();
  if (mining.miner)
    mining.miner->shutdown();
  signals.cancel();
  if (rpc)
    rpc->stop();
  rpc_work.reset();
  rpc_io.stop();  // answers not yet written are dropped: the node is going away
  if (peers)
    peers->stop();
  for (auto* pool : {verify_pool.get(), follow.fetch_pool.get(), follow.relay_pool.get()}) {
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
  impl_->rpc_io.stop();
  impl_->join_rpc_threads();
  for (auto* pool :
       {impl_->verify_pool.get(), impl_->follow.fetch_pool.get(), impl_->follow.relay_pool.get()}) {
    if (pool)
      pool->join();
  }
  if (impl_->storage)
    impl_->storage->stop();
}

void Node::stop() {
  boost::asio::post(impl_->io, [impl = impl_.get()] { impl->shutdown(); });
}

int Node::run() {
  Impl& r = *impl_;
  if (r.private_mining) {
    spdlog::warn("private mining: no peer links; restart without it to publish the branch");
  } else if (r.peers) {
    if (auto status = r.peers->start(); !status) {
      spdlog::critical("{}", status.message());
      return 1;
    }
  }
  if (auto status = r.rpc->start(); !status) {
    spdlog::critical("{}", status.message());
    return 1;
  }
  r.start_rpc_threads();
  r.signals.async_wait([&r](const boost::system::error_code& error, int) {
    if (!error)
      r.shutdown();
  });
  if (r.is_full_node()) {
    std::string sources;
    for (const auto& upstream : r.follow.upstreams)
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
  r.join_rpc_threads();
  r.storage->stop();  // every committed block queued so far is written before exit
  for (auto* pool : {r.verify_pool.get(), r.follow.fetch_pool.get(), r.follow.relay_pool.get()}) {
    if (pool)
      pool->join();
  }
  spdlog::info("stopped at stored height {}", r.stored_height);
  return r.exit_code;
}

}  // namespace synod::node
