// The canonical codec: strict decoding of every chain type, round trips, a golden vector.
//
// This binary replaces the global operator new to record the largest single allocation, so
// a test can show that a forged length never sizes a buffer before it is checked.
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <new>
#include <random>
#include <string>

#include "chain/block.h"
#include "chain/codec.h"
#include "chain/limits.h"
#include "chain/state.h"
#include "chain/transaction.h"
#include "crypto/hex.h"
#include "tests/support/test_keys.h"

namespace {
std::atomic<std::size_t> g_largest_allocation{0};
}  // namespace

void* operator new(std::size_t size) {
  std::size_t seen = g_largest_allocation.load(std::memory_order_relaxed);
  while (size > seen && !g_largest_allocation.compare_exchange_weak(seen, size)) {
  }
  if (void* memory = std::malloc(size == 0 ? 1 : size))
    return memory;
  throw std::bad_alloc();
}
// GCC sees free() on memory from "operator new" and cannot tell that this operator new is
// the malloc-based replacement above.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void operator delete(void* memory) noexcept {
  std::free(memory);
}
void operator delete(void* memory, std::size_t) noexcept {
  std::free(memory);
}
// The nothrow forms too: a sanitizer runtime supplies every form not replaced here, and its
// nothrow new paired with the free() above is an alloc-dealloc mismatch (Catch2 uses it).
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return ::operator new(size);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
void operator delete(void* memory, const std::nothrow_t&) noexcept {
  std::free(memory);
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

using namespace synod;
using namespace synod::chain;

namespace {

constexpr std::size_t kSmallAllocation = 64 * 1024;

template <typename T>
Bytes encode(const T& value) {
  Writer out;
  write(out, value);
  return out.take();
}

Bytes unhex(std::string_view text) {
  auto bytes = crypto::from_hex(text);
  REQUIRE(bytes.ok());
  return *bytes;
}

using synod::testing::key_from;

// Seeded generator of arbitrary (not necessarily valid) values of every chain type.
class Generator {
 public:
  explicit Generator(std::uint64_t seed) : random_(seed) {}

  std::uint64_t u64() {
    // Mix in the edge values, which random draws would almost never hit.
    switch (random_() % 8) {
      case 0:
        return 0;
      case 1:
        return ~std::uint64_t{0};
      case 2:
        return random_() % 256;
      default:
        return random_();
    }
  }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(random_() % n); }
  bool coin() { return random_() % 2 == 0; }

  template <typename T>
  T fixed() {
    T out;
    for (auto& byte : out.data)
      byte = static_cast<std::uint8_t>(random_());
    return out;
  }

  std::string text(std::size_t max_bytes) {
    std::string out(below(max_bytes + 1), '\0');
    for (auto& c : out)
      c = static_cast<char>(random_());
    return out;
  }

  Transaction transaction() {
    Transaction tx;
    tx.chain_id = text(kMaxChainIdBytes);
    tx.from = fixed<crypto::PublicKey>();
    tx.to = fixed<Address>();
    tx.amount = u64();
    tx.fee = u64();
    tx.nonce = u64();
    tx.signature = fixed<crypto::Signature>();
    return tx;
  }

  Seal seal() {
    switch (below(3)) {
      case 0:
        return PbftSeal{u64(), u64()};
      case 1:
        return PowSeal{u64(), fixed<crypto::Hash256>()};
      default:
        return PosSeal{u64(), fixed<crypto::Hash256>(), fixed<crypto::Signature>()};
    }
  }

  BlockHeader header() {
    BlockHeader header;
    header.height = u64();
    header.prev_hash = fixed<crypto::Hash256>();
    header.tx_root = fixed<crypto::Hash256>();
    header.state_root = fixed<crypto::Hash256>();
    header.timestamp_ms = u64();
    header.proposer = fixed<crypto::PublicKey>();
    header.seal = seal();
    return header;
  }

  CommitCertificate certificate() {
    CommitCertificate certificate;
    certificate.view = u64();
    certificate.sequence = u64();
    certificate.block_hash = fixed<crypto::Hash256>();
    std::uint64_t index = below(3);
    for (std::size_t i = below(12); i > 0; --i) {
      certificate.signatures.push_back(
          CommitSignature{static_cast<std::uint32_t>(index), fixed<crypto::Signature>()});
      index += 1 + below(coin() ? 2 : 1000);
    }
    return certificate;
  }

  Block block() {
    Block block;
    block.header = header();
    for (std::size_t i = below(6); i > 0; --i)
      block.transactions.push_back(transaction());
    if (coin())
      block.certificate = certificate();
    return block;
  }

  Account account() { return Account{u64(), u64(), u64()}; }

  StateDiff diff() {
    StateDiff diff;
    Address address = fixed<Address>();
    address.data[0] = static_cast<std::uint8_t>(below(16));
    for (std::size_t i = below(9); i > 0; --i) {
      AccountChange change;
      change.address = address;
      if (coin())
        change.before = account();
      change.after = account();
      diff.changes.push_back(change);
      // Next address: strictly greater, sometimes by a single byte.
      std::size_t position = coin() ? Address::kSize - 1 : below(4);
      address.data[position] = static_cast<std::uint8_t>(address.data[position] + 1);
      if (address.data[position] == 0)
        address.data[0] = static_cast<std::uint8_t>(address.data[0] + 16);
      for (std::size_t p = position + 1; p < Address::kSize; ++p)
        address.data[p] = 0;
    }
    return diff;
  }

 private:
  std::mt19937_64 random_;
};

const SigningDomain kTestDomain{"synod-test", crypto::sha256(as_bytes("codec test genesis"))};

// One valid, fully populated sample of each type.
Transaction sample_transaction() {
  return make_transfer(key_from(1), kTestDomain, address_of(key_from(2).public_key()), 1000, 7, 3);
}

CommitCertificate sample_certificate() {
  Generator generator(5);
  CommitCertificate certificate;
  certificate.view = 2;
  certificate.sequence = 9;
  certificate.block_hash = generator.fixed<crypto::Hash256>();
  for (std::uint32_t index : {0u, 2u, 3u})
    certificate.signatures.push_back({index, generator.fixed<crypto::Signature>()});
  return certificate;
}

Block sample_block(bool with_certificate) {
  Block block;
  block.header.height = 9;
  block.header.timestamp_ms = 1'700'000'000'000;
  block.header.proposer = key_from(3).public_key();
  block.header.seal = PbftSeal{2, 9};
  block.transactions = {sample_transaction(), sample_transaction()};
  block.transactions[1].nonce = 4;
  block.header.tx_root = transactions_root(block.transactions);
  if (with_certificate)
    block.certificate = sample_certificate();
  return block;
}

StateDiff sample_diff() {
  Generator generator(11);
  StateDiff diff = generator.diff();
  while (diff.changes.size() < 3)
    diff = generator.diff();
  diff.changes[0].before.reset();
  diff.changes[1].before = Account{5, 6, 7};
  return diff;
}

// Runs `decode`, requires it to fail and returns the error message.
template <typename Decode>
std::string decode_error(Decode decode, const Bytes& bytes) {
  auto result = decode(ByteView(bytes));
  REQUIRE_FALSE(result.ok());
  return result.message();
}

template <typename T, typename Decode>
void check_every_truncation_fails(const T& value, Decode decode, const std::string& what) {
  const Bytes bytes = encode(value);
  for (std::size_t length = 0; length < bytes.size(); ++length) {
    Bytes prefix(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(length));
    auto result = decode(ByteView(prefix));
    INFO(what << " truncated to " << length << " of " << bytes.size() << " bytes");
    REQUIRE_FALSE(result.ok());
    CHECK_THAT(result.message(),
               Catch::StartsWith(what + ": ") && (Catch::Contains("truncated input") ||
                                                  Catch::Contains("exceeds the remaining input")));
  }
}

template <typename T, typename Decode>
void check_trailing_bytes_fail(const T& value, Decode decode, const std::string& what) {
  for (std::size_t extra : {1, 2, 100}) {
    Bytes bytes = encode(value);
    bytes.resize(bytes.size() + extra, 0);
    INFO(what << " with " << extra << " trailing bytes");
    CHECK(decode_error(decode, bytes) == what + ": " + std::to_string(extra) + " trailing bytes");
  }
}

template <typename T, typename Decode>
void check_round_trip(const T& value, Decode decode) {
  const Bytes bytes = encode(value);
  auto decoded = decode(ByteView(bytes));
  REQUIRE(decoded.ok());
  CHECK(*decoded == value);
  CHECK(encode(*decoded) == bytes);
}

// Canonical encoding: any single-byte change that still decodes must re-encode to exactly
// the changed bytes (no second encoding of the same value exists).
template <typename T, typename Decode>
void check_mutations_are_canonical(const T& value, Decode decode) {
  const Bytes bytes = encode(value);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    for (std::uint8_t delta : {0x01, 0x02, 0x80, 0xff}) {
      Bytes mutated = bytes;
      mutated[i] = static_cast<std::uint8_t>(mutated[i] ^ delta);
      auto decoded = decode(ByteView(mutated));
      if (decoded.ok()) {
        INFO("byte " << i << " xor " << int{delta});
        CHECK(encode(*decoded) == mutated);
        CHECK_FALSE(*decoded == value);
      }
    }
  }
}

