// Fuzz target: the commit certificate decoder and verifier.
#include "chain/block.h"
#include "chain/certificate.h"
#include "tests/fuzz/fuzz_samples.h"
#include "tests/fuzz/fuzz_target.h"

using namespace synod;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const chain::ValidatorSet validators = fuzz::sample_validators();
  const ByteView input = fuzz::input_view(data, size);
  auto certificate = chain::decode_certificate(input);
  if (!certificate.ok())
    return 0;
  fuzz::require(fuzz::encode(*certificate) == Bytes(input.begin(), input.end()),
                "certificate re-encodes to its input");
  // Checked against the hash it names, so forged signatures reach the signature checks.
  (void)chain::verify_certificate(*certificate, certificate->block_hash, validators,
                                  fuzz::sample_domain());
  return 0;
}

std::vector<Bytes> synod::fuzz::seed_inputs() {
  std::vector<Bytes> seeds;
  for (const auto& certificate : sample_certificates())
    seeds.push_back(encode(certificate));
  return seeds;
}
