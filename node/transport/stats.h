// Counters of the peer transport (PeerManager::Stats). Monotonic; read them on the
// io_context's thread.
#pragma once

#include <cstdint>

namespace synod::transport {

struct TransportStats {
  std::uint64_t frames_in = 0;   // payload frames decrypted and delivered
  std::uint64_t frames_out = 0;  // payload frames written to sockets
  std::uint64_t bytes_in = 0;    // raw bytes read from sockets (handshakes included)
  std::uint64_t bytes_out = 0;   // raw bytes written to sockets (handshakes included)
  std::uint64_t handshakes_ok = 0;
  std::uint64_t handshakes_refused = 0;  // refused by us (any HandshakeRefusal) or timed out
  // Connections closed for any reason other than stop() or a duplicate finishing its drain:
  // I/O errors, peer closes, refused or timed-out handshakes, bad frames.
  std::uint64_t connections_dropped = 0;
  std::uint64_t frames_dropped_queue_full = 0;  // send() to a peer whose send queue is full
  std::uint64_t oversized_frames = 0;           // received length above the limit
  std::uint64_t decrypt_failures = 0;           // received frames that did not authenticate
  // Beyond the basic set:
  std::uint64_t frames_dropped_not_connected = 0;  // send()/broadcast() to a peer not connected
  std::uint64_t frames_dropped_too_large = 0;      // send() of a payload above max_frame_bytes
  std::uint64_t malformed_frames = 0;              // zero-length frames (reserved)
  std::uint64_t keepalives_in = 0;                 // empty payloads: liveness only
  std::uint64_t idle_timeouts = 0;                 // authenticated peers silent too long
  std::uint64_t handshakes_evicted = 0;            // unauthenticated inbound closed to make room
  std::uint64_t handshakes_throttled = 0;          // inbound closed over the handshake rate
};

}  // namespace synod::transport
