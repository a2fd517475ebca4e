// Transactions: what is signed, what the id covers, and that every field is protected.
#include <catch2/catch.hpp>

#include <functional>
#include <string>

#include "chain/transaction.h"
#include "crypto/hex.h"
#include "tests/support/test_keys.h"

using namespace synod;
using namespace synod::chain;

namespace {

using synod::testing::key_from;

// The test chain's domain: its chain id and the hash of its genesis.
const SigningDomain& test_domain() {
  static const SigningDomain domain{"synod-test", crypto::sha256(as_bytes("genesis A"))};
  return domain;
}

Transaction sample() {
  return make_transfer(key_from(1), test_domain(), address_of(key_from(2).public_key()), 500, 3, 0);
}

}  // namespace

TEST_CASE("make_transfer fills every field and signs with the sender's key",
          "[chain][transaction]") {
  const Transaction tx = sample();
  CHECK(tx.kind == TxKind::kTransfer);
  CHECK(tx.chain_id == "synod-test");
  CHECK(tx.from == key_from(1).public_key());
  CHECK(tx.to == address_of(key_from(2).public_key()));
  CHECK(tx.amount == 500);
  CHECK(tx.fee == 3);
  CHECK(tx.nonce == 0);
  CHECK(tx.signature_valid(test_domain()));
  CHECK(tx.sender() == address_of(key_from(1).public_key()));
}

TEST_CASE("transaction signing bytes are the tag, the signing domain and the unsigned encoding",
          "[chain][transaction]") {
  const Transaction tx = sample();
  const Bytes signing = tx.signing_bytes(test_domain());
  const Bytes encoded = tx.encode();
  const std::string tag = "synod/tx/v2";
  Writer domain;
  write(domain, test_domain());
  REQUIRE(signing.size() ==
          tag.size() + domain.data().size() + encoded.size() - crypto::Signature::kSize);
  CHECK(std::string(signing.begin(), signing.begin() + 11) == tag);
  CHECK(std::equal(domain.data().begin(), domain.data().end(), signing.begin() + 11));
  CHECK(std::equal(signing.begin() + 11 + static_cast<std::ptrdiff_t>(domain.data().size()),
                   signing.end(), encoded.begin()));
  CHECK(crypto::verify(tx.from, signing, tx.signature));
}

TEST_CASE("transaction hash is SHA-256 of the full encoding, signature included",
          "[chain][transaction]") {
  Transaction tx = sample();
  CHECK(tx.hash() == crypto::sha256(tx.encode()));
  const crypto::Hash256 before = tx.hash();
  tx.signature.data[0] ^= 1;
  CHECK(tx.hash() != before);
}

TEST_CASE("transaction encoding has the documented size", "[chain][transaction]") {
  Transaction tx = sample();
  CHECK(tx.encode().size() == kMinTransactionBytes + tx.chain_id.size());
  tx.chain_id.clear();
  CHECK(tx.encode().size() == kMinTransactionBytes);
}

TEST_CASE("transaction signature covers every field", "[chain][transaction]") {
  const std::vector<std::pair<const char*, std::function<void(Transaction&)>>> changes = {
      {"chain_id", [](Transaction& tx) { tx.chain_id = "synod-other"; }},
      {"from", [](Transaction& tx) { tx.from = key_from(3).public_key(); }},
      {"to", [](Transaction& tx) { tx.to.data[19] ^= 1; }},
      {"amount", [](Transaction& tx) { tx.amount += 1; }},
      {"fee", [](Transaction& tx) { tx.fee += 1; }},
      {"nonce", [](Transaction& tx) { tx.nonce += 1; }},
      {"signature", [](Transaction& tx) { tx.signature.data[63] ^= 0x40; }},
  };
  for (const auto& [field, change] : changes) {
    Transaction tx = sample();
    const crypto::Hash256 hash = tx.hash();
    change(tx);
    INFO(field);
    CHECK_FALSE(tx.signature_valid(test_domain()));
    CHECK(tx.hash() != hash);
  }
}

TEST_CASE("transaction signed by a key other than from is invalid", "[chain][transaction]") {
  Transaction tx = sample();
  tx.sign(key_from(9), test_domain());
  CHECK_FALSE(tx.signature_valid(test_domain()));
  tx.sign(key_from(1), test_domain());
  CHECK(tx.signature_valid(test_domain()));
}

TEST_CASE("transaction signature does not carry over to another chain id", "[chain][transaction]") {
  // The chain id is inside the signed bytes, so a transaction cannot be replayed on a
  // different chain even by copying its signature.
  const Transaction tx = sample();
  Transaction replay = tx;
  replay.chain_id = "synod-test2";
  const SigningDomain other{"synod-test2", test_domain().genesis_hash};
  CHECK_FALSE(replay.signature_valid(other));
  CHECK_FALSE(replay.signature_valid(test_domain()));
  CHECK(replay.signing_bytes(other) != tx.signing_bytes(test_domain()));
}

TEST_CASE("transaction signed under one genesis does not verify under another with its chain id",
          "[chain][transaction]") {
  // Two networks made from the same keys with one chain id differ only in their genesis
  // (its accounts, its time): a transfer signed for one must not replay on the other.
  const SigningDomain other_genesis{test_domain().chain_id, crypto::sha256(as_bytes("genesis B"))};
  REQUIRE(other_genesis.chain_id == test_domain().chain_id);
  REQUIRE(other_genesis.genesis_hash != test_domain().genesis_hash);
  const Transaction tx = sample();
  CHECK(tx.signature_valid(test_domain()));
  CHECK_FALSE(tx.signature_valid(other_genesis));
  // Signed for the other genesis, the same transfer (same chain id, key, fields and so the
  // same unsigned encoding) verifies there and not here.
  const Transaction theirs =
      make_transfer(key_from(1), other_genesis, address_of(key_from(2).public_key()), 500, 3, 0);
  CHECK(theirs.encode().size() == tx.encode().size());
  CHECK(theirs.signature != tx.signature);
  CHECK(theirs.signature_valid(other_genesis));
  CHECK_FALSE(theirs.signature_valid(test_domain()));
}

TEST_CASE("transaction encoding and hash do not carry the genesis hash", "[chain][transaction]") {
  // The wire encoding is unchanged by the domain: only the signature bytes differ.
  const Transaction tx = sample();
  Transaction elsewhere = tx;
  elsewhere.sign(key_from(1), SigningDomain{tx.chain_id, crypto::sha256(as_bytes("genesis B"))});
  Bytes a = tx.encode();
  Bytes b = elsewhere.encode();
  REQUIRE(a.size() == b.size());
  const std::size_t unsigned_size = a.size() - crypto::Signature::kSize;
  CHECK(std::equal(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(unsigned_size), b.begin()));
  auto decoded = decode_transaction(a);
  REQUIRE(decoded.ok());
  CHECK(*decoded == tx);
  CHECK(decoded->hash() == crypto::sha256(a));
}

TEST_CASE("transactions signed twice with the same key are identical", "[chain][transaction]") {
  CHECK(sample() == sample());
  CHECK(sample().hash() == sample().hash());
}
