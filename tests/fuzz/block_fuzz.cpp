// Fuzz target: the block decoder, and certificate checking of what it decodes.
#include "chain/block.h"
#include "chain/certificate.h"
#include "tests/fuzz/fuzz_samples.h"
#include "tests/fuzz/fuzz_target.h"

using namespace synod;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const chain::ValidatorSet validators = fuzz::sample_validators();
  const ByteView input = fuzz::input_view(data, size);
  auto block = chain::decode_block(input);
  if (!block.ok())
    return 0;
  fuzz::require(block->encode() == Bytes(input.begin(), input.end()),
                "block re-encodes to its input");
  (void)chain::transactions_root(block->transactions);
  if (block->certificate)
    (void)chain::verify_block_certificate(*block, validators, fuzz::sample_domain());
  return 0;
}

std::vector<Bytes> synod::fuzz::seed_inputs() {
  std::vector<Bytes> seeds;
  for (const auto& block : sample_blocks())
    seeds.push_back(block.encode());
  return seeds;
}