// Decodes `bytes`, requires failure and that no single allocation during decoding was large;
// returns the error message.
template <typename Decode>
std::string rejected_with_small_allocations(Decode decode, const Bytes& bytes) {
  g_largest_allocation = 0;
  auto result = decode(ByteView(bytes));
  const std::size_t largest = g_largest_allocation;
  CHECK(largest < kSmallAllocation);
  REQUIRE_FALSE(result.ok());
  return result.message();
}

// A certificate prefix (view, sequence, block hash) followed by a raw signature count.
Bytes certificate_with_count(std::uint32_t count) {
  Writer out;
  out.u64(1);
  out.u64(2);
  out.fixed(crypto::Hash256{});
  out.u32(count);
  return out.take();
}

}  // namespace

// --- primitives -----------------------------------------------------------------------

TEST_CASE("codec writes fixed-width little-endian integers", "[chain][codec]") {
  Writer out;
  out.u8(0x01);
  out.u16(0x0302);
  out.u32(0x07060504);
  out.u64(0x0f0e0d0c0b0a0908);
  out.boolean(true);
  out.boolean(false);
  out.string("ab");
  CHECK(crypto::to_hex(out.data()) ==
        "0102030405060708090a0b0c0d0e0f"
        "0100"
        "020000006162");

  Reader in(out.data());
  CHECK(in.u8() == 0x01);
  CHECK(in.u16() == 0x0302);
  CHECK(in.u32() == 0x07060504);
  CHECK(in.u64() == 0x0f0e0d0c0b0a0908);
  CHECK(in.boolean());
  CHECK_FALSE(in.boolean());
  CHECK(in.string(2) == "ab");
  CHECK(in.finish("test").ok());
}

