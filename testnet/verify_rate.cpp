#include "testnet/verify_rate.h"

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include "crypto/ed25519.h"

namespace synod::testnet {

namespace {

// Verifications of valid signatures done on this thread within `budget`.
std::uint64_t verify_for(std::chrono::milliseconds budget, std::chrono::duration<double>& took) {
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
  std::uint64_t valid = 0;
  auto start = Clock::now();
  while (Clock::now() - start < budget) {
    for (std::size_t i = 0; i < kMessages; ++i)
      valid += crypto::verify(key.public_key(), messages[i], signatures[i]) ? 1 : 0;
  }
  took = Clock::now() - start;
  return valid;  // counting the results keeps the calls from being optimised away
}

}  // namespace

VerifyRate measure_verify_rate(std::chrono::milliseconds budget) {
  // One thread per core at once: the machine's rate as the nodes' worker pools see it, on a
  // machine that may be busy with other work too.
  VerifyRate rate;
  rate.cores = std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::uint64_t> counts(rate.cores, 0);
  std::vector<std::chrono::duration<double>> took(rate.cores);
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < rate.cores; ++t)
    threads.emplace_back([&, t] { counts[t] = verify_for(budget, took[t]); });
  double total_per_s = 0;
  for (unsigned t = 0; t < rate.cores; ++t) {
    threads[t].join();
    total_per_s += static_cast<double>(counts[t]) / took[t].count();
  }
  rate.per_core_per_s = total_per_s / rate.cores;
  return rate;
}

}  // namespace synod::testnet
