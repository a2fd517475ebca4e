// Fuzz target: the address text parser.
#include <string>
#include <string_view>

#include "chain/address.h"
#include "tests/fuzz/fuzz_samples.h"
#include "tests/fuzz/fuzz_target.h"

using namespace synod;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteView input = fuzz::input_view(data, size);
  const std::string text(input.begin(), input.end());
  auto address = chain::parse_address(text);
  if (!address.ok())
    return 0;
  fuzz::require(chain::to_string(*address) == text, "an address prints as the text it came from");
  return 0;
}

std::vector<Bytes> synod::fuzz::seed_inputs() {
  std::vector<Bytes> seeds;
  for (std::uint8_t fill : {0, 1, 2, 0x7f, 0xff})
    seeds.push_back(text_bytes(chain::to_string(chain::address_of(sample_key(fill).public_key()))));
  seeds.push_back(text_bytes(chain::to_string(chain::Address{})));
  return seeds;
}
