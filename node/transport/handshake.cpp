#include "node/transport/handshake.h"

#include <sodium.h>

#include <cassert>

#include "chain/codec.h"
#include "chain/limits.h"
#include "crypto/hex.h"
#include "node/transport/secure_session_internal.h"

namespace synod::transport {

namespace {

constexpr std::uint8_t kHelloKind = 1;
constexpr std::uint8_t kAuthKind = 2;

static_assert(KxPublicKey::kSize == crypto_kx_PUBLICKEYBYTES);
static_assert(crypto_kx_SECRETKEYBYTES == 32 && crypto_kx_SEEDBYTES == 32);

struct Hello {
  std::string chain_id;
  crypto::Hash256 genesis_hash;
  crypto::PublicKey identity;
  KxPublicKey kx_public_key;
  Challenge challenge;
};

struct Auth {
  crypto::Signature signature;
  StreamHeader stream_header;
};

Bytes encode_hello(const Hello& hello) {
  chain::Writer out;
  out.u8(kHelloKind);
  out.u16(kProtocolVersion);
  out.string(hello.chain_id);
  out.fixed(hello.genesis_hash);
  out.fixed(hello.identity);
  out.fixed(hello.kx_public_key);
  out.fixed(hello.challenge);
  return out.take();
}

Bytes encode_auth(const Auth& auth) {
  chain::Writer out;
  out.u8(kAuthKind);
  out.fixed(auth.signature);
  out.fixed(auth.stream_header);
  return out.take();
}

// Peer-supplied text made safe for one log line.
std::string printable(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 64))
    out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  return out;
}

std::string short_key(const crypto::PublicKey& key) {
  return crypto::to_hex(key.view()).substr(0, 16);
}

}  // namespace

const char* to_string(HandshakeRefusal refusal) {
  switch (refusal) {
    case HandshakeRefusal::kMalformed:
      return "malformed handshake message";
    case HandshakeRefusal::kUnexpectedMessage:
      return "unexpected handshake message";
    case HandshakeRefusal::kUnsupportedVersion:
      return "unsupported protocol version";
    case HandshakeRefusal::kWrongChainId:
      return "wrong chain id";
    case HandshakeRefusal::kUnknownValidator:
      return "unknown validator";
    case HandshakeRefusal::kUnexpectedPeer:
      return "unexpected validator";
    case HandshakeRefusal::kBadKeyExchange:
      return "bad key exchange";
    case HandshakeRefusal::kBadSignature:
      return "bad handshake signature";
    case HandshakeRefusal::kWrongGenesis:
      return "wrong genesis";
  }
  return "unknown handshake refusal";
}

namespace {
thread_local std::uint64_t t_crypto_operations = 0;
}  // namespace

std::uint64_t handshake_crypto_on_this_thread() {
  return t_crypto_operations;
}

EphemeralSecrets EphemeralSecrets::generate() {
  crypto::ensure_sodium();
  EphemeralSecrets secrets;
  crypto_kx_keypair(secrets.kx_public_.data.data(), secrets.kx_secret_.data.data());
  randombytes_buf(secrets.challenge_.data.data(), Challenge::kSize);
  ++t_crypto_operations;
  return secrets;
}

EphemeralSecrets EphemeralSecrets::from_seed(const crypto::Seed& kx_seed,
                                             const Challenge& challenge) {
  crypto::ensure_sodium();
  EphemeralSecrets secrets;
  crypto_kx_seed_keypair(secrets.kx_public_.data.data(), secrets.kx_secret_.data.data(),
                         kx_seed.data.data());
  secrets.challenge_ = challenge;
  ++t_crypto_operations;
  return secrets;
}

EphemeralSecrets::~EphemeralSecrets() {
  sodium_memzero(kx_secret_.data.data(), kx_secret_.data.size());
}

Handshake::Handshake(HandshakeParams params) : params_(std::move(params)) {
  assert(params_.genesis != nullptr);
  crypto::ensure_sodium();
  genesis_hash_ = params_.genesis->hash();
}

Handshake::Handshake(HandshakeParams params, EphemeralSecrets secrets)
    : Handshake(std::move(params)) {
  secrets_.emplace(std::move(secrets));
}

Handshake::~Handshake() {
  sodium_memzero(rx_key_, sizeof(rx_key_));
}

