// Fuzz target: the block header decoder.
#include "chain/block.h"
#include "tests/fuzz/fuzz_samples.h"
#include "tests/fuzz/fuzz_target.h"

using namespace synod;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteView input = fuzz::input_view(data, size);
  auto header = chain::decode_header(input);
  if (!header.ok())
    return 0;
  fuzz::require(fuzz::encode(*header) == Bytes(input.begin(), input.end()),
                "header re-encodes to its input");
  (void)header->hash();
  return 0;
}

std::vector<Bytes> synod::fuzz::seed_inputs() {
  std::vector<Bytes> seeds;
  for (const auto& header : sample_headers())
    seeds.push_back(encode(header));
  return seeds;
}
