// The node's peer transport: one authenticated, encrypted TCP connection to every other
// genesis validator, kept up by redialing, with bounded per-peer send queues.
//
// Each connection starts with the handshake of handshake.h (mutual Ed25519 authentication
// against the genesis validator set, X25519 session keys) and then carries frames
// (frame.h) each holding one payload sealed with a secretstream (secure_session.h).
//
// Connection policy:
// - Listens on the node's own genesis peer_address (or options.listen_address) and dials
//   every other validator; a failed dial or a lost connection is retried after an
//   exponential backoff (reconnect_min_ms doubling up to reconnect_max_ms) plus random
//   jitter of up to half the backoff.
// - Exactly one live connection per pair. When a second one to the same validator
//   authenticates, both sides keep the one dialed by the lower validator index (or, when
//   both were dialed by the same side, the newer one: that side redialed because it saw
//   the old one die). The loser is not cut: it is drained (queued frames flushed,
//   half-closed, read until the peer half-closes too) so nothing already in flight on it
//   is lost. Messages may therefore arrive out of order around a switch; the consensus
//   layer does not depend on order.
// - A peer's fault — garbage, an oversized length, a refused handshake (wrong chain id,
//   unknown validator, bad signature, ...), a handshake timeout, a frame that does not
//   decrypt — closes that one connection, is counted in stats(), and is logged at most once
//   per log_interval_ms per kind; everyone else is served as before. Unauthenticated
//   inbound connections are capped in number.
// - Handshake cryptography runs on handshake_threads worker threads, never on the event
//   loop, and inbound handshakes are rate-limited (handshake_throttle.h): one over the rate
//   is closed as soon as its HELLO is read, before any cryptography.
//
// Threading: single-threaded. The caller's io_context runs every handler; construct the
// manager and call every public method on the thread running that io_context (or before
// it runs). The MessageHandler and LogFn are called on that thread too, never after stop()
// returned. The io_context must outlive the manager. The handler may call send(),
// broadcast() and stop(), but must not destroy the manager.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/bytes.h"
#include "base/result.h"
#include "chain/engine.h"
#include "chain/genesis.h"
#include "crypto/ed25519.h"
#include "node/transport/handshake_throttle.h"
#include "node/transport/stats.h"

namespace synod::transport {

struct PeerManagerOptions {
  std::string listen_address;  // "host:port"; empty: this validator's genesis peer_address
  std::size_t max_frame_bytes = 64u << 20;       // largest payload either way
  std::size_t send_queue_max_bytes = 64u << 20;  // per peer: payload bytes queued or in flight
  std::uint64_t reconnect_min_ms = 100, reconnect_max_ms = 5000, handshake_timeout_ms = 5000;
  // Authenticated links: a keepalive every keepalive_ms; a peer silent for idle_timeout_ms
  // is dropped (and redialed). 0 turns both off.
  std::uint64_t keepalive_ms = 5000, idle_timeout_ms = 30000;
  std::uint64_t log_interval_ms = 10000;  // per kind of peer fault
  std::size_t handshake_threads = 1;      // run handshake cryptography; 1 to 16
  HandshakeRateLimits handshake_rate;     // inbound handshakes a second, total and per address
};

class PeerManager {
 public:
  // Called for every payload a validator sent us, on the io_context's thread.
  using MessageHandler = std::function<void(chain::ReplicaIndex from, Bytes payload)>;
  using LogFn = std::function<void(std::string line)>;  // the node passes its logger
  using Stats = TransportStats;

  // `node_key` must be one of the genesis validators' keys (checked by start()).
  // `handler` must not be empty; `log` may be.
  PeerManager(boost::asio::io_context& io, std::shared_ptr<const chain::Genesis> genesis,
              crypto::KeyPair node_key, PeerManagerOptions options, MessageHandler handler,
              LogFn log);
  PeerManager(const PeerManager&) = delete;
  PeerManager& operator=(const PeerManager&) = delete;
  ~PeerManager();  // stop()s

  // Binds and listens, then dials every other validator. Once only. An error value if the
  // options are out of range, the node key is not a genesis validator, or the address is
  // bad or taken.
  Status start();
  // Closes the listener and every connection and cancels every timer; no callback runs
  // after it returns. Idempotent. The manager cannot be started again.
  void stop();

  // Queues `payload` for validator `to`. Dropped (and counted) when that validator is not
  // connected, the payload exceeds max_frame_bytes, or its send queue is full. Sending to
  // ourselves or to an index outside the validator set does nothing.
  void send(chain::ReplicaIndex to, std::shared_ptr<const Bytes> payload);
  // send() to every connected validator; one shared buffer, no copies.
  void broadcast(std::shared_ptr<const Bytes> payload);

  std::size_t connected_count() const;
  bool is_connected(chain::ReplicaIndex index) const;
  // Payload bytes queued (or being written) to a validator; 0 when not connected.
  std::size_t queued_bytes(chain::ReplicaIndex index) const;
  // The bound port (useful when listening on port 0); 0 before start().
  std::uint16_t listen_port() const;
  // This node's validator index; valid after a successful start().
  chain::ReplicaIndex self_index() const;
  const Stats& stats() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace synod::transport

// The node runtime refers to these by their short names.
namespace synod::node {
using transport::PeerManager;
using transport::PeerManagerOptions;
}  // namespace synod::node
