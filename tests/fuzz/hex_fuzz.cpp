// Fuzz target: the hex decoder.
#include <cctype>
#include <string>
#include <string_view>

#include "crypto/ed25519.h"
#include "crypto/hex.h"
#include "tests/fuzz/fuzz_samples.h"
#include "tests/fuzz/fuzz_target.h"

using namespace synod;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteView input = fuzz::input_view(data, size);
  const std::string text(input.begin(), input.end());
  auto bytes = crypto::from_hex(text);
  auto key = crypto::fixed_from_hex<crypto::PublicKey>(text, "public_key");
  fuzz::require(!key.ok() || (bytes.ok() && bytes->size() == crypto::PublicKey::kSize),
                "fixed_from_hex accepts only what from_hex accepts, at the exact size");
  if (!bytes.ok())
    return 0;
  fuzz::require(bytes->size() * 2 == text.size(), "two hex digits per byte");
  std::string lower = text;
  for (auto& c : lower)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  fuzz::require(crypto::to_hex(*bytes) == lower, "hex round trip, lowercased");
  return 0;
}

std::vector<Bytes> synod::fuzz::seed_inputs() {
  const auto key = sample_key(5);
  return {
      text_bytes(""),
      text_bytes("00ff"),
      text_bytes(crypto::to_hex(key.public_key().view())),
      text_bytes("0123456789abcdefABCDEF"),
      text_bytes(crypto::to_hex(key.secret_key())),
  };
}
