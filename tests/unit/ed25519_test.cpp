// Ed25519: RFC 8032 section 7.1 test vectors and verification of tampered inputs.
#include <catch2/catch.hpp>

#include <string>

#include "crypto/ed25519.h"
#include "crypto/hex.h"

using namespace synod;

namespace {

Bytes unhex(std::string_view text) {
  auto bytes = crypto::from_hex(text);
  REQUIRE(bytes.ok());
  return *bytes;
}

crypto::Seed seed_of(std::string_view text) {
  auto seed = crypto::fixed_from_hex<crypto::Seed>(text, "seed");
  REQUIRE(seed.ok());
  return *seed;
}

struct Vector {
  const char* seed;
  const char* public_key;
  std::string message;  // hex
  const char* signature;
};

// Signing is deterministic, so seed -> public key and (seed, message) -> signature must
// reproduce the RFC's bytes exactly; and the signature must verify.
void check_vector(const Vector& v) {
  const crypto::KeyPair pair = crypto::KeyPair::from_seed(seed_of(v.seed));
  CHECK(crypto::to_hex(pair.public_key().view()) == v.public_key);
  CHECK(crypto::to_hex(pair.secret_key()) == std::string(v.seed) + v.public_key);
  const Bytes message = unhex(v.message);
  const crypto::Signature signature = pair.sign(message);
  CHECK(crypto::to_hex(signature.view()) == v.signature);
  CHECK(crypto::verify(pair.public_key(), message, signature));
}

// RFC 8032 section 7.1, TEST 1024: the 1023-byte message.
const std::string kMessage1024 =
    "08b8b2b733424243760fe426a4b54908632110a66c2f6591eabd3345e3e4eb98fa6e264bf09efe12ee50f8f54e9f77"
    "b1"
    "e355f6c50544e23fb1433ddf73be84d879de7c0046dc4996d9e773f4bc9efe5738829adb26c81b37c93a1b270b2032"
    "9d"
    "658675fc6ea534e0810a4432826bf58c941efb65d57a338bbd2e26640f89ffbc1a858efcb8550ee3a5e1998bd177e9"
    "3a"
    "7363c344fe6b199ee5d02e82d522c4feba15452f80288a821a579116ec6dad2b3b310da903401aa62100ab5d1a3655"
    "3e"
    "06203b33890cc9b832f79ef80560ccb9a39ce767967ed628c6ad573cb116dbefefd75499da96bd68a8a97b928a8bbc"
    "10"
    "3b6621fcde2beca1231d206be6cd9ec7aff6f6c94fcd7204ed3455c68c83f4a41da4af2b74ef5c53f1d8ac70bdcb7e"
    "d1"
    "85ce81bd84359d44254d95629e9855a94a7c1958d1f8ada5d0532ed8a5aa3fb2d17ba70eb6248e594e1a2297acbbb3"
    "9d"
    "502f1a8c6eb6f1ce22b3de1a1f40cc24554119a831a9aad6079cad88425de6bde1a9187ebb6092cf67bf2b13fd65f2"
    "70"
    "88d78b7e883c8759d2c4f5c65adb7553878ad575f9fad878e80a0c9ba63bcbcc2732e69485bbc9c90bfbd62481d908"
    "9b"
    "eccf80cfe2df16a2cf65bd92dd597b0707e0917af48bbb75fed413d238f5555a7a569d80c3414a8d0859dc65a46128"
    "ba"
    "b27af87a71314f318c782b23ebfe808b82b0ce26401d2e22f04d83d1255dc51addd3b75a2b1ae0784504df543af896"
    "9b"
    "e3ea7082ff7fc9888c144da2af58429ec96031dbcad3dad9af0dcbaaaf268cb8fcffead94f3c7ca495e056a9b47acd"
    "b7"
    "51fb73e666c6c655ade8297297d07ad1ba5e43f1bca32301651339e22904cc8c42f58c30c04aafdb038dda0847dd98"
    "8d"
    "cda6f3bfd15c4b4c4525004aa06eeff8ca61783aacec57fb3d1f92b0fe2fd1a85f6724517b65e614ad6808d6f6ee34"
    "df"
    "f7310fdc82aebfd904b01e1dc54b2927094b2db68d6f903b68401adebf5a7e08d78ff4ef5d63653a65040cf9bfd4ac"
    "a7"
    "984a74d37145986780fc0b16ac451649de6188a7dbdf191f64b5fc5e2ab47b57f7f7276cd419c17a3ca8e1b939ae49"
    "e4"
    "88acba6b965610b5480109c8b17b80e1b7b750dfc7598d5d5011fd2dcc5600a32ef5b52a1ecc820e308aa342721aac"
    "09"
    "43bf6686b64b2579376504ccc493d97e6aed3fb0f9cd71a43dd497f01f17c0e2cb3797aa2a2f256656168e6c496afc"
    "5f"
    "b93246f6b1116398a346f1a641f3b041e989f7914f90cc2c7fff357876e506b50d334ba77c225bc307ba537152f3f1"
    "61"
    "0e4eafe595f6d9d90d11faa933a15ef1369546868a7f3a45a96768d40fd9d03412c091c6315cf4fde7cb6860693738"
    "0d"
    "b2eaaa707b4c4185c32eddcdd306705e4dc1ffc872eeee475a64dfac86aba41c0618983f8741c5ef68d3a101e8a3b8"
    "ca"
    "c60c905c15fc910840b94c00a0b9d0";

crypto::KeyPair test_key(std::uint8_t fill) {
  crypto::Seed seed;
  seed.data.fill(fill);
  return crypto::KeyPair::from_seed(seed);
}

}  // namespace