const EphemeralSecrets& Handshake::secrets() {
  if (!secrets_)
    secrets_.emplace(EphemeralSecrets::generate());
  return *secrets_;
}

const Bytes& Handshake::hello() {
  if (hello_.empty()) {
    const EphemeralSecrets& own = secrets();
    hello_ =
        encode_hello(Hello{params_.genesis->chain_id, genesis_hash_, params_.identity.public_key(),
                           own.kx_public_key(), own.challenge()});
  }
  return hello_;
}

HandshakeStep Handshake::on_message(ByteView message) {
  HandshakeStep checked = check_message(message);
  if (checked.refusal)
    return checked;
  return finish_message();
}

HandshakeStep Handshake::check_message(ByteView message) {
  switch (state_) {
    case State::kAwaitHello:
      return check_hello(message);
    case State::kAwaitAuth:
      return check_auth(message);
    case State::kRefused:
      return HandshakeStep{HandshakeRefusal::kUnexpectedMessage, "handshake already refused",
                           std::nullopt, false};
    case State::kHelloChecked:
    case State::kAuthChecked:
      return refuse(HandshakeRefusal::kUnexpectedMessage,
                    "message before the previous one was answered");
    case State::kComplete:
    case State::kTaken:
      break;
  }
  return refuse(HandshakeRefusal::kUnexpectedMessage, "message after the handshake completed");
}

HandshakeStep Handshake::finish_message() {
  if (state_ == State::kHelloChecked)
    return answer_hello();
  if (state_ == State::kAuthChecked)
    return verify_auth();
  return refuse(HandshakeRefusal::kUnexpectedMessage, "nothing to finish");
}

HandshakeStep Handshake::refuse(HandshakeRefusal refusal, std::string detail) {
  state_ = State::kRefused;
  streams_.reset();
  sodium_memzero(rx_key_, sizeof(rx_key_));
  return HandshakeStep{refusal, std::move(detail), std::nullopt, false};
}

Bytes Handshake::transcript(const Challenge& signed_challenge) const {
  bool initiator = params_.role == HandshakeRole::kInitiator;
  const KxPublicKey& own_kx = secrets_->kx_public_key();
  const crypto::PublicKey& own_id = params_.identity.public_key();
  chain::Writer out;
  out.raw(as_bytes(kHandshakeDomain));
  out.string(params_.genesis->chain_id);
  out.fixed(genesis_hash_);
  out.fixed(signed_challenge);
  out.fixed(initiator ? own_kx : peer_kx_);
  out.fixed(initiator ? peer_kx_ : own_kx);
  out.fixed(initiator ? own_id : peer_identity_);
  out.fixed(initiator ? peer_identity_ : own_id);
  return out.take();
}

HandshakeStep Handshake::check_hello(ByteView message) {
  chain::Reader in(message);
  std::uint8_t kind = in.u8();
  if (in.ok() && kind == kAuthKind)
    return refuse(HandshakeRefusal::kUnexpectedMessage, "AUTH before HELLO");
  if (in.ok() && kind != kHelloKind)
    return refuse(HandshakeRefusal::kMalformed, "unknown message kind " + std::to_string(kind));
  std::uint16_t version = in.u16();
  if (in.ok() && version != kProtocolVersion) {
    return refuse(HandshakeRefusal::kUnsupportedVersion,
                  "peer speaks version " + std::to_string(version) + ", we speak " +
                      std::to_string(kProtocolVersion));
  }
  Hello hello;
  hello.chain_id = in.string(chain::kMaxChainIdBytes);
  hello.genesis_hash = in.fixed<crypto::Hash256>();
  hello.identity = in.fixed<crypto::PublicKey>();
  hello.kx_public_key = in.fixed<KxPublicKey>();
  hello.challenge = in.fixed<Challenge>();
  if (auto status = in.finish("handshake HELLO"); !status)
    return refuse(HandshakeRefusal::kMalformed, status.message());

  const chain::Genesis& genesis = *params_.genesis;
  if (hello.chain_id != genesis.chain_id) {
    return refuse(HandshakeRefusal::kWrongChainId, "peer chain id '" + printable(hello.chain_id) +
                                                       "', ours '" + genesis.chain_id + "'");
  }
  if (hello.genesis_hash != genesis_hash_) {
    return refuse(HandshakeRefusal::kWrongGenesis,
                  "peer genesis " + crypto::to_hex(hello.genesis_hash.view()).substr(0, 16) +
                      "..., ours " + crypto::to_hex(genesis_hash_.view()).substr(0, 16) +
                      "... (chain id '" + genesis.chain_id + "' on both: another network)");
  }
  std::optional<chain::ReplicaIndex> index = genesis.validators.index_of(hello.identity);
  if (!index) {
    return refuse(HandshakeRefusal::kUnknownValidator,
                  "key " + short_key(hello.identity) + "... is not a genesis validator");
  }
  if (hello.identity == params_.identity.public_key())
    return refuse(HandshakeRefusal::kUnknownValidator, "peer presented our own key");
  if (params_.expected_peer && *params_.expected_peer != *index) {
    return refuse(HandshakeRefusal::kUnexpectedPeer,
                  "dialed validator " + std::to_string(*params_.expected_peer) +
                      ", reached validator " + std::to_string(*index));
  }
  peer_index_ = index;
  peer_identity_ = hello.identity;
  peer_kx_ = hello.kx_public_key;
  peer_challenge_ = hello.challenge;
  state_ = State::kHelloChecked;
  return HandshakeStep{};
}

