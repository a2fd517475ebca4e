#include "testnet/verify_rate.h"

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include "crypto/ed25519.h"

namespace synod::testnet {

VerifyRate measure_verify_rate(std::chrono::milliseconds budget) {
  using Clock = std::chrono::steady_clock;
  // A transfer's size of message; distinct messages so nothing is cached along the way.
  constexpr std::size_t kMessages = 64;
  auto key = crypto::KeyPair::generate();
  std::vector<Bytes> messages;
  std::vector<crypto::Signature> signatures;
  for (std::size_t i = 0; i < kMessages; ++i) {
    Bytes message(150, static_cast<std::uint8_t>(i));
    signatures.push_back(key.sign(message));
    messages.push_back(std::move(message));
  }
  std::uint64_t verified = 0;
  std::uint64_t valid = 0;
  auto start = Clock::now();
  auto elapsed = Clock::duration::zero();
  while (elapsed < budget) {
    for (std::size_t i = 0; i < kMessages; ++i)
      valid += crypto::verify(key.public_key(), messages[i], signatures[i]) ? 1 : 0;
    verified += kMessages;
    elapsed = Clock::now() - start;
  }
  VerifyRate rate;
  // Every signature is valid; counting them keeps the calls from being optimised away.
  rate.per_core_per_s = static_cast<double>(std::min(verified, valid)) /
                        std::chrono::duration<double>(elapsed).count();
  rate.cores = std::max(1u, std::thread::hardware_concurrency());
  return rate;
}

}  // namespace synod::testnet
