// The authenticated key exchange that opens every peer connection, as a sans-I/O state
// machine: the caller moves messages between two Handshakes (over a socket, or directly in
// a test) and gets a SecureSession when both sides are satisfied.
//
// Protocol (both sides run the same code; the dialer is the initiator):
//   1. Each side makes a fresh X25519 key pair (crypto_kx) and a 32-byte random challenge
//      and sends HELLO {version, chain_id, validator Ed25519 key, kx public key, challenge}.
//      The initiator sends it first; the transport's responder sends its own only once the
//      initiator's HELLO passed the cheap checks, so an idle or foreign socket costs it no
//      key generation (the initiator accepts either order).
//   2. On the peer's HELLO: refuse unless the version and chain id match ours and the key
//      is a genesis validator other than ourselves (and, when we dialed, the one we dialed).
//      Then derive the session keys (initiator = crypto_kx client), start our outgoing
//      secretstream and send AUTH {Ed25519 signature over the transcript below, stream
//      header}.
//   3. On the peer's AUTH: refuse unless its signature verifies under the peer's validator
//      key; then open the peer's stream. Done.
//
// Transcript signed by each side:
//   "synod/handshake/v1" || u32 len || chain_id || the PEER's challenge
//   || kx key of initiator || kx key of responder || identity key of initiator
//   || identity key of responder
// Signing the peer's fresh challenge and both fresh kx keys proves possession of the
// validator key in this session and binds the session keys to both identities, so a HELLO
// or AUTH recorded from an earlier session does not verify, and a man in the middle cannot
// substitute its own kx key.
//
// Every message travels as one frame of at most kHandshakeMaxFrameBytes; decoding is strict
// (chain::Reader) and never throws: a bad message is a refusal value.
//
// Each received message is handled in two halves: check_message() decodes it and checks
// what needs no cryptography; finish_message() does the X25519 exchange and the Ed25519
// signature or verification. on_message() does both. The transport runs the cheap half on
// its event loop and, once the peer is admitted, the expensive half on a worker thread.
//
// Thread safety: none; one owner at a time (it may be handed to another thread between
// calls).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "base/bytes.h"
#include "chain/engine.h"
#include "chain/genesis.h"
#include "crypto/ed25519.h"
#include "node/transport/secure_session.h"

namespace synod::transport {

// Version 2 binds the session to the genesis hash, not only the chain id: two networks that
// share a chain id (and even validator keys) but not their genesis refuse each other.
inline constexpr std::uint16_t kProtocolVersion = 2;
inline constexpr std::size_t kHandshakeMaxFrameBytes = 512;
inline constexpr std::string_view kHandshakeDomain = "synod/handshake/v2";

struct KxPublicKeyTag {};
struct ChallengeTag {};
using KxPublicKey = FixedBytes<32, KxPublicKeyTag>;
using Challenge = FixedBytes<32, ChallengeTag>;

enum class HandshakeRole : std::uint8_t { kInitiator, kResponder };

// Why a handshake was refused. All are the peer's fault (or an attacker's).
enum class HandshakeRefusal : std::uint8_t {
  kMalformed,           // undecodable message
  kUnexpectedMessage,   // a message out of order (AUTH before HELLO, anything after AUTH)
  kUnsupportedVersion,  // a protocol version we do not speak
  kWrongChainId,        // a different chain
  kUnknownValidator,    // identity key not in the genesis validator set, or our own key
  kUnexpectedPeer,      // we dialed one validator and another one answered
  kBadKeyExchange,      // the peer's kx public key yields no shared secret
  kBadSignature,        // AUTH does not verify
  kWrongGenesis,        // the same chain id, a different genesis: another network
};
inline constexpr std::size_t kHandshakeRefusalCount = 9;
// Stable one-line reasons: "malformed handshake message", "wrong chain id",
// "unknown validator", "bad handshake signature", ...
const char* to_string(HandshakeRefusal refusal);

// The fresh per-session secrets: an X25519 key pair and the challenge. Wiped on destruction.
class EphemeralSecrets {
 public:
  // From the operating system's randomness: what the transport uses.
  static EphemeralSecrets generate();
  // Deterministic, for tests and fuzzing only.
  static EphemeralSecrets from_seed(const crypto::Seed& kx_seed, const Challenge& challenge);

