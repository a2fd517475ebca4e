#include "node/transport/connection.h"

#include <boost/asio/write.hpp>
#include <cassert>
#include <chrono>

namespace synod::transport {

namespace {

constexpr std::size_t kReadBufferBytes = 64 * 1024;
// A write gathers queued payloads up to about this many bytes (at least one payload).
constexpr std::size_t kWriteBatchBytes = 1024 * 1024;

std::string endpoint_text(const boost::asio::ip::tcp::socket& socket) {
  boost::system::error_code error;
  auto endpoint = socket.remote_endpoint(error);
  if (error)
    return "unknown peer";
  return endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
}

std::string address_text(const boost::asio::ip::tcp::socket& socket) {
  boost::system::error_code error;
  auto endpoint = socket.remote_endpoint(error);
  return error ? std::string() : endpoint.address().to_string();
}

}  // namespace

const char* to_string(CloseReason reason) {
  switch (reason) {
    case CloseReason::kPeerClosed:
      return "peer closed";
    case CloseReason::kIoError:
      return "i/o error";
    case CloseReason::kHandshakeRefused:
      return "handshake refused";
    case CloseReason::kHandshakeTimeout:
      return "handshake timeout";
    case CloseReason::kOversizedFrame:
      return "oversized frame";
    case CloseReason::kMalformedFrame:
      return "malformed frame";
    case CloseReason::kDecryptFailure:
      return "decryption failure";
    case CloseReason::kRetired:
      return "retired duplicate";
    case CloseReason::kIdleTimeout:
      return "idle timeout";
    case CloseReason::kHandshakeThrottled:
      return "handshake throttled";
  }
  return "unknown close reason";
}

Connection::Connection(boost::asio::ip::tcp::socket socket, ConnectionOptions options,
                       std::shared_ptr<TransportShared> shared)
    : socket_(std::move(socket)),
      options_(std::move(options)),
      shared_(std::move(shared)),
      timer_(socket_.get_executor()),
      keepalive_timer_(socket_.get_executor()),
      remote_(endpoint_text(socket_)),
      remote_address_(address_text(socket_)),
      decoder_(kHandshakeMaxFrameBytes),
      read_buffer_(new std::uint8_t[kReadBufferBytes]) {
  assert(shared_ != nullptr);
  assert(options_.max_frame_bytes > 0);
  handshake_ = std::make_shared<Handshake>(options_.handshake);
  boost::system::error_code ignored;
  socket_.set_option(boost::asio::ip::tcp::no_delay(true), ignored);
  socket_.set_option(boost::asio::socket_base::keep_alive(true), ignored);
}

void Connection::start() {
  assert(state_ == State::kHandshaking);
  timer_.expires_after(std::chrono::milliseconds(options_.handshake_timeout_ms));
  timer_.async_wait([self = shared_from_this()](const boost::system::error_code& error) {
    if (error || !self->usable() || self->state_ != State::kHandshaking)
      return;
    self->close(CloseReason::kHandshakeTimeout, "handshake timed out");
  });
  if (outbound())
    run_handshake_step();  // our HELLO goes first
  else
    do_read();
}

Connection::SendResult Connection::send(std::shared_ptr<const Bytes> payload) {
  assert(payload != nullptr);
  if (state_ != State::kAuthenticated)
    return SendResult::kNotReady;
  if (payload->size() >
      options_.send_queue_max_bytes - std::min(queued_bytes_, options_.send_queue_max_bytes))
    return SendResult::kQueueFull;
  queued_bytes_ += payload->size();
  queue_.push_back(std::move(payload));
  do_write();
  return SendResult::kQueued;
}

void Connection::retire(std::uint64_t drain_timeout_ms) {
  if (state_ != State::kAuthenticated)
    return;
  state_ = State::kDraining;
  arm_drain_timer(drain_timeout_ms, CloseReason::kRetired);
  maybe_half_close();
  close_if_finished();
}

void Connection::arm_drain_timer(std::uint64_t timeout_ms, CloseReason reason) {
  timer_.cancel();
  timer_.expires_after(std::chrono::milliseconds(timeout_ms));
  timer_.async_wait([self = shared_from_this(), reason](const boost::system::error_code& error) {
    if (error || !self->usable())
      return;
    self->close(reason, "drain timed out");
  });
}

void Connection::shutdown() {
  if (state_ == State::kClosed)
    return;
  state_ = State::kClosed;
  boost::system::error_code ignored;
  socket_.close(ignored);
  timer_.cancel();
  keepalive_timer_.cancel();
  queue_.clear();
}

void Connection::close(CloseReason reason, std::string detail) {
  if (state_ == State::kClosed)
    return;
  bool was_draining = state_ == State::kDraining;
  shutdown();
  if (was_draining && (reason == CloseReason::kPeerClosed || reason == CloseReason::kIoError))
    reason = CloseReason::kRetired;  // the peer finished its side of the drain
  if (shared_->alive)
    shared_->owner->on_closed(*this, reason, detail);
}

void Connection::do_read() {
  socket_.async_read_some(
      boost::asio::buffer(read_buffer_.get(), kReadBufferBytes),
      [self = shared_from_this()](const boost::system::error_code& error, std::size_t size) {
        self->on_read(error, size);
      });
}

void Connection::on_read(const boost::system::error_code& error, std::size_t size) {
  if (!usable())
    return;
  if (error == boost::asio::error::eof && state_ != State::kHandshaking) {
    on_peer_finished();
    return;
  }
  if (error) {
    bool reset = error == boost::asio::error::eof || error == boost::asio::error::connection_reset;
    close(reset ? CloseReason::kPeerClosed : CloseReason::kIoError,
          reset ? "connection closed by peer" : "read failed: " + error.message());
    return;
  }
  shared_->stats.bytes_in += size;
  decoder_.feed(ByteView(read_buffer_.get(), size));
  pump_frames();
}

void Connection::pump_frames() {
  // A callback may close this connection (or stop the manager) at any frame.
  while (usable() && !step_away_) {
    std::optional<Bytes> frame = decoder_.next();
    if (!frame)
      break;
    on_frame(std::move(*frame));
  }
  if (!usable() || step_away_)
    return;
  if (decoder_.failed()) {
    bool oversized = decoder_.error() == FrameError::kOversized;
    close(oversized ? CloseReason::kOversizedFrame : CloseReason::kMalformedFrame,
          decoder_.error_message());
    return;
  }
  do_read();
}

void Connection::on_frame(Bytes frame) {
  if (state_ == State::kHandshaking) {
    on_handshake_frame(frame);
    return;
  }
  Result<Bytes> payload = session_->open(frame);
  if (!payload) {
    close(CloseReason::kDecryptFailure, payload.message());
    return;
  }
  last_heard_ = std::chrono::steady_clock::now();
  if (payload->empty()) {  // a keepalive: it only proves the peer is there
    ++shared_->stats.keepalives_in;
    return;
  }
  ++shared_->stats.frames_in;
  shared_->owner->on_payload(*this, std::move(payload).value());
}

void Connection::on_handshake_frame(ByteView frame) {
  HandshakeStep checked = handshake_->check_message(frame);
  if (checked.refusal) {
    refusal_ = checked.refusal;
    close(CloseReason::kHandshakeRefused,
          std::string(to_string(*checked.refusal)) + " (" + checked.detail + ")");
    return;
  }
  peer_index_ = handshake_->peer_index();
  // An accepted connection's first message is the only one that starts cryptography there.
  if (!outbound() && !hello_sent_ && !shared_->owner->admit_handshake(*this)) {
    close(CloseReason::kHandshakeThrottled, "too many handshakes, closed before any crypto");
    return;
  }
  run_handshake_step();
}

void Connection::run_handshake_step() {
  step_away_ = true;
  bool make_hello = !hello_sent_;
  shared_->workers->run([handshake = handshake_, make_hello, self = shared_from_this()]() mutable {
    HandshakeWork work;
    if (make_hello)
      work.hello = handshake->hello();
    if (handshake->awaiting_finish())
      work.step = handshake->finish_message();
    return HandshakeWorkers::Continuation(
        [self = std::move(self), work = std::move(work)]() mutable {
          self->on_handshake_step(std::move(work));
        });
  });
}

void Connection::on_handshake_step(HandshakeWork work) {
  step_away_ = false;
  if (!usable() || state_ != State::kHandshaking)
    return;
  if (work.hello) {
    append_frame(handshake_out_, *work.hello);
    hello_sent_ = true;
  }
  if (work.step.refusal) {
    refusal_ = work.step.refusal;
    close(CloseReason::kHandshakeRefused,
          std::string(to_string(*work.step.refusal)) + " (" + work.step.detail + ")");
    return;
  }
  if (work.step.send)
    append_frame(handshake_out_, *work.step.send);
  do_write();
  if (work.step.complete)
    on_handshake_complete();
  if (!usable())
    return;
  pump_frames();  // frames that arrived meanwhile, then read on
}

void Connection::on_handshake_complete() {
  session_.emplace(handshake_->take_session());
  handshake_.reset();
  timer_.cancel();
  decoder_.set_max_frame_bytes(options_.max_frame_bytes + kSealOverheadBytes);
  state_ = State::kAuthenticated;
  last_heard_ = std::chrono::steady_clock::now();
  arm_keepalive();
  shared_->owner->on_authenticated(shared_from_this());
}

// A paused or wedged peer leaves a TCP connection open for as long as the kernel keeps it:
// without this, its send queue would fill and stay full, and it would count as connected.
void Connection::arm_keepalive() {
  if (options_.keepalive_ms == 0 || options_.idle_timeout_ms == 0)
    return;
  keepalive_timer_.expires_after(std::chrono::milliseconds(options_.keepalive_ms));
  keepalive_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& error) {
    if (error || !self->usable() || self->state_ != State::kAuthenticated)
      return;
    auto silent = std::chrono::steady_clock::now() - self->last_heard_;
    if (silent >= std::chrono::milliseconds(self->options_.idle_timeout_ms)) {
      self->close(CloseReason::kIdleTimeout,
                  "idle timeout: nothing from the peer for " +
                      std::to_string(
                          std::chrono::duration_cast<std::chrono::milliseconds>(silent).count()) +
                      " ms");
      return;
    }
    static const auto kKeepalive = std::make_shared<const Bytes>();
    (void)self->send(kKeepalive);  // a full queue is traffic enough
    self->arm_keepalive();
  });
}