HandshakeStep Handshake::answer_hello() {
  const EphemeralSecrets& own = secrets();
  std::uint8_t tx_key[kSessionKeyBytes];
  const std::uint8_t* own_kx = own.kx_public_key().data.data();
  int rc = params_.role == HandshakeRole::kInitiator
               ? crypto_kx_client_session_keys(rx_key_, tx_key, own_kx, own.kx_secret_key().data(),
                                               peer_kx_.data.data())
               : crypto_kx_server_session_keys(rx_key_, tx_key, own_kx, own.kx_secret_key().data(),
                                               peer_kx_.data.data());
  ++t_crypto_operations;
  if (rc != 0) {
    sodium_memzero(tx_key, sizeof(tx_key));
    return refuse(HandshakeRefusal::kBadKeyExchange, "peer kx key yields no shared secret");
  }
  streams_ = std::make_unique<SecureSession::Streams>();
  Auth auth;
  crypto_secretstream_xchacha20poly1305_init_push(&streams_->push, auth.stream_header.data.data(),
                                                  tx_key);
  sodium_memzero(tx_key, sizeof(tx_key));
  auth.signature = params_.identity.sign(transcript(peer_challenge_));
  ++t_crypto_operations;
  state_ = State::kAwaitAuth;
  return HandshakeStep{std::nullopt, "", encode_auth(auth), false};
}

HandshakeStep Handshake::check_auth(ByteView message) {
  chain::Reader in(message);
  std::uint8_t kind = in.u8();
  if (in.ok() && kind == kHelloKind)
    return refuse(HandshakeRefusal::kUnexpectedMessage, "second HELLO");
  if (in.ok() && kind != kAuthKind)
    return refuse(HandshakeRefusal::kMalformed, "unknown message kind " + std::to_string(kind));
  peer_signature_ = in.fixed<crypto::Signature>();
  peer_stream_header_ = in.fixed<StreamHeader>();
  if (auto status = in.finish("handshake AUTH"); !status)
    return refuse(HandshakeRefusal::kMalformed, status.message());
  state_ = State::kAuthChecked;
  return HandshakeStep{};
}

HandshakeStep Handshake::verify_auth() {
  bool valid = crypto::verify(peer_identity_, transcript(secrets_->challenge()), peer_signature_);
  ++t_crypto_operations;
  if (!valid) {
    return refuse(HandshakeRefusal::kBadSignature,
                  "AUTH from validator " + std::to_string(*peer_index_) + " does not verify");
  }
  if (crypto_secretstream_xchacha20poly1305_init_pull(
          &streams_->pull, peer_stream_header_.data.data(), rx_key_) != 0)
    return refuse(HandshakeRefusal::kMalformed, "invalid stream header");
  sodium_memzero(rx_key_, sizeof(rx_key_));
  state_ = State::kComplete;
  return HandshakeStep{std::nullopt, "", std::nullopt, true};
}

SecureSession Handshake::take_session() {
  assert(state_ == State::kComplete);
  state_ = State::kTaken;
  return SecureSession(*peer_index_, peer_identity_, std::move(streams_));
}

}  // namespace synod::transport
