#include "chain/certificate.h"

namespace synod::chain {

Status verify_certificate(const CommitCertificate& certificate, const crypto::Hash256& block_hash,
                          const ValidatorSet& validators, const SigningDomain& domain) {
  if (certificate.block_hash != block_hash) {
    return make_error("certificate is for a different block");
  }
  if (certificate.signatures.size() < validators.quorum()) {
    return make_error("certificate has " + std::to_string(certificate.signatures.size()) +
                      " signatures, quorum is " + std::to_string(validators.quorum()));
  }
  Bytes message = commit_signing_bytes(domain, certificate.view, certificate.sequence, block_hash);
  std::int64_t previous = -1;
  for (const auto& entry : certificate.signatures) {
    if (static_cast<std::int64_t>(entry.validator_index) <= previous) {
      return make_error("certificate signatures are not in strictly increasing validator order");
    }
    previous = entry.validator_index;
    if (entry.validator_index >= validators.size()) {
      return make_error("certificate names unknown validator " +
                        std::to_string(entry.validator_index));
    }
    const auto& key = validators.at(entry.validator_index).public_key;
    if (!crypto::verify(key, message, entry.signature)) {
      return make_error("certificate signature of validator " +
                        std::to_string(entry.validator_index) + " is invalid");
    }
  }
  return Status::success();
}

Status verify_block_certificate(const Block& block, const ValidatorSet& validators,
                                const SigningDomain& domain) {
  if (!block.certificate)
    return make_error("block has no commit certificate");
  const auto* seal = std::get_if<PbftSeal>(&block.header.seal);
  if (seal == nullptr)
    return make_error("block is not a PBFT block");
  if (block.certificate->sequence != seal->sequence) {
    return make_error("certificate sequence does not match the block");
  }
  return verify_certificate(*block.certificate, block.hash(), validators, domain);
}

}  // namespace synod::chain