void Connection::do_write() {
  if (writing_ || !usable())
    return;
  assert(write_buffer_.empty());
  append(write_buffer_, handshake_out_);
  handshake_out_.clear();
  writing_payload_bytes_ = 0;
  writing_frames_ = 0;
  // Payloads go out only once the handshake is complete: our AUTH precedes them on the wire.
  while (session_ && !queue_.empty() &&
         (writing_frames_ == 0 || write_buffer_.size() < kWriteBatchBytes)) {
    const Bytes& payload = *queue_.front();
    session_->seal_frame(write_buffer_, payload);
    writing_payload_bytes_ += payload.size();
    ++writing_frames_;
    queue_.pop_front();
  }
  if (write_buffer_.empty()) {
    maybe_half_close();
    return;
  }
  writing_ = true;
  boost::asio::async_write(
      socket_, boost::asio::buffer(write_buffer_),
      [self = shared_from_this()](const boost::system::error_code& error, std::size_t size) {
        self->on_written(error, size);
      });
}

void Connection::on_written(const boost::system::error_code& error, std::size_t size) {
  if (!usable())
    return;
  writing_ = false;
  if (error) {
    close(CloseReason::kIoError, "write failed: " + error.message());
    return;
  }
  shared_->stats.bytes_out += size;
  shared_->stats.frames_out += writing_frames_;
  queued_bytes_ -= writing_payload_bytes_;
  if (write_buffer_.capacity() > 2 * kWriteBatchBytes)
    write_buffer_ = Bytes();  // do not keep a huge buffer after one huge payload
  else
    write_buffer_.clear();
  do_write();
  close_if_finished();
}

void Connection::on_peer_finished() {
  // The peer half-closed: it will send nothing more but still reads (it retired this
  // connection as a duplicate, or is shutting down). Flush what we queued, then close.
  peer_finished_ = true;
  if (state_ == State::kAuthenticated)
    arm_drain_timer(options_.handshake_timeout_ms, CloseReason::kPeerClosed);
  maybe_half_close();
  close_if_finished();
}

void Connection::close_if_finished() {
  if (!usable() || !peer_finished_ || writing_ || !queue_.empty())
    return;
  close(state_ == State::kDraining ? CloseReason::kRetired : CloseReason::kPeerClosed,
        "connection closed by peer");
}

void Connection::maybe_half_close() {
  if (state_ != State::kDraining || writing_ || !queue_.empty() || half_closed_)
    return;
  half_closed_ = true;
  boost::system::error_code ignored;
  socket_.shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
}

}  // namespace synod::transport
