// The encrypted channel a completed handshake yields: one libsodium secretstream
// (XChaCha20-Poly1305) per direction, keyed by the X25519 session keys of the handshake.
//
// Each sealed payload is one stream message; the stream's internal counter makes every
// message's nonce unique and ties messages to their order, so a dropped, reordered, replayed
// or modified frame fails to open. A failure to open is fatal for the session.
//
// Thread safety: none; one owner. Movable, not copyable; key material is wiped on destruction.
#pragma once

#include <cstddef>
#include <memory>

#include "base/bytes.h"
#include "base/result.h"
#include "chain/engine.h"
#include "crypto/ed25519.h"

namespace synod::transport {

// Ciphertext bytes added to every payload (crypto_secretstream_xchacha20poly1305_ABYTES).
inline constexpr std::size_t kSealOverheadBytes = 17;
// Bytes of the header that starts a secretstream (crypto_secretstream_..._HEADERBYTES).
inline constexpr std::size_t kStreamHeaderBytes = 24;
inline constexpr std::size_t kSessionKeyBytes = 32;

struct StreamHeaderTag {};
using StreamHeader = FixedBytes<kStreamHeaderBytes, StreamHeaderTag>;

class SecureSession {
 public:
  SecureSession(SecureSession&& other) noexcept;
  SecureSession& operator=(SecureSession&& other) noexcept;
  SecureSession(const SecureSession&) = delete;
  SecureSession& operator=(const SecureSession&) = delete;
  ~SecureSession();

  chain::ReplicaIndex peer_index() const { return peer_index_; }
  const crypto::PublicKey& peer_key() const { return peer_key_; }

  // Encrypts `plaintext` as the next message of our outgoing stream.
  Bytes seal(ByteView plaintext);
  // Same, appended to `out` as one frame (see frame.h): what the transport writes.
  void seal_frame(Bytes& out, ByteView plaintext);
  // Decrypts the next message of the peer's stream; an error when it does not authenticate
  // (tampered, reordered, replayed or truncated), after which every later open fails too.
  Result<Bytes> open(ByteView ciphertext);

 private:
  friend class Handshake;
  struct Streams;
  SecureSession(chain::ReplicaIndex peer_index, const crypto::PublicKey& peer_key,
                std::unique_ptr<Streams> streams);

  chain::ReplicaIndex peer_index_ = 0;
  crypto::PublicKey peer_key_;
  std::unique_ptr<Streams> streams_;
  bool failed_ = false;
};

}  // namespace synod::transport