  EphemeralSecrets(const EphemeralSecrets& other) = default;
  EphemeralSecrets& operator=(const EphemeralSecrets& other) = default;
  ~EphemeralSecrets();

  const KxPublicKey& kx_public_key() const { return kx_public_; }
  const Challenge& challenge() const { return challenge_; }
  ByteView kx_secret_key() const { return kx_secret_.view(); }

 private:
  struct KxSecretTag {};
  EphemeralSecrets() = default;
  KxPublicKey kx_public_;
  FixedBytes<32, KxSecretTag> kx_secret_;
  Challenge challenge_;
};

struct HandshakeParams {
  std::shared_ptr<const chain::Genesis> genesis;  // chain id and validator set; not null
  crypto::KeyPair identity;                       // our validator key
  HandshakeRole role = HandshakeRole::kInitiator;
  // Set by the dialer: the validator it meant to reach. The responder accepts any validator.
  std::optional<chain::ReplicaIndex> expected_peer;
};

// What one received message produced.
struct HandshakeStep {
  std::optional<HandshakeRefusal> refusal;  // set: drop the connection
  std::string detail;                       // one line for the log when refused
  std::optional<Bytes> send;                // a message to send (unframed), e.g. our AUTH
  bool complete = false;                    // take_session() is ready
};

// X25519 and Ed25519 operations that handshakes ran on the calling thread (key generation,
// key exchange, signing, verifying). The transport's tests show with it that its event loop
// ran none.
std::uint64_t handshake_crypto_on_this_thread();

class Handshake {
 public:
  // Our secrets are generated when first needed (hello() or finish_message()).
  explicit Handshake(HandshakeParams params);
  Handshake(HandshakeParams params, EphemeralSecrets secrets);
  Handshake(const Handshake&) = delete;
  Handshake& operator=(const Handshake&) = delete;
  ~Handshake();

  // Our HELLO (unframed); generates our secrets on first use. Send it before our AUTH.
  const Bytes& hello();
  // Feeds the peer's next handshake message (one frame's payload): check_message() and,
  // unless that refused, finish_message().
  HandshakeStep on_message(ByteView message);
  // The cheap half: decodes the message and checks it without cryptography. A refusal is
  // final. Otherwise nothing is to be sent yet and finish_message() must be called next.
  HandshakeStep check_message(ByteView message);
  // The expensive half for the message check_message() accepted.
  HandshakeStep finish_message();
  // check_message() accepted a message and finish_message() has not run yet.
  bool awaiting_finish() const {
    return state_ == State::kHelloChecked || state_ == State::kAuthChecked;
  }

  bool complete() const { return state_ == State::kComplete; }
  bool refused() const { return state_ == State::kRefused; }
  // The peer's validator index, known once its HELLO was accepted.
  std::optional<chain::ReplicaIndex> peer_index() const { return peer_index_; }
  // Requires complete(); may be called once.
  SecureSession take_session();

 private:
  enum class State : std::uint8_t {
    kAwaitHello,
    kHelloChecked,
    kAwaitAuth,
    kAuthChecked,
    kComplete,
    kRefused,
    kTaken
  };

  HandshakeStep check_hello(ByteView message);
  HandshakeStep check_auth(ByteView message);
  HandshakeStep answer_hello();
  HandshakeStep verify_auth();
  const EphemeralSecrets& secrets();
  HandshakeStep refuse(HandshakeRefusal refusal, std::string detail);
  Bytes transcript(const Challenge& signed_challenge) const;

  HandshakeParams params_;
  std::optional<EphemeralSecrets> secrets_;
  crypto::Hash256 genesis_hash_;  // bound into HELLO and the signed transcript
  Bytes hello_;                   // empty until secrets() made it
  State state_ = State::kAwaitHello;
  std::optional<chain::ReplicaIndex> peer_index_;
  crypto::PublicKey peer_identity_;
  KxPublicKey peer_kx_;
  Challenge peer_challenge_;
  crypto::Signature peer_signature_;  // AUTH, between check and verification
  StreamHeader peer_stream_header_;
  std::unique_ptr<SecureSession::Streams> streams_;  // push ready after HELLO, pull after AUTH
  std::uint8_t rx_key_[kSessionKeyBytes] = {};       // held between HELLO and AUTH
};

}  // namespace synod::transport
