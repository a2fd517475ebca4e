// The simulator's one way to spread independent runs (seeds, trials, scenarios) over threads.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

namespace synod::sim {

// Runs worker() on `jobs` threads, the calling thread being one of them, and waits for all.
template <typename Worker>
void run_on_threads(unsigned jobs, const Worker& worker) {
  std::vector<std::thread> threads;
  for (unsigned j = 1; j < std::max(1u, jobs); ++j)
    threads.emplace_back([&worker] { worker(); });
  worker();
  for (auto& thread : threads)
    thread.join();
}

// Calls run(i) once for every i in [0, count) on `jobs` threads. Indices are handed out one
// at a time, so long and short runs balance; run must be safe to call for distinct i at once
// (each run writing its own result slot is).
template <typename Run>
void for_each_index(std::uint64_t count, unsigned jobs, const Run& run) {
  std::atomic<std::uint64_t> next{0};
  run_on_threads(jobs, [&] {
    for (std::uint64_t i = next.fetch_add(1); i < count; i = next.fetch_add(1))
      run(i);
  });
}

}  // namespace synod::sim
