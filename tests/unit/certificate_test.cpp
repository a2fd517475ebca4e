// Commit certificates: finality checked with nothing but the genesis validator set.
#include <catch2/catch.hpp>

#include <string>

#include "chain/certificate.h"

using namespace synod;
using namespace synod::chain;

namespace {

const SigningDomain kChain{"synod-test", crypto::sha256(as_bytes("genesis"))};

crypto::KeyPair validator_key(std::size_t index) {
  crypto::Seed seed;
  seed.data.fill(static_cast<std::uint8_t>(0x40 + index));
  return crypto::KeyPair::from_seed(seed);
}

ValidatorSet validators(std::size_t n) {
  std::vector<ValidatorInfo> infos;
  for (std::size_t i = 0; i < n; ++i) {
    infos.push_back({"v" + std::to_string(i), validator_key(i).public_key(),
                     "127.0.0.1:" + std::to_string(26600 + i), 1});
  }
  return ValidatorSet(infos);
}

Block pbft_block(std::uint64_t view, std::uint64_t sequence) {
  Block block;
  block.header.height = sequence;
  block.header.prev_hash = crypto::sha256(as_bytes("parent"));
  block.header.timestamp_ms = 1'700'000'000'000;
  block.header.proposer = validator_key(view % 4).public_key();
  block.header.seal = PbftSeal{view, sequence};
  return block;
}

CommitSignature commit(std::uint32_t index, const SigningDomain& domain, std::uint64_t view,
                       std::uint64_t sequence, const crypto::Hash256& block_hash) {
  return CommitSignature{
      index, validator_key(index).sign(commit_signing_bytes(domain, view, sequence, block_hash))};
}

// A certificate for `block` signed by the validators in `indices`, in that order.
CommitCertificate certify(const Block& block, const std::vector<std::uint32_t>& indices) {
  const auto& seal = std::get<PbftSeal>(block.header.seal);
  CommitCertificate certificate{seal.view, seal.sequence, block.hash(), {}};
  for (std::uint32_t index : indices)
    certificate.signatures.push_back(commit(index, kChain, seal.view, seal.sequence, block.hash()));
  return certificate;
}

std::string failure(const CommitCertificate& certificate, const Block& block,
                    const ValidatorSet& set, const SigningDomain& domain = kChain) {
  Status status = verify_certificate(certificate, block.hash(), set, domain);
  REQUIRE_FALSE(status.ok());
  return status.message();
}

}  // namespace

TEST_CASE("certificate from 2f+1 real commit signatures verifies", "[chain][certificate]") {
  const ValidatorSet set = validators(4);
  REQUIRE(set.quorum() == 3);
  Block block = pbft_block(2, 7);
  for (const auto& indices :
       {std::vector<std::uint32_t>{0, 1, 2}, {0, 1, 3}, {1, 2, 3}, {0, 2, 3}, {0, 1, 2, 3}}) {
    const CommitCertificate certificate = certify(block, indices);
    CHECK(verify_certificate(certificate, block.hash(), set, kChain).ok());
    block.certificate = certificate;
    CHECK(verify_block_certificate(block, set, kChain).ok());
  }
}

TEST_CASE("certificate with 5 of 7 validators verifies and 4 of 7 does not",
          "[chain][certificate]") {
  const ValidatorSet set = validators(7);
  REQUIRE(set.quorum() == 5);
  const Block block = pbft_block(0, 1);
  CHECK(verify_certificate(certify(block, {0, 2, 3, 5, 6}), block.hash(), set, kChain).ok());
  CHECK_THAT(failure(certify(block, {0, 2, 3, 5}), block, set),
             Catch::Contains("has 4 signatures, quorum is 5"));
}

TEST_CASE("certificate with fewer than a quorum of signatures fails", "[chain][certificate]") {
  const ValidatorSet set = validators(4);
  const Block block = pbft_block(2, 7);
  CHECK_THAT(failure(certify(block, {0, 3}), block, set),
             Catch::Contains("has 2 signatures, quorum is 3"));
  CHECK_THAT(failure(certify(block, {}), block, set), Catch::Contains("quorum is 3"));
}

TEST_CASE("certificate with a duplicate validator index fails", "[chain][certificate]") {
  const ValidatorSet set = validators(4);
  const Block block = pbft_block(2, 7);
  // Three valid signatures, but only two distinct validators.
  CHECK_THAT(failure(certify(block, {0, 1, 1}), block, set),
             Catch::Contains("strictly increasing"));
  CHECK_THAT(failure(certify(block, {2, 2, 2}), block, set),
             Catch::Contains("strictly increasing"));
}

TEST_CASE("certificate with unsorted validator indices fails", "[chain][certificate]") {
  const ValidatorSet set = validators(4);
  const Block block = pbft_block(2, 7);
  CHECK_THAT(failure(certify(block, {1, 0, 3}), block, set),
             Catch::Contains("strictly increasing"));
  CHECK_THAT(failure(certify(block, {0, 3, 2}), block, set),
             Catch::Contains("strictly increasing"));
}

TEST_CASE("certificate naming an unknown validator index fails", "[chain][certificate]") {
  const ValidatorSet set = validators(4);
  const Block block = pbft_block(2, 7);
  // Validator 4 exists only outside the set: its signature is real but it has no vote.
  CHECK_THAT(failure(certify(block, {0, 1, 4}), block, set),
             Catch::Contains("unknown validator 4"));
  CommitCertificate far = certify(block, {0, 1, 2});
  far.signatures[2].validator_index = 0xffffffff;
  CHECK_THAT(failure(far, block, set), Catch::Contains("unknown validator 4294967295"));
}

