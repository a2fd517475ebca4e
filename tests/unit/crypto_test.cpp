// SHA-256: FIPS 180-2 known answers and the incremental API.
#include <catch2/catch.hpp>

#include <random>
#include <string>

#include "crypto/hex.h"
#include "crypto/sha256.h"

using namespace synod;

namespace {

std::string hex_of(const crypto::Hash256& hash) {
  return crypto::to_hex(hash.view());
}

}  // namespace

TEST_CASE("sha256 of abc matches FIPS 180-2", "[crypto][sha256]") {
  CHECK(hex_of(crypto::sha256(as_bytes("abc"))) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("sha256 of the empty string matches FIPS 180-2", "[crypto][sha256]") {
  CHECK(hex_of(crypto::sha256(ByteView{})) ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("sha256 of the 448-bit two-block message matches FIPS 180-2", "[crypto][sha256]") {
  CHECK(hex_of(
            crypto::sha256(as_bytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))) ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST_CASE("sha256 of one million 'a' through the incremental API matches FIPS 180-2",
          "[crypto][sha256]") {
  const std::string chunk(1000, 'a');
  crypto::Sha256 hasher;
  for (int i = 0; i < 1000; ++i)
    hasher.update(as_bytes(chunk));
  CHECK(hex_of(hasher.finish()) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("incremental sha256 equals one-shot sha256 for random splits", "[crypto][sha256]") {
  std::mt19937_64 random(20240601);
  for (int iteration = 0; iteration < 300; ++iteration) {
    Bytes message(random() % 700);
    for (auto& byte : message)
      byte = static_cast<std::uint8_t>(random());
    const crypto::Hash256 expected = crypto::sha256(message);

    crypto::Sha256 hasher;
    std::size_t position = 0;
    while (position < message.size()) {
      // Pieces of 0 bytes are allowed and must not change the digest.
      std::size_t piece = random() % (message.size() - position + 1);
      hasher.update(ByteView(message).subspan(position, piece));
      position += piece;
    }
    INFO("iteration " << iteration << ", length " << message.size());
    CHECK(hasher.finish() == expected);
  }
}

TEST_CASE("Sha256::finish resets the hasher so it can be reused", "[crypto][sha256]") {
  crypto::Sha256 hasher;
  hasher.update(as_bytes("something else first"));
  (void)hasher.finish();
  hasher.update(as_bytes("ab")).update(as_bytes("c"));
  CHECK(hex_of(hasher.finish()) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(hasher.finish() == crypto::sha256(ByteView{}));
}
