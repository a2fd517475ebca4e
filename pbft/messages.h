// PBFT protocol messages, their canonical encoding and their signatures.
//
// Wire form of every message: u8 type | u32 sender | body | 64-byte Ed25519 signature.
// The signature covers a tag, the signing domain (chain id and genesis hash, see
// chain/signing_domain.h) and the message's fields (see signing_bytes); COMMIT signs
// chain::commit_signing_bytes so that 2f+1 commits are directly a block's CommitCertificate.
//
// VIEW-CHANGE adaptation (one block in flight, see replica.h): besides the stable
// checkpoint proof it carries the commit certificate of the sender's head block, which
// stands for every prepared certificate at or below the head (those blocks are committed
// and can be fetched with their certificates), plus the prepared certificates above the
// head. Its size is therefore bounded by one block.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <variant>
#include <vector>

#include "chain/block.h"
#include "chain/codec.h"
#include "chain/engine.h"
#include "chain/genesis.h"

namespace synod::pbft {

using chain::ReplicaIndex;

enum class MessageType : std::uint8_t {
  kPrePrepare = 1,
  kPrepare = 2,
  kCommit = 3,
  kCheckpoint = 4,
  kViewChange = 5,
  kNewView = 6,
};

struct PrePrepare {
  std::uint64_t view = 0;
  std::uint64_t sequence = 0;
  chain::Block block;  // digest = block.hash()
};

struct Prepare {
  std::uint64_t view = 0;
  std::uint64_t sequence = 0;
  crypto::Hash256 digest;
};

struct Commit {
  std::uint64_t view = 0;
  std::uint64_t sequence = 0;
  crypto::Hash256 digest;
};

struct Checkpoint {
  std::uint64_t sequence = 0;
  crypto::Hash256 digest;  // hash of the block at `sequence` (it commits to the state root)
};

template <typename Body>
struct Signed {
  ReplicaIndex sender = 0;
  Body body;
  crypto::Signature signature;
};

// A pre-prepare and 2f matching prepares from distinct backups: proof that a block was
// prepared at sequence n in view v.
struct PreparedCertificate {
  Signed<PrePrepare> pre_prepare;
  std::vector<Signed<Prepare>> prepares;
};

struct ViewChange {
  std::uint64_t new_view = 0;
  std::uint64_t stable_sequence = 0;
  std::vector<Signed<Checkpoint>> checkpoint_proof;          // 2f+1 matching; empty for sequence 0
  chain::BlockHeader head;                                   // the sender's committed head
  std::optional<chain::CommitCertificate> head_certificate;  // absent only for block 0
  std::vector<PreparedCertificate> prepared;                 // sequences above head.height
};

struct NewView {
  std::uint64_t view = 0;
  std::vector<Signed<ViewChange>> view_changes;  // 2f+1 from distinct replicas
  std::vector<Signed<PrePrepare>> pre_prepares;  // the re-proposals ("O" in the paper)
};

using Message = std::variant<Signed<PrePrepare>, Signed<Prepare>, Signed<Commit>,
                             Signed<Checkpoint>, Signed<ViewChange>, Signed<NewView>>;

// Bytes each kind signs.
Bytes signing_bytes(const chain::SigningDomain& domain, const PrePrepare& message);
Bytes signing_bytes(const chain::SigningDomain& domain, const Prepare& message);
Bytes signing_bytes(const chain::SigningDomain& domain, const Commit& message);
Bytes signing_bytes(const chain::SigningDomain& domain, const Checkpoint& message);
Bytes signing_bytes(const chain::SigningDomain& domain, const ViewChange& message);
Bytes signing_bytes(const chain::SigningDomain& domain, const NewView& message);

template <typename Body>
Signed<Body> sign(const crypto::KeyPair& key, ReplicaIndex sender,
                  const chain::SigningDomain& domain, Body body) {
  Signed<Body> out{sender, std::move(body), {}};
  out.signature = key.sign(signing_bytes(domain, out.body));
  return out;
}

// True when `message` is signed by validator `message.sender` of `validators`. Nested
// messages (inside VIEW-CHANGE / NEW-VIEW) are not checked here; see view_change.h.
template <typename Body>
bool signature_valid(const Signed<Body>& message, const chain::ValidatorSet& validators,
                     const chain::SigningDomain& domain) {
  if (message.sender >= validators.size())
    return false;
  return crypto::verify(validators.at(message.sender).public_key,
                        signing_bytes(domain, message.body), message.signature);
}

Bytes encode(const Message& message);
Result<Message> decode_message(ByteView bytes);

ReplicaIndex sender_of(const Message& message);
MessageType type_of(const Message& message);
const char* to_string(MessageType type);

// Largest encoded message a replica accepts (a VIEW-CHANGE or NEW-VIEW may carry a block).
inline constexpr std::size_t kMaxMessageBytes = 64 * 1024 * 1024;

}  // namespace synod::pbft