TEST_CASE("codec reader rejects truncated integers", "[chain][codec]") {
  const Bytes three{1, 2, 3};
  Reader in(three);
  CHECK(in.u32() == 0);
  CHECK_FALSE(in.ok());
  CHECK_THAT(in.error(), Catch::Contains("truncated input: needed 4 bytes at offset 0, have 3"));
  CHECK_THAT(in.finish("thing").message(), Catch::StartsWith("thing: truncated input"));
}

TEST_CASE("codec reader keeps the first error and returns zeros after it", "[chain][codec]") {
  const Bytes bytes{5, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  Reader in(bytes);
  CHECK_FALSE(in.boolean());  // 5 is not canonical
  CHECK_FALSE(in.ok());
  CHECK(in.u64() == 0);
  CHECK(in.u8() == 0);
  CHECK(in.string(100).empty());
  CHECK(in.error() == "non-canonical boolean 5");
}

TEST_CASE("codec rejects booleans other than 0 and 1", "[chain][codec]") {
  for (int value : {2, 3, 0x80, 0xff}) {
    const Bytes bytes{static_cast<std::uint8_t>(value)};
    Reader in(bytes);
    (void)in.boolean();
    INFO(value);
    CHECK(in.error() == "non-canonical boolean " + std::to_string(value));
  }
}

TEST_CASE("codec rejects a block whose certificate flag is not 0 or 1", "[chain][codec]") {
  Bytes bytes = encode(sample_block(false));
  REQUIRE(bytes.back() == 0);
  for (std::uint8_t flag : {2, 0xff}) {
    bytes.back() = flag;
    CHECK_THAT(decode_error(decode_block, bytes), Catch::Contains("non-canonical boolean"));
  }
}

TEST_CASE("codec rejects a state diff whose before flag is not 0 or 1", "[chain][codec]") {
  StateDiff diff;
  diff.changes.push_back(AccountChange{Address{}, std::nullopt, Account{1, 2, 3}});
  Bytes bytes = encode(diff);
  const std::size_t flag_at = 4 + Address::kSize;
  REQUIRE(bytes[flag_at] == 0);
  bytes[flag_at] = 2;
  CHECK_THAT(decode_error(decode_state_diff, bytes), Catch::Contains("non-canonical boolean 2"));
}

// --- strict decoding --------------------------------------------------------------------

TEST_CASE("codec rejects every truncation of a transaction", "[chain][codec]") {
  check_every_truncation_fails(sample_transaction(), decode_transaction, "transaction");
}

TEST_CASE("codec rejects every truncation of a block header of each seal kind", "[chain][codec]") {
  BlockHeader header = sample_block(false).header;
  for (Seal seal : {Seal{PbftSeal{1, 2}}, Seal{PowSeal{3, {}}}, Seal{PosSeal{4, {}, {}}}}) {
    header.seal = seal;
    check_every_truncation_fails(header, decode_header, "block header");
  }
}

TEST_CASE("codec rejects every truncation of a commit certificate", "[chain][codec]") {
  check_every_truncation_fails(sample_certificate(), decode_certificate, "commit certificate");
}

TEST_CASE("codec rejects every truncation of a block", "[chain][codec]") {
  check_every_truncation_fails(sample_block(true), decode_block, "block");
  check_every_truncation_fails(sample_block(false), decode_block, "block");
}

TEST_CASE("codec rejects every truncation of a state diff", "[chain][codec]") {
  check_every_truncation_fails(sample_diff(), decode_state_diff, "state diff");
}

TEST_CASE("codec rejects trailing bytes after every type", "[chain][codec]") {
  check_trailing_bytes_fail(sample_transaction(), decode_transaction, "transaction");
  check_trailing_bytes_fail(sample_block(false).header, decode_header, "block header");
  check_trailing_bytes_fail(sample_certificate(), decode_certificate, "commit certificate");
  check_trailing_bytes_fail(sample_block(true), decode_block, "block");
  check_trailing_bytes_fail(sample_block(false), decode_block, "block");
  check_trailing_bytes_fail(sample_diff(), decode_state_diff, "state diff");
}

TEST_CASE("codec rejects a chain id longer than the limit", "[chain][codec]") {
  Transaction tx = sample_transaction();
  tx.chain_id = std::string(kMaxChainIdBytes + 1, 'x');
  CHECK_THAT(decode_error(decode_transaction, encode(tx)),
             Catch::Contains("length 65 exceeds limit 64"));
  tx.chain_id = std::string(kMaxChainIdBytes, 'x');
  CHECK(decode_transaction(encode(tx)).ok());
}

TEST_CASE("codec rejects list counts above their limits", "[chain][codec]") {
  CHECK_THAT(decode_error(decode_certificate, certificate_with_count(kMaxValidators + 1)),
             Catch::Contains("length 257 exceeds limit 256"));

  Writer block;
  write(block, sample_block(false).header);
  block.u32(static_cast<std::uint32_t>(kMaxBlockTransactions + 1));
  CHECK_THAT(decode_error(decode_block, block.data()),
             Catch::Contains("length 20001 exceeds limit 20000"));

  Writer diff;
  diff.u32(static_cast<std::uint32_t>(2 * kMaxBlockTransactions + 2));
  CHECK_THAT(decode_error(decode_state_diff, diff.data()),
             Catch::Contains("length 40002 exceeds limit 40001"));
}

TEST_CASE("codec rejects a block larger than the block size limit", "[chain][codec]") {
  Bytes huge(kMaxBlockBytes + 1, 0);
  CHECK_THAT(decode_error(decode_block, huge), Catch::Contains("exceeds limit"));
}

TEST_CASE("codec rejects counts that exceed the remaining input without a huge allocation",
          "[chain][codec]") {
  // Each count is within its limit but the bytes for that many elements are not there.
  Writer block;
  write(block, sample_block(false).header);
  block.u32(static_cast<std::uint32_t>(kMaxBlockTransactions));
  block.u8(0);
  CHECK(rejected_with_small_allocations(decode_block, block.data()) ==
        "block: length 20000 exceeds the remaining input");

  Writer diff;
  diff.u32(static_cast<std::uint32_t>(2 * kMaxBlockTransactions + 1));
  diff.raw(Bytes(50, 0));
  CHECK(rejected_with_small_allocations(decode_state_diff, diff.data()) ==
        "state diff: length 40001 exceeds the remaining input");

  Writer tx;
  tx.u8(1);
  tx.u32(static_cast<std::uint32_t>(kMaxChainIdBytes));
  tx.raw(Bytes(3, 'x'));
  CHECK(rejected_with_small_allocations(decode_transaction, tx.data()) ==
        "transaction: length 64 exceeds the remaining input");

  Bytes certificate = certificate_with_count(kMaxValidators);
  append(certificate, Bytes(2 * (4 + 64), 0));
  CHECK(rejected_with_small_allocations(decode_certificate, certificate) ==
        "commit certificate: length 256 exceeds the remaining input");
}

TEST_CASE("codec reader refuses a forged 4 GiB byte-string length before allocating",
          "[chain][codec]") {
  const Bytes bytes{0xff, 0xff, 0xff, 0xff, 'a', 'b'};
  g_largest_allocation = 0;
  Reader in(bytes);
  Bytes out = in.bytes(~std::size_t{0});
  const std::size_t largest = g_largest_allocation;
  CHECK(out.empty());
  CHECK_THAT(in.error(), Catch::Contains("length 4294967295 exceeds the remaining input"));
  CHECK(largest < kSmallAllocation);
}

TEST_CASE("codec rejects unknown transaction kind tags", "[chain][codec]") {
  Bytes bytes = encode(sample_transaction());
  REQUIRE(bytes[0] == 1);
  for (int tag : {0, 5, 0x81, 0xff}) {
    bytes[0] = static_cast<std::uint8_t>(tag);
    INFO(tag);
    CHECK_THAT(decode_error(decode_transaction, bytes),
               Catch::Contains("unknown transaction kind " + std::to_string(tag)));
  }
}

TEST_CASE("codec rejects unknown seal tags", "[chain][codec]") {
  Bytes bytes = encode(sample_block(false).header);
  const std::size_t tag_at = 8 + 32 * 3 + 8 + 32;
  REQUIRE(bytes[tag_at] == 1);
  for (int tag : {0, 4, 5, 0x80, 0xff}) {
    bytes[tag_at] = static_cast<std::uint8_t>(tag);
    INFO(tag);
    CHECK_THAT(decode_error(decode_header, bytes),
               Catch::Contains("unknown seal tag " + std::to_string(tag)));
  }
}

TEST_CASE("codec rejects certificate validator indices that do not strictly increase",
          "[chain][codec]") {
  for (const auto& indices :
       {std::vector<std::uint32_t>{3, 3}, std::vector<std::uint32_t>{5, 2},
        std::vector<std::uint32_t>{0, 1, 1}, std::vector<std::uint32_t>{0, 2, 1}}) {
    CommitCertificate certificate = sample_certificate();
    certificate.signatures.clear();
    for (std::uint32_t index : indices)
      certificate.signatures.push_back({index, crypto::Signature{}});
    CHECK_THAT(decode_error(decode_certificate, encode(certificate)),
               Catch::Contains("strictly increasing"));
    Block block = sample_block(false);
    block.certificate = certificate;
    CHECK_THAT(decode_error(decode_block, encode(block)), Catch::Contains("strictly increasing"));
  }
}

TEST_CASE("codec rejects state diff addresses that do not strictly increase", "[chain][codec]") {
  StateDiff diff = sample_diff();
  StateDiff repeated = diff;
  repeated.changes[1].address = repeated.changes[0].address;
  CHECK_THAT(decode_error(decode_state_diff, encode(repeated)),
             Catch::Contains("not strictly increasing"));
  StateDiff swapped = diff;
  std::swap(swapped.changes[0], swapped.changes[1]);
  CHECK_THAT(decode_error(decode_state_diff, encode(swapped)),
             Catch::Contains("not strictly increasing"));
}

TEST_CASE("codec accepts an empty state diff, block and certificate list", "[chain][codec]") {
  check_round_trip(StateDiff{}, decode_state_diff);
  Block block = sample_block(false);
  block.transactions.clear();
  check_round_trip(block, decode_block);
  CommitCertificate certificate = sample_certificate();
  certificate.signatures.clear();
  check_round_trip(certificate, decode_certificate);
}

// --- round trips ------------------------------------------------------------------------

TEST_CASE("codec round-trips a transaction", "[chain][codec]") {
  check_round_trip(sample_transaction(), decode_transaction);
  CHECK(decode_transaction(sample_transaction().encode())->signature_valid(kTestDomain));
}

TEST_CASE("transaction encoded_size is the length of its encoding", "[chain][codec]") {
  Transaction tx = sample_transaction();
  CHECK(tx.encoded_size() == tx.encode().size());
  tx.chain_id.clear();
  CHECK(tx.encoded_size() == tx.encode().size());
  tx.chain_id = std::string(kMaxChainIdBytes, 'c');
  CHECK(tx.encoded_size() == tx.encode().size());
}

TEST_CASE("codec round-trips a block header with each seal kind", "[chain][codec]") {
  BlockHeader header = sample_block(false).header;
  Generator generator(3);
  header.seal = PbftSeal{7, 8};
  check_round_trip(header, decode_header);
  header.seal = PowSeal{9, generator.fixed<crypto::Hash256>()};
  check_round_trip(header, decode_header);
  header.seal =
      PosSeal{10, generator.fixed<crypto::Hash256>(), generator.fixed<crypto::Signature>()};
  check_round_trip(header, decode_header);
}

TEST_CASE("codec round-trips a commit certificate", "[chain][codec]") {
  check_round_trip(sample_certificate(), decode_certificate);
}

TEST_CASE("codec round-trips a block with and without a certificate", "[chain][codec]") {
  check_round_trip(sample_block(true), decode_block);
  check_round_trip(sample_block(false), decode_block);
  CHECK(sample_block(true).encode() == encode(sample_block(true)));
}

TEST_CASE("codec round-trips a state diff", "[chain][codec]") {
  check_round_trip(sample_diff(), decode_state_diff);
}

TEST_CASE("codec round-trips randomized values of every type", "[chain][codec]") {
  for (std::uint64_t seed = 0; seed < 300; ++seed) {
    Generator generator(seed);
    INFO("seed " << seed);
    check_round_trip(generator.transaction(), decode_transaction);
    check_round_trip(generator.header(), decode_header);
    check_round_trip(generator.certificate(), decode_certificate);
    check_round_trip(generator.block(), decode_block);
    check_round_trip(generator.diff(), decode_state_diff);
  }
}

TEST_CASE("codec single-byte mutations that still decode re-encode to the same bytes",
          "[chain][codec]") {
  check_mutations_are_canonical(sample_transaction(), decode_transaction);
  check_mutations_are_canonical(sample_block(false).header, decode_header);
  check_mutations_are_canonical(sample_certificate(), decode_certificate);
  check_mutations_are_canonical(sample_block(true), decode_block);
  check_mutations_are_canonical(sample_diff(), decode_state_diff);
}

// --- golden vector ----------------------------------------------------------------------

TEST_CASE("codec golden vector: the exact encoding of one fixed transaction", "[chain][codec]") {
  // Changing this encoding changes every transaction id and signature on the chain. If this
  // test fails, the wire format or the signed bytes changed: that needs a new tag, not a new
  // vector. (The signature and so the id changed once, when "synod/tx/v2" added the signing
  // domain to the signed bytes; the bytes before the signature did not.)
  const SigningDomain golden_domain{"synod-golden", crypto::sha256(as_bytes("golden genesis"))};
  const Transaction tx = make_transfer(key_from(0x01), golden_domain,
                                       address_of(key_from(0x02).public_key()), 1000, 7, 3);
  const std::string expected =
      "01"                                                                // kind: transfer
      "0c000000"                                                          // chain id length 12
      "73796e6f642d676f6c64656e"                                          // "synod-golden"
      "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c"  // from
      "828d5364516d7843c6a3169ae959bd6e300562f3"                          // to
      "e803000000000000"                                                  // amount 1000
      "0700000000000000"                                                  // fee 7
      "0300000000000000"                                                  // nonce 3
      "da9afc5c17d43216a490c375854297ae1b892ed40d1e15f5b86812c854aeb187"  // signature
      "54e4108f9a21ba649e41b43f9175f0a9aa5d59bfb39d3ef53023e7086e426b0d";
  CHECK(crypto::to_hex(tx.encode()) == expected);
  CHECK(crypto::to_hex(tx.hash().view()) ==
        "e2e944a748405f3370481497655ce763c1121bf5b86827eff85505132c7e7b3e");
  auto decoded = decode_transaction(unhex(expected));
  REQUIRE(decoded.ok());
  CHECK(*decoded == tx);
  CHECK(decoded->signature_valid(golden_domain));
}
