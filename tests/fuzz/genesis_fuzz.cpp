// Fuzz target: the genesis JSON parser.
#include <string>

#include "chain/genesis.h"
#include "chain/state.h"
#include "tests/fuzz/fuzz_samples.h"
#include "tests/fuzz/fuzz_target.h"

using namespace synod;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteView input = fuzz::input_view(data, size);
  auto genesis = chain::parse_genesis(std::string(input.begin(), input.end()));
  if (!genesis.ok()) {
    fuzz::require(!genesis.message().empty(), "a rejected genesis has a message");
    return 0;
  }
  auto again = chain::parse_genesis(chain::genesis_to_json(*genesis));
  fuzz::require(again.ok(), "genesis_to_json output parses");
  fuzz::require(again->hash() == genesis->hash(), "genesis JSON round trip keeps the hash");
  const chain::Block block = chain::make_genesis_block(*genesis);
  fuzz::require(block.header.prev_hash == genesis->hash(), "block 0 links to the genesis");
  return 0;
}

std::vector<Bytes> synod::fuzz::seed_inputs() {
  std::vector<Bytes> seeds;
  for (const auto& text : sample_genesis_json())
    seeds.push_back(text_bytes(text));
  return seeds;
}
