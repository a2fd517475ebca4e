// Fuzz target: the key file JSON parser.
#include <string>

#include "crypto/hex.h"
#include "crypto/key_file.h"
#include "tests/fuzz/fuzz_samples.h"
#include "tests/fuzz/fuzz_target.h"

using namespace synod;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteView input = fuzz::input_view(data, size);
  auto key = crypto::parse_key_file(std::string(input.begin(), input.end()));
  if (!key.ok()) {
    fuzz::require(!key.message().empty(), "a rejected key file has a message");
    return 0;
  }
  auto again = crypto::parse_key_file(crypto::key_file_json(*key));
  fuzz::require(again.ok(), "key_file_json output parses");
  fuzz::require(again->public_key() == key->public_key(), "key file round trip keeps the key");
  const Bytes message{'f', 'u', 'z', 'z'};
  fuzz::require(crypto::verify(key->public_key(), message, key->sign(message)),
                "a loaded key signs verifiably");
  return 0;
}

std::vector<Bytes> synod::fuzz::seed_inputs() {
  std::vector<Bytes> seeds;
  for (std::uint8_t fill : {1, 2, 0xff})
    seeds.push_back(text_bytes(crypto::key_file_json(sample_key(fill))));
  const auto key = sample_key(3);
  seeds.push_back(text_bytes(R"({"public_key":")" + crypto::to_hex(key.public_key().view()) +
                             R"(","secret_key":")" + crypto::to_hex(key.secret_key()) + R"("})"));
  return seeds;
}
