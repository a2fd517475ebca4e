// Transactions: what is signed, what the id covers, and that every field is protected.
#include <catch2/catch.hpp>

#include <functional>
#include <string>

#include "chain/transaction.h"
#include "crypto/hex.h"

using namespace synod;
using namespace synod::chain;

namespace {

crypto::KeyPair key_from(std::uint8_t fill) {
  crypto::Seed seed;
  seed.data.fill(fill);
  return crypto::KeyPair::from_seed(seed);
}

Transaction sample() {
  return make_transfer(key_from(1), "synod-test", address_of(key_from(2).public_key()), 500, 3, 0);
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
  CHECK(tx.signature_valid());
  CHECK(tx.sender() == address_of(key_from(1).public_key()));
}

TEST_CASE("transaction signing bytes are the domain tag and the encoding without signature",
          "[chain][transaction]") {
  const Transaction tx = sample();
  const Bytes signing = tx.signing_bytes();
  const Bytes encoded = tx.encode();
  const std::string domain = "synod/tx/v1";
  REQUIRE(signing.size() == domain.size() + encoded.size() - crypto::Signature::kSize);
  CHECK(std::string(signing.begin(), signing.begin() + 11) == domain);
  CHECK(std::equal(signing.begin() + 11, signing.end(), encoded.begin()));
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
    CHECK_FALSE(tx.signature_valid());
    CHECK(tx.hash() != hash);
  }
}

TEST_CASE("transaction signed by a key other than from is invalid", "[chain][transaction]") {
  Transaction tx = sample();
  tx.sign(key_from(9));
  CHECK_FALSE(tx.signature_valid());
  tx.sign(key_from(1));
  CHECK(tx.signature_valid());
}

TEST_CASE("transaction signature does not carry over to another chain id", "[chain][transaction]") {
  // The chain id is inside the signed bytes, so a transaction cannot be replayed on a
  // different chain even by copying its signature.
  const Transaction tx = sample();
  Transaction replay = tx;
  replay.chain_id = "synod-test2";
  CHECK_FALSE(replay.signature_valid());
  CHECK(replay.signing_bytes() != tx.signing_bytes());
}

TEST_CASE("transactions signed twice with the same key are identical", "[chain][transaction]") {
  CHECK(sample() == sample());
  CHECK(sample().hash() == sample().hash());
}