TEST_CASE("certificate with one bad signature fails", "[chain][certificate]") {
  const ValidatorSet set = validators(4);
  const Block block = pbft_block(2, 7);
  for (std::size_t bad = 0; bad < 3; ++bad) {
    CommitCertificate certificate = certify(block, {0, 2, 3});
    certificate.signatures[bad].signature.data[bad * 20] ^= 0x08;
    INFO("bad signature at position " << bad);
    CHECK_THAT(failure(certificate, block, set),
               Catch::Contains("signature of validator " +
                               std::to_string(certificate.signatures[bad].validator_index) +
                               " is invalid"));
  }
  // A real signature under the wrong index (validator 3 signed, index says 1).
  CommitCertificate relabelled = certify(block, {0, 2, 3});
  relabelled.signatures[2].validator_index = 1;
  std::swap(relabelled.signatures[1], relabelled.signatures[2]);
  CHECK_THAT(failure(relabelled, block, set), Catch::Contains("validator 1 is invalid"));
}

TEST_CASE("certificate for a different block hash fails", "[chain][certificate]") {
  const ValidatorSet set = validators(4);
  const Block block = pbft_block(2, 7);
  Block other = block;
  other.header.timestamp_ms += 1;
  // Certificate names the other block.
  CHECK_THAT(failure(certify(other, {0, 1, 2}), block, set), Catch::Contains("different block"));
  // Certificate names this block but its signatures are over the other block.
  CommitCertificate mixed = certify(other, {0, 1, 2});
  mixed.block_hash = block.hash();
  CHECK_THAT(failure(mixed, block, set), Catch::Contains("is invalid"));
}

TEST_CASE("certificate signed for a different chain id fails", "[chain][certificate]") {
  const ValidatorSet set = validators(4);
  const Block block = pbft_block(2, 7);
  const CommitCertificate certificate = certify(block, {0, 1, 2});
  CHECK(verify_certificate(certificate, block.hash(), set, kChain).ok());
  CHECK_THAT(failure(certificate, block, set, {"synod-other", kChain.genesis_hash}),
             Catch::Contains("is invalid"));
}

TEST_CASE("certificate made for another genesis with the same chain id and keys fails",
          "[chain][certificate]") {
  const ValidatorSet set = validators(4);
  const Block block = pbft_block(2, 7);
  const CommitCertificate certificate = certify(block, {0, 1, 2});
  const SigningDomain twin{kChain.chain_id, crypto::sha256(as_bytes("another genesis"))};
  CHECK_THAT(failure(certificate, block, set, twin), Catch::Contains("is invalid"));
}

TEST_CASE("certificate with a view or sequence other than the signed one fails",
          "[chain][certificate]") {
  const ValidatorSet set = validators(4);
  const Block block = pbft_block(2, 7);
  CommitCertificate view = certify(block, {0, 1, 2});
  view.view = 3;
  CHECK_THAT(failure(view, block, set), Catch::Contains("is invalid"));
  CommitCertificate sequence = certify(block, {0, 1, 2});
  sequence.sequence = 8;
  CHECK_THAT(failure(sequence, block, set), Catch::Contains("is invalid"));
}

TEST_CASE("certificate whose sequence differs from the block's PbftSeal fails",
          "[chain][certificate]") {
  const ValidatorSet set = validators(4);
  Block block = pbft_block(2, 7);
  // Validly signed commits, but for sequence 8 while the block's seal says 7.
  CommitCertificate certificate{2, 8, block.hash(), {}};
  for (std::uint32_t index : {0u, 1u, 2u})
    certificate.signatures.push_back(commit(index, kChain, 2, 8, block.hash()));
  CHECK(verify_certificate(certificate, block.hash(), set, kChain).ok());
  block.certificate = certificate;
  Status status = verify_block_certificate(block, set, kChain);
  REQUIRE_FALSE(status.ok());
  CHECK_THAT(status.message(), Catch::Contains("sequence does not match"));
}

TEST_CASE("block without a certificate or without a PBFT seal fails verification",
          "[chain][certificate]") {
  const ValidatorSet set = validators(4);
  Block block = pbft_block(2, 7);
  Status missing = verify_block_certificate(block, set, kChain);
  REQUIRE_FALSE(missing.ok());
  CHECK_THAT(missing.message(), Catch::Contains("no commit certificate"));

  block.header.seal = PowSeal{7, {}};
  CommitCertificate certificate{2, 7, block.hash(), {}};
  for (std::uint32_t index : {0u, 1u, 2u})
    certificate.signatures.push_back(commit(index, kChain, 2, 7, block.hash()));
  block.certificate = certificate;
  Status not_pbft = verify_block_certificate(block, set, kChain);
  REQUIRE_FALSE(not_pbft.ok());
  CHECK_THAT(not_pbft.message(), Catch::Contains("not a PBFT block"));
}

TEST_CASE("certificate survives an encode/decode round trip and still verifies",
          "[chain][certificate]") {
  const ValidatorSet set = validators(4);
  Block block = pbft_block(1, 3);
  block.certificate = certify(block, {1, 2, 3});
  auto decoded = decode_block(block.encode());
  REQUIRE(decoded.ok());
  CHECK(verify_block_certificate(*decoded, set, kChain).ok());
}
