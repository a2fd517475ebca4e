// Fuzz target: the proof-of-work message decoder (a BLOCK announced by a peer).
#include "pow_pos/pow_messages.h"
#include "tests/fuzz/fuzz_samples.h"
#include "tests/fuzz/fuzz_target.h"

using namespace synod;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteView input = fuzz::input_view(data, size);
  const std::string type = pow_pos::message_type_name(input);
  auto block = pow_pos::decode_block_message(input);
  if (!block.ok()) {
    fuzz::require(!block.message().empty(), "a rejected message has a reason");
    return 0;
  }
  fuzz::require(type == "block", "a decoded message is named a block");
  fuzz::require(!block->certificate.has_value(), "a PoW block carries no certificate");
  fuzz::require(pow_pos::encode_block_message(*block) == Bytes(input.begin(), input.end()),
                "PoW message re-encodes to its input");
  (void)chain::transactions_root(block->transactions);
  return 0;
}

std::vector<Bytes> synod::fuzz::seed_inputs() {
  std::vector<Bytes> seeds;
  for (auto block : sample_blocks()) {
    block.certificate.reset();
    seeds.push_back(pow_pos::encode_block_message(block));
  }
  return seeds;
}