TEST_CASE("Ed25519 RFC 8032 TEST 1 (empty message) reproduces key and signature",
          "[crypto][ed25519]") {
  check_vector({"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
                "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
                "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
                "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"});
}

TEST_CASE("Ed25519 RFC 8032 TEST 2 (one byte) reproduces key and signature", "[crypto][ed25519]") {
  check_vector({"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
                "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
                "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
                "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"});
}

TEST_CASE("Ed25519 RFC 8032 TEST 3 (two bytes) reproduces key and signature", "[crypto][ed25519]") {
  check_vector({"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
                "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
                "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
                "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"});
}

TEST_CASE("Ed25519 RFC 8032 TEST 1024 (1023 bytes) reproduces key and signature",
          "[crypto][ed25519]") {
  REQUIRE(kMessage1024.size() == 2 * 1023);
  check_vector({"f5e5767cf153319517630f226876b86c8160cc583bc013744c6bf255f5cc0ee5",
                "278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e", kMessage1024,
                "0aab4c900501b3e24d7cdf4663326a3a87df5e4843b2cbdb67cbf6e460fec350"
                "aa5371b1508f9f4528ecea23c436d94b5e8fcd4f681e30a6ac00a9704a188a03"});
}

TEST_CASE("Ed25519 RFC 8032 TEST SHA(abc) reproduces key and signature", "[crypto][ed25519]") {
  check_vector({"833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
                "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
                "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
                "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
                "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b589"
                "09351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704"});
}

