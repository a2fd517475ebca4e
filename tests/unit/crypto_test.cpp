#include <catch2/catch.hpp>

#include "crypto/hex.h"
#include "crypto/sha256.h"

using namespace synod;

TEST_CASE("sha256 of abc matches FIPS 180-2", "[crypto]") {
  CHECK(crypto::to_hex(crypto::sha256(as_bytes("abc")).view()) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
