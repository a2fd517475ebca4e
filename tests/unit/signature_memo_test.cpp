#include "crypto/signature_memo.h"

#include <catch2/catch.hpp>

#include <thread>

using namespace synod;
using namespace synod::crypto;

namespace {

KeyPair key_of(std::uint8_t byte) {
  Seed seed;
  seed.data.fill(byte);
  return KeyPair::from_seed(seed);
}

}  // namespace

TEST_CASE("signature memo: results equal libsodium's, remembered on this thread only", "[crypto]") {
  const KeyPair key = key_of(7);
  const Bytes message = {1, 2, 3, 4};
  const Signature direct = key.sign(message);
  Signature tampered = direct;
  tampered.data[0] ^= 0x01;

  SignatureMemo memo;
  CHECK(SignatureMemo::current() == &memo);
  CHECK(key.sign(message) == direct);
  CHECK(key.sign(message) == direct);  // from the memo
  CHECK(verify(key.public_key(), message, direct));
  CHECK(verify(key.public_key(), message, direct));
  CHECK_FALSE(verify(key.public_key(), message, tampered));
  CHECK_FALSE(verify(key.public_key(), message, tampered));  // a remembered "invalid"
  CHECK_FALSE(verify(key_of(8).public_key(), message, direct));
  CHECK(memo.hits() == 3);
  CHECK(memo.misses() == 4);

  SignatureMemo* seen_by_other_thread = &memo;
  std::thread([&] { seen_by_other_thread = SignatureMemo::current(); }).join();
  CHECK(seen_by_other_thread == nullptr);
}

TEST_CASE("signature memo: nested memos restore the outer one, a full memo starts over",
          "[crypto]") {
  const KeyPair key = key_of(9);
  SignatureMemo outer(2);
  {
    SignatureMemo inner;
    CHECK(SignatureMemo::current() == &inner);
  }
  CHECK(SignatureMemo::current() == &outer);
  for (std::uint8_t i = 0; i < 5; ++i) {
    const Bytes message = {i};
    CHECK(verify(key.public_key(), message, key.sign(message)));
  }
  CHECK(outer.hits() == 0);  // capacity 2: each new entry found the memo full or fresh
  CHECK(SignatureMemo::current() == &outer);
}
