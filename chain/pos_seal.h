// The proof-of-stake seal's signature and the double-sign evidence built from two seals.
//
// A PoS proposer signs string "synod/pos/seal/v1" | string chain_id | the header's encoding
// with the seal's signature field zeroed; the signature then goes into the seal, so the
// block hash covers it. Binding the chain id keeps a header of one chain from being
// evidence on another.
//
// Evidence (the payload of an evidence transaction): header_a | header_b, each in its
// canonical encoding. It proves the nothing-at-stake offence when both headers carry valid
// seals by the same proposer at the same height and differ (check_double_sign). Decoding is
// strict: trailing bytes and non-PoS seals are rejected.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"
#include "chain/block.h"
#include "crypto/ed25519.h"

namespace synod::chain {

Bytes pos_seal_signing_bytes(std::string_view chain_id, const BlockHeader& header);
// Signs `header` (whose seal must be a PosSeal and whose proposer must be `key`'s) in place.
void sign_pos_header(BlockHeader& header, std::string_view chain_id, const crypto::KeyPair& key);
// A PosSeal whose signature by header.proposer is valid for `chain_id`.
bool pos_seal_valid(const BlockHeader& header, std::string_view chain_id);

struct DoubleSign {
  BlockHeader first;
  BlockHeader second;
};

Bytes encode_evidence(const DoubleSign& evidence);
Result<DoubleSign> decode_evidence(ByteView bytes);

// Why evidence does not prove an offence, before looking at the state: "malformed: ...",
// "forged: ..." or "contradictory: ..."; nullopt when it proves that headers'
// proposer signed two different headers at one height.
struct EvidenceProblem {
  enum class Kind : std::uint8_t { kMalformed, kForged, kContradictory };
  Kind kind;
  std::string detail;
};
std::optional<EvidenceProblem> check_double_sign(ByteView evidence_bytes, std::string_view chain_id,
                                                 DoubleSign* decoded = nullptr);

}  // namespace synod::chain
