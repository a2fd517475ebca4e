#include "node/miner.h"

#include <algorithm>
#include <cassert>

#include "base/thread_name.h"

namespace synod::node {
namespace {

// Nonces tried between checks for a newer job (and between pacing sleeps): at most 256,
// and under a cap about 5 ms worth, so a new job is taken up promptly.
std::uint64_t batch_size(std::uint64_t hashes_per_second_max) {
  if (hashes_per_second_max == 0)
    return 256;
  return std::clamp<std::uint64_t>(hashes_per_second_max / 200, 1, 256);
}

}  // namespace

Miner::Miner(std::uint64_t hashes_per_second_max, Found found)
    : hashes_per_second_max_(hashes_per_second_max),
      batch_hashes_(batch_size(hashes_per_second_max)),
      found_(std::move(found)),
      thread_([this] { loop(); }) {}

Miner::~Miner() {
  shutdown();
}

void Miner::start(std::uint64_t job, const chain::BlockHeader& header) {
  assert(std::holds_alternative<chain::PowSeal>(header.seal));
  {
    std::lock_guard lock(mutex_);
    job_ = Job{job, header};
    current_generation_.store(++generation_, std::memory_order_relaxed);
  }
  wake_.notify_one();
}

void Miner::stop_job() {
  std::lock_guard lock(mutex_);
  job_.reset();
  current_generation_.store(++generation_, std::memory_order_relaxed);
}

void Miner::shutdown() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    current_generation_.store(++generation_, std::memory_order_relaxed);
  }
  wake_.notify_one();
  if (thread_.joinable())
    thread_.join();
}

void Miner::loop() {
  set_thread_name("synod-miner");
  pace_start_ = std::chrono::steady_clock::now();
  for (;;) {
    Job job;
    std::uint64_t generation = 0;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || job_.has_value(); });
      if (stopping_)
        return;
      job = *job_;
      generation = generation_;
    }
    auto nonce = grind(job, generation);
    if (!nonce)
      continue;
    {
      std::lock_guard lock(mutex_);
      if (generation_ == generation)
        job_.reset();  // done: wait for the engine's next job
    }
    found_(job.id, *nonce);
  }
}

std::optional<std::uint64_t> Miner::grind(Job& job, std::uint64_t generation) {
  auto& seal = std::get<chain::PowSeal>(job.header.seal);
  const crypto::Hash256 target = seal.target;
  for (;;) {
    for (std::uint64_t i = 0; i < batch_hashes_; ++i) {
      // Hash256 compares as a big-endian number.
      if (job.header.hash() <= target) {
        hashes_.fetch_add(i + 1, std::memory_order_relaxed);
        return seal.nonce;
      }
      ++seal.nonce;
    }
    hashes_.fetch_add(batch_hashes_, std::memory_order_relaxed);
    pace(batch_hashes_);
    if (current_generation_.load(std::memory_order_relaxed) != generation)
      return std::nullopt;
  }
}

void Miner::pace(std::uint64_t batch_hashes) {
  if (hashes_per_second_max_ == 0)
    return;
  using namespace std::chrono;
  paced_hashes_ += batch_hashes;
  auto due = pace_start_ + microseconds(paced_hashes_ * 1'000'000 / hashes_per_second_max_);
  auto now = steady_clock::now();
  if (due > now) {
    std::this_thread::sleep_for(due - now);
  } else if (now - due > seconds(1)) {
    // Far behind (the machine was busy): do not make up for it in a burst.
    pace_start_ = now;
    paced_hashes_ = 0;
  }
}

}  // namespace synod::node
