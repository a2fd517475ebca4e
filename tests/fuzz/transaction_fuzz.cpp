// Fuzz target: the transaction decoder.
#include "chain/transaction.h"
#include "tests/fuzz/fuzz_samples.h"
#include "tests/fuzz/fuzz_target.h"

using namespace synod;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteView input = fuzz::input_view(data, size);
  auto tx = chain::decode_transaction(input);
  if (!tx.ok())
    return 0;
  const Bytes encoded = tx->encode();
  fuzz::require(encoded == Bytes(input.begin(), input.end()),
                "transaction re-encodes to its input");
  fuzz::require(tx->hash() == crypto::sha256(input), "transaction id is SHA-256 of its bytes");
  // Any key and signature bytes must be safe to check.
  (void)tx->signature_valid(fuzz::sample_domain());
  return 0;
}

std::vector<Bytes> synod::fuzz::seed_inputs() {
  std::vector<Bytes> seeds;
  for (const auto& tx : sample_transactions())
    seeds.push_back(tx.encode());
  return seeds;
}
