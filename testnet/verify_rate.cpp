#include "testnet/verify_rate.h"

#include <time.h>

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include "crypto/ed25519.h"

namespace synod::testnet {

namespace {

double thread_cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

}  // namespace

VerifyRate measure_verify_rate(std::chrono::milliseconds budget) {
  using Clock = std::chrono::steady_clock;
  // A transfer's size of message (tag, signing domain, unsigned encoding: about 170 bytes);
  // distinct messages so nothing is cached along the way.
  constexpr std::size_t kMessages = 64;
  auto key = crypto::KeyPair::generate();
  std::vector<Bytes> messages;
  std::vector<crypto::Signature> signatures;
  for (std::size_t i = 0; i < kMessages; ++i) {
    Bytes message(170, static_cast<std::uint8_t>(i));
    signatures.push_back(key.sign(message));
    messages.push_back(std::move(message));
  }
  // The rate per second of this thread's CPU time, not of the wall clock: on a machine
  // busy with other work the thread gets a share of a core, but each verification still
  // costs the same CPU time, and the ceiling is about CPU time.
  const double budget_s = std::chrono::duration<double>(budget).count();
  const auto give_up = Clock::now() + 10 * budget;
  std::uint64_t valid = 0;
  const double start = thread_cpu_seconds();
  double used = 0;
  while (used < budget_s && Clock::now() < give_up) {
    for (std::size_t i = 0; i < kMessages; ++i)
      valid += crypto::verify(key.public_key(), messages[i], signatures[i]) ? 1 : 0;
    used = thread_cpu_seconds() - start;
  }
  VerifyRate rate;
  rate.per_core_per_s = used > 0 ? static_cast<double>(valid) / used : 0;
  rate.cores = std::max(1u, std::thread::hardware_concurrency());
  return rate;
}

}  // namespace synod::testnet
