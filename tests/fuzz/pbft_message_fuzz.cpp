// Fuzz target: the PBFT message decoder (what a peer's consensus channel carries).
#include "pbft/messages.h"
#include "tests/fuzz/fuzz_samples.h"
#include "tests/fuzz/fuzz_target.h"

using namespace synod;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteView input = fuzz::input_view(data, size);
  auto message = pbft::decode_message(input);
  if (!message.ok()) {
    fuzz::require(!message.message().empty(), "a rejected message has a reason");
    return 0;
  }
  const Bytes encoded = pbft::encode(*message);
  fuzz::require(encoded == Bytes(input.begin(), input.end()), "message re-encodes to its input");
  fuzz::require(static_cast<std::uint8_t>(pbft::type_of(*message)) == input[0],
                "message type is its first byte");
  (void)pbft::sender_of(*message);
  (void)pbft::to_string(pbft::type_of(*message));
  // What a replica computes before it checks a signature must be safe on any message.
  std::visit(
      [](const auto& signed_message) {
        (void)pbft::signing_bytes(fuzz::sample_domain(), signed_message.body);
      },
      *message);
  return 0;
}

namespace {

using namespace synod::pbft;

crypto::KeyPair validator_key(ReplicaIndex index) {
  return fuzz::sample_key(static_cast<std::uint8_t>(0x20 + index));
}

template <typename Body>
Signed<Body> signed_by(ReplicaIndex index, Body body) {
  return sign(validator_key(index), index, fuzz::sample_domain(), std::move(body));
}

PreparedCertificate prepared_certificate(const chain::Block& block) {
  PreparedCertificate certificate;
  certificate.pre_prepare = signed_by(1, PrePrepare{1, 5, block});
  for (ReplicaIndex index : {0u, 2u})
    certificate.prepares.push_back(signed_by(index, Prepare{1, 5, block.hash()}));
  return certificate;
}

ViewChange view_change(const chain::Block& block) {
  ViewChange change;
  change.new_view = 2;
  change.stable_sequence = 4;
  for (ReplicaIndex index : {0u, 1u, 3u})
    change.checkpoint_proof.push_back(signed_by(index, Checkpoint{4, block.header.prev_hash}));
  change.head = block.header;
  change.head.height = 4;
  change.head_certificate = fuzz::sample_certificates()[0];
  change.prepared.push_back(prepared_certificate(block));
  return change;
}

}  // namespace

std::vector<Bytes> synod::fuzz::seed_inputs() {
  const chain::Block block = sample_blocks()[1];
  std::vector<Message> messages;
  messages.push_back(signed_by(1, PrePrepare{1, 5, block}));
  messages.push_back(signed_by(2, Prepare{1, 5, block.hash()}));
  messages.push_back(signed_by(3, Commit{1, 5, block.hash()}));
  messages.push_back(signed_by(0, Checkpoint{5, block.hash()}));
  messages.push_back(signed_by(2, view_change(block)));
  ViewChange bare;
  bare.new_view = 1;
  bare.head = sample_blocks()[3].header;
  messages.push_back(signed_by(3, bare));
  NewView new_view;
  new_view.view = 2;
  for (ReplicaIndex index : {0u, 2u, 3u})
    new_view.view_changes.push_back(signed_by(index, view_change(block)));
  new_view.pre_prepares.push_back(signed_by(2, PrePrepare{2, 5, block}));
  messages.push_back(signed_by(2, new_view));
  std::vector<Bytes> seeds;
  for (const auto& message : messages)
    seeds.push_back(encode(message));
  return seeds;
}
