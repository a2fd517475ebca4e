// Fuzz target: what an unauthenticated peer sends, as the transport reads it: a byte stream
// split into frames (frame.h), the first ones fed to the handshake (HELLO, AUTH), and once
// the handshake completes, every later frame opened by the secure session and its
// plaintext decoded as a wire frame (node/wire.h).
//
// Byte 0 of the input picks our role (bit 0: responder, or an initiator that dialed
// validator 1); the rest is the peer's stream. Our side uses fixed ephemeral secrets, so a
// recorded session (the seeds) replays and the fuzzer explores past a valid AUTH.
#include <memory>

#include "node/transport/frame.h"
#include "node/transport/handshake.h"
#include "node/wire.h"
#include "tests/fuzz/fuzz_samples.h"
#include "tests/fuzz/fuzz_target.h"

using namespace synod;

namespace {

constexpr std::size_t kSessionMaxFrameBytes = 1 << 20;

std::shared_ptr<const chain::Genesis> genesis() {
  static const auto value =
      std::make_shared<const chain::Genesis>(fuzz::sample_genesis(chain::ConsensusMode::kPbft));
  return value;
}

transport::EphemeralSecrets secrets(std::uint8_t fill) {
  crypto::Seed kx_seed;
  kx_seed.data.fill(fill);
  transport::Challenge challenge;
  challenge.data.fill(static_cast<std::uint8_t>(fill + 1));
  return transport::EphemeralSecrets::from_seed(kx_seed, challenge);
}

transport::HandshakeParams params(chain::ReplicaIndex self, transport::HandshakeRole role,
                                  std::optional<chain::ReplicaIndex> expected_peer) {
  return transport::HandshakeParams{
      genesis(), fuzz::sample_key(static_cast<std::uint8_t>(0x20 + self)), role, expected_peer};
}

// Our side: validator 0. Keys are made once; a handshake per input is what is fuzzed.
std::unique_ptr<transport::Handshake> our_handshake(bool responder) {
  static const transport::HandshakeParams responder_params =
      params(0, transport::HandshakeRole::kResponder, std::nullopt);
  static const transport::HandshakeParams initiator_params =
      params(0, transport::HandshakeRole::kInitiator, 1);
  static const transport::EphemeralSecrets our_secrets = secrets(0xa0);
  return std::make_unique<transport::Handshake>(responder ? responder_params : initiator_params,
                                                our_secrets);
}

void check_step(const transport::Handshake& handshake, const transport::HandshakeStep& step) {
  if (step.refusal) {
    fuzz::require(handshake.refused() && !step.complete && !step.send,
                  "a refusal ends the handshake and sends nothing");
    fuzz::require(!step.detail.empty(), "a refusal says why");
    (void)transport::to_string(*step.refusal);
  }
  if (step.complete) {
    fuzz::require(
        handshake.complete() && handshake.peer_index().has_value() && *handshake.peer_index() != 0,
        "a completed handshake names a peer other than us");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1)
    return 0;
  auto handshake = our_handshake((data[0] & 1) != 0);
  transport::FrameDecoder decoder(transport::kHandshakeMaxFrameBytes);
  decoder.feed(fuzz::input_view(data + 1, size - 1));
  std::optional<transport::SecureSession> session;
  bool session_failed = false;
  while (auto frame = decoder.next()) {
    if (!session) {
      const bool refused_before = handshake->refused();
      const transport::HandshakeStep step = handshake->on_message(*frame);
      check_step(*handshake, step);
      fuzz::require(!refused_before || step.refusal, "a refused handshake stays refused");
      if (step.complete) {
        session.emplace(handshake->take_session());
        decoder.set_max_frame_bytes(kSessionMaxFrameBytes + transport::kSealOverheadBytes);
      }
      continue;
    }
    auto plaintext = session->open(*frame);
    fuzz::require(!(session_failed && plaintext.ok()), "a failed session stays failed");
    if (!plaintext.ok()) {
      session_failed = true;
      continue;
    }
    (void)node::decode_wire(*plaintext);
  }
  return 0;
}

namespace {

// A recorded session from validator 1's side: its HELLO, its AUTH, then sealed wire frames.
Bytes recorded_session(bool we_respond) {
  auto ours = our_handshake(we_respond);
  transport::Handshake peer(
      params(
          1,
          we_respond ? transport::HandshakeRole::kInitiator : transport::HandshakeRole::kResponder,
          we_respond ? std::optional<chain::ReplicaIndex>(0) : std::nullopt),
      secrets(0xc0));
  Bytes stream{static_cast<std::uint8_t>(we_respond ? 1 : 0)};
  transport::append_frame(stream, peer.hello());
  const transport::HandshakeStep peer_auth = peer.on_message(ours->hello());
  const transport::HandshakeStep our_auth = ours->on_message(peer.hello());
  if (!peer_auth.send || !our_auth.send || !peer.on_message(*our_auth.send).complete ||
      !ours->on_message(*peer_auth.send).complete)
    std::abort();  // the sample session itself is wrong
  transport::append_frame(stream, *peer_auth.send);
  transport::SecureSession session = peer.take_session();
  session.seal_frame(stream, node::encode_transactions(fuzz::sample_transactions()));
  session.seal_frame(stream, node::encode_fetch_request(3, 16));
  session.seal_frame(stream, node::encode_consensus(Bytes{2, 0, 0, 0, 0}));
  return stream;
}

}  // namespace

std::vector<Bytes> synod::fuzz::seed_inputs() {
  return {recorded_session(true), recorded_session(false)};
}
