#include <catch2/catch.hpp>

#include "pbft/primary_monitor.h"

using synod::pbft::PrimaryMonitor;

namespace {

// Commits a block `wait_ms` after transactions began waiting, with more left behind.
bool busy_block(PrimaryMonitor& monitor, synod::chain::TimeMs& now, synod::chain::TimeMs wait_ms) {
  now += wait_ms;
  return monitor.block_committed(now, /*still_waiting=*/true);
}

}  // namespace

TEST_CASE("primary monitor: three slow blocks in a row make the primary suspect",
          "[pbft][monitor]") {
  PrimaryMonitor monitor({/*max_block_gap_ms=*/100, /*strikes=*/3});
  synod::chain::TimeMs now = 1'000;
  monitor.work_waiting(now);
  CHECK_FALSE(busy_block(monitor, now, 150));
  CHECK_FALSE(busy_block(monitor, now, 150));
  CHECK(monitor.strikes() == 2);
  CHECK(busy_block(monitor, now, 150));
  CHECK(monitor.suspicions() == 1);
  CHECK(monitor.slow_blocks() == 3);
  CHECK(monitor.strikes() == 0);  // the next suspicion needs three more
  REQUIRE(monitor.last_wait_ms());
  CHECK(*monitor.last_wait_ms() == 150);
}

TEST_CASE("primary monitor: a prompt block clears the strikes", "[pbft][monitor]") {
  PrimaryMonitor monitor({100, 3});
  synod::chain::TimeMs now = 0;
  monitor.work_waiting(now);
  CHECK_FALSE(busy_block(monitor, now, 101));
  CHECK_FALSE(busy_block(monitor, now, 101));
  CHECK_FALSE(busy_block(monitor, now, 100));  // exactly the bound is not slow
  CHECK(monitor.strikes() == 0);
  CHECK_FALSE(busy_block(monitor, now, 101));
  CHECK_FALSE(busy_block(monitor, now, 101));
  CHECK(monitor.suspicions() == 0);
}

TEST_CASE("primary monitor: time with nothing waiting is not held against the primary",
          "[pbft][monitor]") {
  PrimaryMonitor monitor({100, 1});
  synod::chain::TimeMs now = 0;
  // Heartbeat blocks while the mempool is empty are not measured, however far apart.
  CHECK_FALSE(monitor.block_committed(now += 5'000, false));
  CHECK_FALSE(monitor.last_wait_ms());
  // A transaction arrives long after the last block: the wait starts at its arrival.
  monitor.work_waiting(now += 3'000);
  monitor.work_waiting(now + 50);  // already waiting: the first arrival counts
  CHECK_FALSE(monitor.block_committed(now += 80, false));
  CHECK(*monitor.last_wait_ms() == 80);
  // The next block after an emptied mempool is again not measured.
  CHECK_FALSE(monitor.block_committed(now += 5'000, false));
  CHECK(monitor.suspicions() == 0);
}

TEST_CASE("primary monitor: a new view starts the new primary with a clean record",
          "[pbft][monitor]") {
  PrimaryMonitor monitor({100, 2});
  synod::chain::TimeMs now = 0;
  monitor.work_waiting(now);
  CHECK_FALSE(busy_block(monitor, now, 500));
  monitor.new_view(now += 1'000, /*waiting=*/true);
  CHECK(monitor.strikes() == 0);
  // The wait is counted from the view's start, not from before the view change.
  CHECK_FALSE(busy_block(monitor, now, 60));
  CHECK(*monitor.last_wait_ms() == 60);
}

TEST_CASE("primary monitor with zero strikes counts slow blocks but never suspects",
          "[pbft][monitor]") {
  PrimaryMonitor monitor({100, 0});
  synod::chain::TimeMs now = 0;
  monitor.work_waiting(now);
  for (int i = 0; i < 10; ++i)
    CHECK_FALSE(busy_block(monitor, now, 1'000));
  CHECK(monitor.slow_blocks() == 10);
  CHECK(monitor.suspicions() == 0);
}
