#include "node/transport/peer_manager.h"

#include <boost/asio/socket_base.hpp>
#include <cassert>
#include <chrono>
#include <limits>

#include "node/transport/peer_manager_impl.h"

namespace synod::transport {

namespace {

// Unauthenticated inbound connections we keep at once (our own dials do not count). Beyond
// it, or beyond an address's own limit, a new one evicts the oldest: idle sockets cannot
// hold the port against a validator that reconnects, they can only churn. Each lives at
// most handshake_timeout_ms.
constexpr std::size_t kMaxHandshakingBase = 64;
// Per remote address, plus one for each genesis validator that lives at that address.
constexpr std::size_t kMaxHandshakingPerAddress = 8;
// Retired duplicates draining at once, beyond which a new loser is cut instead of drained.
constexpr std::size_t kMaxRetiredBase = 16;
constexpr std::uint64_t kAcceptRetryMs = 100;
// Handshakes handed to the workers and not answered yet, beyond which new inbound ones are
// throttled too (the rate limits keep far below it; this bounds the queue whatever they are).
constexpr std::size_t kMaxPendingHandshakeSteps = 256;

Status check_options(const PeerManagerOptions& options) {
  constexpr std::size_t kLargestFrame =
      std::numeric_limits<std::uint32_t>::max() - kSealOverheadBytes;
  if (options.max_frame_bytes == 0 || options.max_frame_bytes > kLargestFrame)
    return make_error("peer manager: max_frame_bytes must be 1.." + std::to_string(kLargestFrame));
  if (options.send_queue_max_bytes == 0)
    return make_error("peer manager: send_queue_max_bytes must be > 0");
  if (options.handshake_timeout_ms == 0)
    return make_error("peer manager: handshake_timeout_ms must be > 0");
  if (options.keepalive_ms != 0 && options.idle_timeout_ms <= options.keepalive_ms)
    return make_error("peer manager: idle_timeout_ms must exceed keepalive_ms");
  if (options.reconnect_min_ms > options.reconnect_max_ms)
    return make_error("peer manager: reconnect_min_ms must not exceed reconnect_max_ms");
  if (options.handshake_threads == 0 || options.handshake_threads > 16)
    return make_error("peer manager: handshake_threads must be 1..16");
  const HandshakeRateLimits& rate = options.handshake_rate;
  if (rate.per_second == 0 || rate.burst == 0 || rate.per_address_per_second == 0 ||
      rate.per_address_burst == 0)
    return make_error("peer manager: handshake rates and bursts must be > 0");
  return Status::success();
}

}  // namespace

// ---- PeerManager: forwards to Impl ------------------------------------------------------

PeerManager::PeerManager(boost::asio::io_context& io, std::shared_ptr<const chain::Genesis> genesis,
                         crypto::KeyPair node_key, PeerManagerOptions options,
                         MessageHandler handler, LogFn log)
    : impl_(std::make_unique<Impl>(io, std::move(genesis), std::move(node_key), std::move(options),
                                   std::move(handler), std::move(log))) {}

PeerManager::~PeerManager() = default;

Status PeerManager::start() {
  return impl_->start();
}
void PeerManager::stop() {
  impl_->stop();
}
void PeerManager::send(chain::ReplicaIndex to, std::shared_ptr<const Bytes> payload) {
  impl_->send(to, payload);
}
void PeerManager::broadcast(std::shared_ptr<const Bytes> payload) {
  impl_->broadcast(payload);
}
std::size_t PeerManager::connected_count() const {
  return impl_->connected_count();
}
bool PeerManager::is_connected(chain::ReplicaIndex index) const {
  return impl_->is_connected(index);
}

std::size_t PeerManager::queued_bytes(chain::ReplicaIndex index) const {
  return impl_->queued_bytes(index);
}
std::uint16_t PeerManager::listen_port() const {
  return impl_->listen_port();
}
chain::ReplicaIndex PeerManager::self_index() const {
  return impl_->self_index();
}
const PeerManager::Stats& PeerManager::stats() const {
  return impl_->stats();
}

// ---- Impl: lifecycle ---------------------------------------------------------------------

PeerManager::Impl::Impl(boost::asio::io_context& io, std::shared_ptr<const chain::Genesis> genesis,
                        crypto::KeyPair node_key, PeerManagerOptions options,
                        MessageHandler handler, LogFn log)
    : io_(io),
      genesis_(std::move(genesis)),
      node_key_(std::move(node_key)),
      options_(std::move(options)),
      handler_(std::move(handler)),
      log_(std::move(log)),
      shared_(std::make_shared<TransportShared>()),
      limiter_(options_.log_interval_ms),
      rng_(std::random_device{}()),
      throttle_(options_.handshake_rate),
      acceptor_(io),
      accept_retry_timer_(io) {
  assert(genesis_ != nullptr);
  assert(handler_);
  shared_->owner = this;
  peers_.reserve(genesis_->validators.size());
  for (std::size_t i = 0; i < genesis_->validators.size(); ++i)
    peers_.push_back(std::make_unique<Peer>(io_));
}

PeerManager::Impl::~Impl() {
  stop();
}

Status PeerManager::Impl::start() {
  if (started_ || stopped_)
    return make_error("peer manager: start() may be called once");
  if (auto status = check_options(options_); !status)
    return status;
  std::optional<chain::ReplicaIndex> self = genesis_->validators.index_of(node_key_.public_key());
  if (!self)
    return make_error("peer manager: the node key is not a genesis validator");
  self_ = *self;
  for (const auto& validator : genesis_->validators.all()) {
    if (auto address = parse_host_port(validator.peer_address))
      ++validators_at_host_[address->host];
  }
  const std::string& address = options_.listen_address.empty()
                                   ? genesis_->validators.at(self_).peer_address
                                   : options_.listen_address;
  if (auto status = listen(address); !status)
    return status;
  workers_ = std::make_unique<HandshakeWorkers>(io_, options_.handshake_threads);
  shared_->workers = workers_.get();
  started_ = true;
  do_accept();
  for (chain::ReplicaIndex index = 0; index < peers_.size(); ++index) {
    if (index == self_)
      continue;
    Result<HostPort> peer_address = parse_host_port(genesis_->validators.at(index).peer_address);
    if (!peer_address) {
      log_now("transport: not dialing validator " + std::to_string(index) + ": " +
              peer_address.message());
      continue;
    }
    peers_[index]->address = std::move(peer_address).value();
    peers_[index]->backoff_ms = options_.reconnect_min_ms;
    dial_after(index, 0);
  }
  return Status::success();
}

Status PeerManager::Impl::listen(const std::string& address_text) {
  Result<HostPort> address = parse_host_port(address_text);
  if (!address)
    return make_error("cannot listen: " + address.message());
  auto fail = [&](const boost::system::error_code& error) {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    return make_error("cannot listen on " + address_text + ": " + error.message());
  };
  boost::system::error_code error;
  boost::asio::ip::tcp::resolver resolver(io_);
  auto endpoints = resolver.resolve(address->host, std::to_string(address->port),
                                    boost::asio::ip::tcp::resolver::passive, error);
  if (error)
    return fail(error);
  if (endpoints.empty())
    return fail(boost::asio::error::host_not_found);
  boost::asio::ip::tcp::endpoint endpoint = endpoints.begin()->endpoint();
  acceptor_.open(endpoint.protocol(), error);
  if (!error)
    acceptor_.set_option(boost::asio::socket_base::reuse_address(true), error);
  if (!error)
    acceptor_.bind(endpoint, error);
  if (!error)
    acceptor_.listen(boost::asio::socket_base::max_listen_connections, error);
  if (error)
    return fail(error);
  listen_port_ = acceptor_.local_endpoint(error).port();
  return Status::success();
}

void PeerManager::Impl::stop() {
  if (stopped_)
    return;
  stopped_ = true;
  shared_->alive = false;  // from here on no handler touches this object
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  accept_retry_timer_.cancel();
  for (auto& peer : peers_) {
    cancel_dial(*peer);
    if (peer->active)
      peer->active->shutdown();
    peer->active.reset();
  }
  for (const auto& connection : handshaking_)
    connection->shutdown();
  for (const auto& connection : retired_)
    connection->shutdown();
  handshaking_.clear();
  retired_.clear();
  if (workers_)
    workers_->stop();  // joins; steps still queued are dropped
}

// ---- Impl: accepting ---------------------------------------------------------------------

void PeerManager::Impl::do_accept() {
  acceptor_.async_accept([this, shared = shared_](const boost::system::error_code& error,
                                                  boost::asio::ip::tcp::socket socket) {
    if (!shared->alive)
      return;
    on_accepted(error, std::move(socket));
  });
}

void PeerManager::Impl::on_accepted(const boost::system::error_code& error,
                                    boost::asio::ip::tcp::socket socket) {
  if (error == boost::asio::error::operation_aborted)
    return;
  if (error) {
    // Typically out of file descriptors: back off instead of spinning on accept.
    log_limited("accept", "transport: accept failed: " + error.message());
    accept_retry_timer_.expires_after(std::chrono::milliseconds(kAcceptRetryMs));
    accept_retry_timer_.async_wait([this, shared = shared_](const boost::system::error_code& e) {
      if (shared->alive && !e)
        do_accept();
    });
    return;
  }
  auto connection = make_connection(std::move(socket), std::nullopt);
  make_room_for(connection->remote_address());
  handshaking_.insert(connection);
  inbound_order_.push_back(connection);
  connection->start();
  do_accept();
}

std::size_t PeerManager::Impl::address_limit(const std::string& address) const {
  auto it = validators_at_host_.find(address);
  return kMaxHandshakingPerAddress + (it == validators_at_host_.end() ? 0 : it->second);
}

void PeerManager::Impl::make_room_for(const std::string& address) {
  std::size_t inbound = 0, from_address = 0;
  for (const auto& connection : handshaking_) {
    if (!connection->outbound()) {
      ++inbound;
      from_address += connection->remote_address() == address ? 1 : 0;
    }
  }
  bool address_full = from_address >= address_limit(address);
  if (!address_full && inbound < kMaxHandshakingBase + 2 * peers_.size())
    return;
  for (auto it = inbound_order_.begin(); it != inbound_order_.end();) {
    std::shared_ptr<Connection> oldest = it->lock();
    if (!oldest || !handshaking_.count(oldest)) {
      it = inbound_order_.erase(it);  // finished or closed since
      continue;
    }
    if (address_full && oldest->remote_address() != address) {
      ++it;
      continue;
    }
    inbound_order_.erase(it);
    handshaking_.erase(oldest);
    oldest->shutdown();
    ++shared_->stats.handshakes_evicted;
    log_limited("evicted-handshake", "transport: too many unauthenticated connections" +
                                         std::string(address_full ? " from " + address : "") +
                                         ", closed the oldest");
    return;
  }
}

std::shared_ptr<Connection> PeerManager::Impl::make_connection(
    boost::asio::ip::tcp::socket socket, std::optional<chain::ReplicaIndex> dialed) {
  HandshakeRole role = dialed ? HandshakeRole::kInitiator : HandshakeRole::kResponder;
  ConnectionOptions options{HandshakeParams{genesis_, node_key_, role, dialed},
                            options_.max_frame_bytes,
                            options_.send_queue_max_bytes,
                            options_.handshake_timeout_ms,
                            options_.keepalive_ms,
                            options_.idle_timeout_ms};
  return std::make_shared<Connection>(std::move(socket), std::move(options), shared_);
}

// ---- Impl: connection events -------------------------------------------------------------

bool PeerManager::Impl::admit_handshake(const Connection& connection) {
  const std::string& address = connection.remote_address();
  auto hosted = validators_at_host_.find(address);
  std::size_t validators_there = hosted == validators_at_host_.end() ? 0 : hosted->second;
  ThrottleVerdict verdict = workers_->pending() >= kMaxPendingHandshakeSteps
                                ? ThrottleVerdict::kGlobalLimited
                                : throttle_.admit(address, validators_there, now_ms());
  if (verdict == ThrottleVerdict::kAdmitted)
    return true;
  bool by_address = verdict == ThrottleVerdict::kAddressLimited;
  log_limited(by_address ? "throttled:" + address : std::string("throttled"),
              "transport: too many handshakes" + (by_address ? " from " + address : "") +
                  ", closing new ones before any crypto");
  return false;
}

void PeerManager::Impl::on_authenticated(const std::shared_ptr<Connection>& connection) {
  handshaking_.erase(connection);
  ++shared_->stats.handshakes_ok;
  chain::ReplicaIndex index = *connection->peer_index();
  Peer& peer = *peers_[index];
  if (connection->outbound())
    peer.dialing = false;
  peer.backoff_ms = options_.reconnect_min_ms;
  if (!peer.active) {
    activate(index, connection);
    return;
  }
  // Two live connections to one validator. Both sides must pick the same survivor: the one
  // dialed by the lower index, or the newer one when one side dialed both.
  bool same_dialer = connection->outbound() == peer.active->outbound();
  bool keep_new = same_dialer || connection->outbound() == (self_ < index);
  if (keep_new) {
    std::shared_ptr<Connection> old = peer.active;
    peer.active = connection;
    retire(old);
  } else {
    retire(connection);
  }
}

void PeerManager::Impl::activate(chain::ReplicaIndex index,
                                 const std::shared_ptr<Connection>& connection) {
  peers_[index]->active = connection;
  log_limited("connected:" + std::to_string(index),
              "transport: connected to " + describe(*connection) +
                  (connection->outbound() ? " (dialed)" : " (accepted)"));
}

void PeerManager::Impl::retire(const std::shared_ptr<Connection>& connection) {
  if (retired_.size() >= kMaxRetiredBase + 2 * peers_.size()) {
    connection->shutdown();
    return;
  }
  retired_.insert(connection);
  connection->retire(options_.handshake_timeout_ms);
}

void PeerManager::Impl::on_payload(Connection& connection, Bytes payload) {
  handler_(*connection.peer_index(), std::move(payload));
}

void PeerManager::Impl::on_closed(Connection& connection, CloseReason reason,
                                  const std::string& detail) {
  std::shared_ptr<Connection> held = connection.shared_from_this();
  count_close(reason);
  if (handshaking_.erase(held) > 0) {
    std::string key = connection.refusal()
                          ? std::string("refused:") + to_string(*connection.refusal())
                          : std::string("handshake:") + to_string(reason);
    // An inbound peer's claimed identity is unproven until its AUTH verifies: name its address.
    std::string who = connection.outbound() ? describe(connection) : connection.remote();
    if (reason == CloseReason::kHandshakeRefused)
      log_limited(key, "transport: refused handshake with " + who + ": " + detail);
    else if (reason != CloseReason::kHandshakeThrottled)  // admit_handshake() logged it
      log_limited(key, "transport: handshake with " + who + " failed: " + detail);
    if (std::optional<chain::ReplicaIndex> dialed = connection.dialed_peer())
      dial_failed(*dialed, "");  // already logged above
    return;
  }
  if (retired_.erase(held) > 0) {
    if (reason != CloseReason::kRetired) {
      log_limited(std::string(to_string(reason)) + ":retired",
                  "transport: duplicate connection to " + describe(connection) + ": " + detail);
    }
    return;
  }
  std::optional<chain::ReplicaIndex> index = connection.peer_index();
  if (!index || peers_[*index]->active != held)
    return;
  peers_[*index]->active.reset();
  log_limited(std::string(to_string(reason)) + ":" + std::to_string(*index),
              "transport: lost " + describe(connection) + ": " + detail);
  schedule_redial(*index);
}

void PeerManager::Impl::count_close(CloseReason reason) {
  TransportStats& stats = shared_->stats;
  switch (reason) {
    case CloseReason::kHandshakeRefused:
    case CloseReason::kHandshakeTimeout:
      ++stats.handshakes_refused;
      break;
    case CloseReason::kOversizedFrame:
      ++stats.oversized_frames;
      break;
    case CloseReason::kMalformedFrame:
      ++stats.malformed_frames;
      break;
    case CloseReason::kDecryptFailure:
      ++stats.decrypt_failures;
      break;
    case CloseReason::kIdleTimeout:
      ++stats.idle_timeouts;
      break;
    case CloseReason::kHandshakeThrottled:
      ++stats.handshakes_throttled;
      break;
    case CloseReason::kPeerClosed:
    case CloseReason::kIoError:
    case CloseReason::kRetired:
      break;
  }
  if (reason != CloseReason::kRetired)
    ++stats.connections_dropped;
}

// ---- Impl: sending -----------------------------------------------------------------------

void PeerManager::Impl::send(chain::ReplicaIndex to, const std::shared_ptr<const Bytes>& payload) {
  assert(payload != nullptr);
  if (!started_ || stopped_ || to >= peers_.size() || to == self_)
    return;
  TransportStats& stats = shared_->stats;
  if (payload->size() > options_.max_frame_bytes) {
    ++stats.frames_dropped_too_large;
    log_limited("too-large", "transport: dropped a " + std::to_string(payload->size()) +
                                 "-byte payload: above max_frame_bytes " +
                                 std::to_string(options_.max_frame_bytes));
    return;
  }
  Peer& peer = *peers_[to];
  if (!peer.active) {
    ++stats.frames_dropped_not_connected;
    return;
  }
  if (peer.active->send(payload) == Connection::SendResult::kQueueFull) {
    ++stats.frames_dropped_queue_full;
    log_limited(
        "queue-full:" + std::to_string(to),
        "transport: send queue to validator " + std::to_string(to) + " is full, dropping frames");
  }
}

void PeerManager::Impl::broadcast(const std::shared_ptr<const Bytes>& payload) {
  for (chain::ReplicaIndex index = 0; index < peers_.size(); ++index) {
    if (index != self_)
      send(index, payload);
  }
}

std::size_t PeerManager::Impl::connected_count() const {
  std::size_t count = 0;
  for (const auto& peer : peers_)
    count += peer->active != nullptr ? 1 : 0;
  return count;
}

bool PeerManager::Impl::is_connected(chain::ReplicaIndex index) const {
  return index < peers_.size() && peers_[index]->active != nullptr;
}

std::size_t PeerManager::Impl::queued_bytes(chain::ReplicaIndex index) const {
  if (index >= peers_.size() || peers_[index]->active == nullptr)
    return 0;
  return peers_[index]->active->queued_bytes();
}

// ---- Impl: logging -----------------------------------------------------------------------

std::string PeerManager::Impl::describe(const Connection& connection) const {
  std::optional<chain::ReplicaIndex> index = connection.peer_index();
  if (!index)
    index = connection.dialed_peer();
  if (!index)
    return connection.remote();
  return "validator " + std::to_string(*index) + " (" + connection.remote() + ")";
}

void PeerManager::Impl::log_limited(const std::string& key, std::string line) {
  if (!log_)
    return;
  if (std::optional<std::string> admitted = limiter_.admit(key, now_ms(), std::move(line)))
    log_(std::move(*admitted));
}

void PeerManager::Impl::log_now(std::string line) {
  if (log_)
    log_(std::move(line));
}

std::uint64_t PeerManager::Impl::now_ms() const {
  auto since_epoch = std::chrono::steady_clock::now().time_since_epoch();
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count());
}

}  // namespace synod::transport
