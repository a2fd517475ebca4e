// Block headers and blocks: what the block hash covers and what it leaves out.
#include <catch2/catch.hpp>

#include <functional>
#include <string>

#include "chain/block.h"
#include "crypto/hex.h"
#include "crypto/merkle.h"
#include "tests/support/test_keys.h"

using namespace synod;
using namespace synod::chain;

namespace {

using synod::testing::key_from;

crypto::Hash256 hash_of(std::string_view text) {
  return crypto::sha256(as_bytes(text));
}

BlockHeader sample_header() {
  BlockHeader header;
  header.height = 12;
  header.prev_hash = hash_of("prev");
  header.tx_root = hash_of("txs");
  header.state_root = hash_of("state");
  header.timestamp_ms = 1'700'000'000'123;
  header.proposer = key_from(1).public_key();
  header.seal = PbftSeal{3, 12};
  return header;
}

Bytes header_bytes(const BlockHeader& header) {
  Writer out;
  write(out, header);
  return out.take();
}

}  // namespace

TEST_CASE("block hash is SHA-256 of the domain tag and the header encoding", "[chain][block]") {
  const BlockHeader header = sample_header();
  Bytes preimage;
  append(preimage, as_bytes("synod/block/v1"));
  append(preimage, header_bytes(header));
  CHECK(header.hash() == crypto::sha256(preimage));
}

TEST_CASE("block header encoding has the documented layout", "[chain][block]") {
  BlockHeader header = sample_header();
  const Bytes bytes = header_bytes(header);
  REQUIRE(bytes.size() == 8 + 32 * 3 + 8 + 32 + 1 + 16);
  CHECK(crypto::to_hex(ByteView(bytes).first(8)) == "0c00000000000000");
  CHECK(crypto::to_hex(ByteView(bytes).subspan(8, 32)) == crypto::to_hex(header.prev_hash.view()));
  CHECK(crypto::to_hex(ByteView(bytes).subspan(8 + 96 + 8, 32)) ==
        crypto::to_hex(header.proposer.view()));
  CHECK(bytes[8 + 96 + 8 + 32] == 1);  // PBFT seal tag
  header.seal = PowSeal{1, hash_of("target")};
  CHECK(header_bytes(header).size() == 8 + 32 * 3 + 8 + 32 + 1 + 8 + 32);
  CHECK(header_bytes(header)[8 + 96 + 8 + 32] == 2);
  header.seal = PosSeal{1, hash_of("difficulty"), {}};
  CHECK(header_bytes(header)[8 + 96 + 8 + 32] == 3);
}

TEST_CASE("block hash changes when any header field changes", "[chain][block]") {
  const std::vector<std::pair<const char*, std::function<void(BlockHeader&)>>> changes = {
      {"height", [](BlockHeader& h) { h.height += 1; }},
      {"prev_hash", [](BlockHeader& h) { h.prev_hash.data[31] ^= 1; }},
      {"tx_root", [](BlockHeader& h) { h.tx_root.data[0] ^= 1; }},
      {"state_root", [](BlockHeader& h) { h.state_root.data[7] ^= 1; }},
      {"timestamp_ms", [](BlockHeader& h) { h.timestamp_ms += 1; }},
      {"proposer", [](BlockHeader& h) { h.proposer = key_from(2).public_key(); }},
      {"pbft view",
       [](BlockHeader& h) {
         h.seal = PbftSeal{4, 12};
       }},
      {"pbft sequence",
       [](BlockHeader& h) {
         h.seal = PbftSeal{3, 13};
       }},
      {"seal kind",
       [](BlockHeader& h) {
         h.seal = PowSeal{3, {}};
       }},
      {"pos seal",
       [](BlockHeader& h) {
         h.seal = PosSeal{3, {}, {}};
       }},
  };
  const crypto::Hash256 base = sample_header().hash();
  for (const auto& [field, change] : changes) {
    BlockHeader header = sample_header();
    change(header);
    INFO(field);
    CHECK(header.hash() != base);
  }
  // PoW and PoS seals with the same numbers still hash differently (the tag is hashed).
  BlockHeader pow = sample_header();
  pow.seal = PowSeal{5, hash_of("x")};
  BlockHeader pos = sample_header();
  pos.seal = PosSeal{5, hash_of("x"), {}};
  CHECK(pow.hash() != pos.hash());
}

TEST_CASE("block hash is the header hash and excludes the certificate", "[chain][block]") {
  Block block;
  block.header = sample_header();
  const crypto::Hash256 without = block.hash();
  CHECK(without == block.header.hash());
  block.certificate = CommitCertificate{3, 12, without, {{0, crypto::Signature{}}}};
  CHECK(block.hash() == without);
}

TEST_CASE("transactions_root is the Merkle root of the transaction hashes", "[chain][block]") {
  std::vector<Transaction> transactions;
  const Address to = address_of(key_from(2).public_key());
  const SigningDomain domain{"synod-test", crypto::Hash256{}};
  for (std::uint64_t nonce = 0; nonce < 5; ++nonce)
    transactions.push_back(make_transfer(key_from(1), domain, to, 10, 1, nonce));
  std::vector<crypto::Hash256> hashes;
  for (const auto& tx : transactions)
    hashes.push_back(tx.hash());
  CHECK(transactions_root(transactions) == crypto::merkle_root(hashes));
  CHECK(transactions_root({}) == crypto::Hash256{});
  // Order matters: the root binds the block's transaction order.
  std::swap(transactions[0], transactions[1]);
  CHECK(transactions_root(transactions) != crypto::merkle_root(hashes));
}

TEST_CASE("commit signing bytes are tag, chain id, genesis hash, view, sequence and block hash",
          "[chain][block]") {
  const crypto::Hash256 block_hash = hash_of("block");
  const SigningDomain domain{"synod-test", hash_of("genesis")};
  const Bytes bytes = commit_signing_bytes(domain, 2, 9, block_hash);
  Writer expected;
  expected.raw(as_bytes("synod/pbft/commit/v2"));
  expected.string("synod-test");
  expected.fixed(hash_of("genesis"));
  expected.u64(2);
  expected.u64(9);
  expected.fixed(block_hash);
  CHECK(bytes == expected.data());
}

TEST_CASE("commit signing bytes differ for every input", "[chain][block]") {
  const crypto::Hash256 block_hash = hash_of("block");
  const SigningDomain domain{"synod-test", hash_of("genesis")};
  const Bytes base = commit_signing_bytes(domain, 2, 9, block_hash);
  CHECK(commit_signing_bytes({"synod-tesu", domain.genesis_hash}, 2, 9, block_hash) != base);
  // The same chain id and keys with another genesis: another network.
  CHECK(commit_signing_bytes({"synod-test", hash_of("genesis 2")}, 2, 9, block_hash) != base);
  CHECK(commit_signing_bytes(domain, 3, 9, block_hash) != base);
  CHECK(commit_signing_bytes(domain, 2, 10, block_hash) != base);
  CHECK(commit_signing_bytes(domain, 2, 9, hash_of("other")) != base);
  // The length prefix keeps "ab" + genesis hash apart from "a" + one starting with 'b'.
  crypto::Hash256 shifted;
  shifted.data[0] = 'b';
  CHECK(commit_signing_bytes({"ab", crypto::Hash256{}}, 0, 0, block_hash) !=
        commit_signing_bytes({"a", shifted}, 0, 0, block_hash));
}
