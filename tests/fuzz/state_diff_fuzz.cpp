// Fuzz target: the state diff (undo data) decoder, and applying what it decodes.
#include <map>

#include "chain/state.h"
#include "tests/fuzz/fuzz_samples.h"
#include "tests/fuzz/fuzz_target.h"

using namespace synod;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteView input = fuzz::input_view(data, size);
  auto diff = chain::decode_state_diff(input);
  if (!diff.ok())
    return 0;
  fuzz::require(fuzz::encode(*diff) == Bytes(input.begin(), input.end()),
                "state diff re-encodes to its input");
  // On an empty state, apply then revert leaves exactly the accounts the diff says existed.
  chain::State state(fuzz::sample_domain());
  state.apply(*diff);
  fuzz::require(state.size() == diff->changes.size(), "apply creates one account per change");
  (void)state.root();
  state.revert(*diff);
  std::map<chain::Address, chain::Account> expected;
  for (const auto& change : diff->changes) {
    if (change.before)
      expected[change.address] = *change.before;
  }
  fuzz::require(state.accounts() == expected, "revert restores the before values");
  return 0;
}

std::vector<Bytes> synod::fuzz::seed_inputs() {
  std::vector<Bytes> seeds;
  for (const auto& diff : sample_state_diffs())
    seeds.push_back(encode(diff));
  return seeds;
}