TEST_CASE("Ed25519 verify rejects every single flipped bit of the message", "[crypto][ed25519]") {
  const auto pair = test_key(0x42);
  const Bytes message{'s', 'y', 'n', 'o', 'd', 0x00, 0xff};
  const auto signature = pair.sign(message);
  REQUIRE(crypto::verify(pair.public_key(), message, signature));
  for (std::size_t bit = 0; bit < message.size() * 8; ++bit) {
    Bytes tampered = message;
    tampered[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    INFO("bit " << bit);
    CHECK_FALSE(crypto::verify(pair.public_key(), tampered, signature));
  }
  Bytes longer = message;
  longer.push_back(0);
  CHECK_FALSE(crypto::verify(pair.public_key(), longer, signature));
  CHECK_FALSE(
      crypto::verify(pair.public_key(), ByteView(message).first(message.size() - 1), signature));
}

TEST_CASE("Ed25519 verify rejects every single flipped bit of the signature", "[crypto][ed25519]") {
  const auto pair = test_key(0x43);
  const Bytes message{'p', 'b', 'f', 't'};
  const auto signature = pair.sign(message);
  for (std::size_t bit = 0; bit < crypto::Signature::kSize * 8; ++bit) {
    crypto::Signature tampered = signature;
    tampered.data[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    INFO("bit " << bit);
    CHECK_FALSE(crypto::verify(pair.public_key(), message, tampered));
  }
  CHECK_FALSE(crypto::verify(pair.public_key(), message, crypto::Signature{}));
}

TEST_CASE("Ed25519 verify rejects every single flipped bit of the public key",
          "[crypto][ed25519]") {
  const auto pair = test_key(0x44);
  const Bytes message{'k', 'e', 'y'};
  const auto signature = pair.sign(message);
  for (std::size_t bit = 0; bit < crypto::PublicKey::kSize * 8; ++bit) {
    crypto::PublicKey tampered = pair.public_key();
    tampered.data[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    INFO("bit " << bit);
    CHECK_FALSE(crypto::verify(tampered, message, signature));
  }
  CHECK_FALSE(crypto::verify(crypto::PublicKey{}, message, signature));
}

TEST_CASE("Ed25519 verify rejects a signature by another key", "[crypto][ed25519]") {
  const auto alice = test_key(1);
  const auto bob = test_key(2);
  const Bytes message{1, 2, 3};
  CHECK_FALSE(crypto::verify(bob.public_key(), message, alice.sign(message)));
}

TEST_CASE("Ed25519 generated keys differ and sign verifiably", "[crypto][ed25519]") {
  const auto first = crypto::KeyPair::generate();
  const auto second = crypto::KeyPair::generate();
  CHECK(first.public_key() != second.public_key());
  const Bytes message{'h', 'i'};
  CHECK(crypto::verify(first.public_key(), message, first.sign(message)));
  // A generated key's secret key reloads to the same pair.
  auto reloaded = crypto::KeyPair::from_secret_key(first.secret_key());
  REQUIRE(reloaded.ok());
  CHECK(reloaded->public_key() == first.public_key());
}

TEST_CASE("KeyPair::from_secret_key accepts its own secret key", "[crypto][ed25519]") {
  const auto pair = test_key(9);
  auto again = crypto::KeyPair::from_secret_key(pair.secret_key());
  REQUIRE(again.ok());
  CHECK(again->public_key() == pair.public_key());
  CHECK(crypto::to_hex(again->secret_key()) == crypto::to_hex(pair.secret_key()));
}

TEST_CASE("KeyPair::from_secret_key rejects wrong lengths", "[crypto][ed25519]") {
  for (std::size_t length : {0, 32, 63, 65, 128}) {
    Bytes secret(length, 0x01);
    auto result = crypto::KeyPair::from_secret_key(secret);
    INFO("length " << length);
    REQUIRE_FALSE(result.ok());
    CHECK_THAT(result.message(), Catch::Contains("must be 64 bytes"));
  }
}

TEST_CASE("KeyPair::from_secret_key rejects mismatched halves", "[crypto][ed25519]") {
  const auto pair = test_key(9);
  const auto other = test_key(10);
  Bytes secret(pair.secret_key().begin(), pair.secret_key().end());
  std::copy(other.public_key().data.begin(), other.public_key().data.end(), secret.begin() + 32);
  auto result = crypto::KeyPair::from_secret_key(secret);
  REQUIRE_FALSE(result.ok());
  CHECK_THAT(result.message(), Catch::Contains("halves do not match"));
}

TEST_CASE("KeyPair copies keep the same key", "[crypto][ed25519]") {
  const auto pair = test_key(5);
  crypto::KeyPair copy = pair;
  CHECK(copy.public_key() == pair.public_key());
  crypto::KeyPair assigned = test_key(6);
  assigned = pair;
  CHECK(assigned.public_key() == pair.public_key());
  const Bytes message{'x'};
  CHECK(crypto::verify(pair.public_key(), message, assigned.sign(message)));
  CHECK(assigned.sign(message) == pair.sign(message));
  const crypto::KeyPair& same = assigned;
  assigned = same;  // self-assignment keeps the key
  CHECK(assigned.public_key() == pair.public_key());
  CHECK(assigned.sign(message) == pair.sign(message));
}
