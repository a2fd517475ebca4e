// Key files: round trip, mode 0600, no overwrite, and one clear error per defect.
#include <catch2/catch.hpp>

#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "crypto/ed25519.h"
#include "crypto/hex.h"
#include "crypto/key_file.h"
#include "tests/support/temp_dir.h"

using namespace synod;

namespace {

// A fresh directory under the system's temporary directory, removed afterwards.
// Temporary directories: tests/support/temp_dir.h.
struct TempDir : synod::testing::TempDir {
  TempDir() : synod::testing::TempDir("synod-keyfile") {}
};

crypto::KeyPair test_key(std::uint8_t fill) {
  crypto::Seed seed;
  seed.data.fill(fill);
  return crypto::KeyPair::from_seed(seed);
}

unsigned mode_of(const std::string& path) {
  struct stat info {};
  REQUIRE(::stat(path.c_str(), &info) == 0);
  return info.st_mode & 07777;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string key_json(const std::string& public_hex, const std::string& secret_hex) {
  return "{\"public_key\": \"" + public_hex + "\", \"secret_key\": \"" + secret_hex + "\"}";
}

std::string parse_error(const std::string& text) {
  auto result = crypto::parse_key_file(text);
  REQUIRE_FALSE(result.ok());
  return result.message();
}

}  // namespace

TEST_CASE("key file round trip writes mode 0600 and loads the same key", "[crypto][key_file]") {
  TempDir dir;
  const auto key = test_key(0x21);
  const std::string path = dir.file("node_key.json");
  REQUIRE(crypto::save_key_file(path, key).ok());
  CHECK(mode_of(path) == 0600);
  auto loaded = crypto::load_key_file(path);
  REQUIRE(loaded.ok());
  CHECK(loaded->public_key() == key.public_key());
  CHECK(crypto::to_hex(loaded->secret_key()) == crypto::to_hex(key.secret_key()));
  CHECK(read_text(path) == crypto::key_file_json(key));
}

TEST_CASE("key file save refuses to overwrite an existing file", "[crypto][key_file]") {
  TempDir dir;
  const std::string path = dir.file("key.json");
  REQUIRE(crypto::save_key_file(path, test_key(1)).ok());
  const std::string before = read_text(path);

  Status again = crypto::save_key_file(path, test_key(2));
  REQUIRE_FALSE(again.ok());
  CHECK_THAT(again.message(), Catch::Contains("refusing to overwrite"));
  CHECK(read_text(path) == before);
  CHECK(crypto::load_key_file(path)->public_key() == test_key(1).public_key());
}

TEST_CASE("key file save with overwrite replaces the key and restores mode 0600",
          "[crypto][key_file]") {
  TempDir dir;
  const std::string path = dir.file("key.json");
  {
    std::ofstream out(path);
    out << "some much longer previous content that must be fully truncated away ... "
           "................................................................................"
           "................................................................................";
  }
  REQUIRE(::chmod(path.c_str(), 0644) == 0);
  REQUIRE(crypto::save_key_file(path, test_key(3), /*overwrite=*/true).ok());
  CHECK(mode_of(path) == 0600);
  auto loaded = crypto::load_key_file(path);
  REQUIRE(loaded.ok());
  CHECK(loaded->public_key() == test_key(3).public_key());
}

TEST_CASE("key file save into a missing directory fails with a message", "[crypto][key_file]") {
  TempDir dir;
  Status status = crypto::save_key_file(dir.file("no/such/dir/key.json"), test_key(1));
  REQUIRE_FALSE(status.ok());
  CHECK_THAT(status.message(), Catch::Contains("cannot create key file"));
}

TEST_CASE("key file load of a missing file fails naming the path", "[crypto][key_file]") {
  TempDir dir;
  const std::string path = dir.file("absent.json");
  auto result = crypto::load_key_file(path);
  REQUIRE_FALSE(result.ok());
  CHECK_THAT(result.message(), Catch::Contains("cannot read key file") && Catch::Contains(path));
}

TEST_CASE("key file load prefixes parse errors with the path", "[crypto][key_file]") {
  TempDir dir;
  const std::string path = dir.file("broken.json");
  {
    std::ofstream out(path);
    out << "not json";
  }
  auto result = crypto::load_key_file(path);
  REQUIRE_FALSE(result.ok());
  CHECK_THAT(result.message(),
             Catch::StartsWith(path + ": ") && Catch::Contains("not a JSON object"));
}

TEST_CASE("key file parse accepts the file it writes", "[crypto][key_file]") {
  const auto key = test_key(0x33);
  auto parsed = crypto::parse_key_file(crypto::key_file_json(key));
  REQUIRE(parsed.ok());
  CHECK(parsed->public_key() == key.public_key());
}

TEST_CASE("key file parse rejects text that is not a JSON object", "[crypto][key_file]") {
  for (const char* text : {"", "not json", "{", "[1, 2]", "\"text\"", "42", "null"}) {
    INFO(text);
    CHECK_THAT(parse_error(text), Catch::Contains("not a JSON object"));
  }
}

TEST_CASE("key file parse rejects deeply nested JSON without exhausting the stack",
          "[crypto][key_file]") {
  const std::size_t depth = 100'000;
  CHECK_THAT(parse_error(std::string(depth, '[') + std::string(depth, ']')),
             Catch::Contains("not a JSON object"));
  std::string nested;
  for (std::size_t i = 0; i < depth; ++i)
    nested += "{\"public_key\": ";
  nested += "1" + std::string(depth, '}');
  CHECK_THAT(parse_error(nested), Catch::Contains("no string field \"public_key\""));
}

TEST_CASE("key file parse rejects missing fields", "[crypto][key_file]") {
  const auto key = test_key(1);
  const std::string public_hex = crypto::to_hex(key.public_key().view());
  const std::string secret_hex = crypto::to_hex(key.secret_key());
  CHECK_THAT(parse_error("{\"secret_key\": \"" + secret_hex + "\"}"),
             Catch::Contains("no string field \"public_key\""));
  CHECK_THAT(parse_error("{\"public_key\": \"" + public_hex + "\"}"),
             Catch::Contains("no string field \"secret_key\""));
  CHECK_THAT(parse_error("{}"), Catch::Contains("no string field"));
}

TEST_CASE("key file parse rejects fields that are not strings", "[crypto][key_file]") {
  const auto key = test_key(1);
  const std::string secret_hex = crypto::to_hex(key.secret_key());
  CHECK_THAT(parse_error("{\"public_key\": 12, \"secret_key\": \"" + secret_hex + "\"}"),
             Catch::Contains("no string field \"public_key\""));
  CHECK_THAT(parse_error("{\"public_key\": \"00\", \"secret_key\": [1]}"),
             Catch::Contains("no string field \"secret_key\""));
}

TEST_CASE("key file parse rejects wrong key lengths", "[crypto][key_file]") {
  const auto key = test_key(1);
  const std::string public_hex = crypto::to_hex(key.public_key().view());
  const std::string secret_hex = crypto::to_hex(key.secret_key());
  CHECK_THAT(parse_error(key_json(public_hex.substr(2), secret_hex)),
             Catch::Contains("public_key: expected 32 bytes, got 31"));
  CHECK_THAT(parse_error(key_json(public_hex + "00", secret_hex)),
             Catch::Contains("public_key: expected 32 bytes, got 33"));
  CHECK_THAT(parse_error(key_json(public_hex, secret_hex.substr(0, 64))),
             Catch::Contains("secret key must be 64 bytes, got 32"));
  CHECK_THAT(parse_error(key_json(public_hex, secret_hex + "ff")),
             Catch::Contains("secret key must be 64 bytes, got 65"));
}

TEST_CASE("key file parse rejects bad hex", "[crypto][key_file]") {
  const auto key = test_key(1);
  const std::string public_hex = crypto::to_hex(key.public_key().view());
  const std::string secret_hex = crypto::to_hex(key.secret_key());
  std::string bad_public = public_hex;
  bad_public[5] = 'g';
  CHECK_THAT(parse_error(key_json(bad_public, secret_hex)),
             Catch::Contains("public_key: non-hex character at position 5"));
  std::string bad_secret = secret_hex;
  bad_secret[100] = 'x';
  CHECK_THAT(parse_error(key_json(public_hex, bad_secret)),
             Catch::Contains("secret_key: non-hex character at position 100"));
  CHECK_THAT(parse_error(key_json(public_hex, secret_hex.substr(1))),
             Catch::Contains("secret_key: hex has odd length"));
}

TEST_CASE("key file parse rejects a secret key whose halves do not match", "[crypto][key_file]") {
  const auto key = test_key(1);
  const auto other = test_key(2);
  const std::string public_hex = crypto::to_hex(key.public_key().view());
  // Seed of `key`, public half of `other`.
  const std::string secret_hex =
      crypto::to_hex(key.secret_key()).substr(0, 64) + crypto::to_hex(other.public_key().view());
  CHECK_THAT(parse_error(key_json(public_hex, secret_hex)),
             Catch::Contains("secret key halves do not match"));
}

TEST_CASE("key file parse rejects a public key that does not match the secret key",
          "[crypto][key_file]") {
  const auto key = test_key(1);
  const auto other = test_key(2);
  CHECK_THAT(parse_error(key_json(crypto::to_hex(other.public_key().view()),
                                  crypto::to_hex(key.secret_key()))),
             Catch::Contains("public_key does not match the secret key"));
}
