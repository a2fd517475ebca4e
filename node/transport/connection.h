// One TCP connection to a peer: handshake, then encrypted frames both ways. Internal to
// node/transport; PeerManager owns the policy (which connections to keep, when to redial),
// a Connection only moves bytes and reports what happened.
//
// Lifetime: always held by std::shared_ptr; every pending Asio handler holds one too, so
// a Connection lives until its last handler ran. Handlers do nothing once the connection is
// closed or the shared `alive` flag is false, which is how PeerManager::stop() guarantees
// that no callback reaches it afterwards.
//
// Thread safety: none; every method and handler runs on the io_context's thread.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "node/transport/frame.h"
#include "node/transport/handshake.h"
#include "node/transport/handshake_workers.h"
#include "node/transport/secure_session.h"
#include "node/transport/stats.h"

namespace synod::transport {

class Connection;

enum class CloseReason : std::uint8_t {
  kPeerClosed,        // end of stream or reset
  kIoError,           // any other socket error
  kHandshakeRefused,  // see Connection::refusal()
  kHandshakeTimeout,
  kOversizedFrame,
  kMalformedFrame,  // zero-length frame
  kDecryptFailure,
  kRetired,             // a duplicate we retired finished draining (or its drain timed out)
  kIdleTimeout,         // nothing at all (not even a keepalive) from an authenticated peer
  kHandshakeThrottled,  // over the handshake rate (handshake_throttle.h): closed before crypto
};
const char* to_string(CloseReason reason);

// Receives a Connection's events. Called only while the shared `alive` flag is true.
class ConnectionOwner {
 public:
  // An inbound connection's HELLO passed the cheap checks: may it have the expensive half?
  // False closes it with kHandshakeThrottled.
  virtual bool admit_handshake(const Connection& connection) = 0;
  virtual void on_authenticated(const std::shared_ptr<Connection>& connection) = 0;
  virtual void on_payload(Connection& connection, Bytes payload) = 0;
  // The connection is closed; it will report nothing more.
  virtual void on_closed(Connection& connection, CloseReason reason, const std::string& detail) = 0;

 protected:
  ~ConnectionOwner() = default;
};

// State shared by the manager and its connections; outlives the manager while handlers
// still hold it.
struct TransportShared {
  bool alive = true;                    // false once PeerManager::stop() ran
  ConnectionOwner* owner = nullptr;     // valid while alive
  HandshakeWorkers* workers = nullptr;  // valid while alive: runs the handshakes' crypto
  TransportStats stats;
};

struct ConnectionOptions {
  HandshakeParams handshake;             // role and, when we dialed, the expected peer
  std::size_t max_frame_bytes = 0;       // largest payload (plaintext) either way
  std::size_t send_queue_max_bytes = 0;  // payload bytes queued or being written
  std::uint64_t handshake_timeout_ms = 0;
  // Authenticated links: an empty payload (a keepalive, never delivered) goes out every
  // keepalive_ms, and a peer silent for idle_timeout_ms is dropped. 0: neither.
  std::uint64_t keepalive_ms = 0;
  std::uint64_t idle_timeout_ms = 0;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  enum class State : std::uint8_t { kHandshaking, kAuthenticated, kDraining, kClosed };
  enum class SendResult : std::uint8_t { kQueued, kQueueFull, kNotReady };

  Connection(boost::asio::ip::tcp::socket socket, ConnectionOptions options,
             std::shared_ptr<TransportShared> shared);

  // Arms the handshake timeout and starts the handshake: a dialed connection sends its
  // HELLO, an accepted one waits for the peer's. The handshake's cryptography runs on
  // shared->workers; no frame is read while a step of it is away.
  void start();
  // Queues a payload for an authenticated connection; it is encrypted when written. After
  // the peer half-closed, queued payloads are still flushed before the connection closes.
  SendResult send(std::shared_ptr<const Bytes> payload);
  // Stops taking payloads, flushes what is queued, half-closes, and keeps reading (and
  // delivering) until the peer half-closes too or `drain_timeout_ms` passes; then closes
  // with kRetired. Used for the losing connection of a duplicate pair, so nothing that was
  // already in flight on it is lost.
  void retire(std::uint64_t drain_timeout_ms);
  // Closes now without telling the owner.
  void shutdown();

  State state() const { return state_; }
  bool outbound() const { return options_.handshake.role == HandshakeRole::kInitiator; }
  // For an outbound connection: the validator we dialed.
  std::optional<chain::ReplicaIndex> dialed_peer() const {
    return options_.handshake.expected_peer;
  }
  // Known after the peer's HELLO was accepted.
  std::optional<chain::ReplicaIndex> peer_index() const { return peer_index_; }
  // Set when closed with kHandshakeRefused.
  std::optional<HandshakeRefusal> refusal() const { return refusal_; }
  const std::string& remote() const { return remote_; }
  std::size_t queued_bytes() const { return queued_bytes_; }
  // The remote IP address alone ("" when unknown).
  const std::string& remote_address() const { return remote_address_; }

 private:
  bool usable() const { return state_ != State::kClosed && shared_->alive; }
  void close(CloseReason reason, std::string detail);
  void do_read();
  void on_read(const boost::system::error_code& error, std::size_t size);
  // Delivers the frames decoded so far, then reads on; pauses while a handshake step is away.
  void pump_frames();
  void on_frame(Bytes frame);
  void on_handshake_frame(ByteView frame);
  struct HandshakeWork {
    std::optional<Bytes> hello;  // ours, made by this step: send it first
    HandshakeStep step;
  };
  // Runs the pending handshake step (and makes our HELLO if not sent yet) on a worker.
  void run_handshake_step();
  void on_handshake_step(HandshakeWork work);
  void on_handshake_complete();
  void do_write();
  void on_written(const boost::system::error_code& error, std::size_t size);
  void maybe_half_close();
  void arm_drain_timer(std::uint64_t timeout_ms, CloseReason reason);
  void on_peer_finished();
  void close_if_finished();
  void arm_keepalive();

  boost::asio::ip::tcp::socket socket_;
  ConnectionOptions options_;
  std::shared_ptr<TransportShared> shared_;
  boost::asio::steady_timer timer_;  // handshake timeout, then drain timeout
  boost::asio::steady_timer keepalive_timer_;
  std::chrono::steady_clock::time_point last_heard_;  // any frame from the peer
  std::string remote_;
  std::string remote_address_;
  State state_ = State::kHandshaking;
  // Shared with a worker while a step runs there; the connection leaves it alone meanwhile.
  std::shared_ptr<Handshake> handshake_;
  bool step_away_ = false;  // a handshake step runs on a worker: frames wait
  bool hello_sent_ = false;
  std::optional<SecureSession> session_;
  std::optional<chain::ReplicaIndex> peer_index_;
  std::optional<HandshakeRefusal> refusal_;
  FrameDecoder decoder_;
  std::unique_ptr<std::uint8_t[]> read_buffer_;

  Bytes handshake_out_;  // framed handshake messages waiting to be written
  std::deque<std::shared_ptr<const Bytes>> queue_;
  std::size_t queued_bytes_ = 0;  // payload bytes in queue_ and in write_buffer_
  Bytes write_buffer_;            // being written when writing_
  std::size_t writing_payload_bytes_ = 0;
  std::size_t writing_frames_ = 0;
  bool writing_ = false;
  bool half_closed_ = false;    // we sent our FIN (draining)
  bool peer_finished_ = false;  // the peer sent its FIN; we only flush what is queued
};

}  // namespace synod::transport
