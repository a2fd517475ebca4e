#include "chain/pos_seal.h"

#include <cassert>
#include <string_view>

#include "chain/codec.h"

namespace synod::chain {
namespace {

constexpr std::string_view kSealDomain = "synod/pos/seal/v2";

}  // namespace

Bytes pos_seal_signing_bytes(const SigningDomain& domain, const BlockHeader& header) {
  BlockHeader unsigned_header = header;
  if (auto* seal = std::get_if<PosSeal>(&unsigned_header.seal))
    seal->signature = crypto::Signature{};
  Writer out;
  out.string(kSealDomain);
  write(out, domain);
  write(out, unsigned_header);
  return out.take();
}

void sign_pos_header(BlockHeader& header, const SigningDomain& domain, const crypto::KeyPair& key) {
  auto* seal = std::get_if<PosSeal>(&header.seal);
  assert(seal != nullptr && header.proposer == key.public_key());
  seal->signature = key.sign(pos_seal_signing_bytes(domain, header));
}

bool pos_seal_valid(const BlockHeader& header, const SigningDomain& domain) {
  const auto* seal = std::get_if<PosSeal>(&header.seal);
  return seal != nullptr &&
         crypto::verify(header.proposer, pos_seal_signing_bytes(domain, header), seal->signature);
}

Bytes encode_evidence(const DoubleSign& evidence) {
  Writer out;
  write(out, evidence.first);
  write(out, evidence.second);
  return out.take();
}

Result<DoubleSign> decode_evidence(ByteView bytes) {
  return decode_all<DoubleSign>(bytes, "evidence", [](Reader& in) {
    DoubleSign evidence;
    evidence.first = read_header(in);
    evidence.second = read_header(in);
    return evidence;
  });
}

std::optional<EvidenceProblem> check_double_sign(ByteView evidence_bytes,
                                                 const SigningDomain& domain, DoubleSign* decoded) {
  using Kind = EvidenceProblem::Kind;
  auto evidence = decode_evidence(evidence_bytes);
  if (!evidence)
    return EvidenceProblem{Kind::kMalformed, evidence.message()};
  const BlockHeader& a = evidence->first;
  const BlockHeader& b = evidence->second;
  if (!std::holds_alternative<PosSeal>(a.seal) || !std::holds_alternative<PosSeal>(b.seal))
    return EvidenceProblem{Kind::kMalformed, "a header without a proof-of-stake seal"};
  if (a.proposer != b.proposer)
    return EvidenceProblem{Kind::kContradictory, "the headers have different proposers"};
  if (a.height != b.height)
    return EvidenceProblem{Kind::kContradictory, "the headers are at different heights"};
  if (a.hash() == b.hash())
    return EvidenceProblem{Kind::kContradictory, "the two headers are the same header"};
  if (!pos_seal_valid(a, domain) || !pos_seal_valid(b, domain))
    return EvidenceProblem{Kind::kForged, "a seal signature is not the proposer's"};
  if (decoded != nullptr)
    *decoded = std::move(*evidence);
  return std::nullopt;
}

}  // namespace synod::chain
