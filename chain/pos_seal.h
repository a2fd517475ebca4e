// The proof-of-stake seal's signature and the double-sign evidence built from two seals.
//
// A PoS proposer signs string "synod/pos/seal/v2" | the signing domain (string chain_id |
// genesis hash, chain/signing_domain.h) | the header's encoding with the seal's signature
// field zeroed; the signature then goes into the seal, so the block hash covers it. The
// genesis hash, not the chain id alone, is what keeps a header of another network that
// shares our chain id and validator keys (a testnet made again with other accounts) from
// being a valid seal or slashing evidence here. (v1 signed the chain id only.)
//
// Evidence (the payload of an evidence transaction): header_a | header_b, each in its
// canonical encoding. It proves the nothing-at-stake offence when both headers carry valid
// seals by the same proposer at the same height and differ (check_double_sign). Decoding is
// strict: trailing bytes and non-PoS seals are rejected.
#pragma once

#include <optional>
#include <string>

#include "base/bytes.h"
#include "base/result.h"
#include "chain/block.h"
#include "chain/signing_domain.h"
#include "crypto/ed25519.h"

namespace synod::chain {

Bytes pos_seal_signing_bytes(const SigningDomain& domain, const BlockHeader& header);
// Signs `header` (whose seal must be a PosSeal and whose proposer must be `key`'s) in place.
void sign_pos_header(BlockHeader& header, const SigningDomain& domain, const crypto::KeyPair& key);
// A PosSeal whose signature by header.proposer is valid in `domain`.
bool pos_seal_valid(const BlockHeader& header, const SigningDomain& domain);

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
std::optional<EvidenceProblem> check_double_sign(ByteView evidence_bytes,
                                                 const SigningDomain& domain,
                                                 DoubleSign* decoded = nullptr);

}  // namespace synod::chain
