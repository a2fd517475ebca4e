// Proof-of-work mining for the engine: MineAction jobs go to the Miner's thread, found
// nonces come back to the engine on the event loop, and the hash rate is sampled once a
// second for status and /metrics.
#include <utility>

#include "node/node_impl.h"

namespace synod::node {

void Node::Impl::start_mining(const chain::MineAction& mine) {
  if (!mining.miner) {
    mining.miner = std::make_unique<Miner>(
        config.hash_rate_limit, [this](std::uint64_t job, std::uint64_t nonce) {
          boost::asio::post(io, [this, job, nonce] {
            if (!stopping)
              execute(engine->on_block_mined(job, nonce, now_ms()));
          });
        });
    mining.sampled_at = std::chrono::steady_clock::now();
    mining.sample_timer = std::make_unique<boost::asio::steady_timer>(io);
    sample_hash_rate();
  }
  mining.miner->start(mine.job, mine.header);
}

void Node::Impl::sample_hash_rate() {
  auto now = std::chrono::steady_clock::now();
  double seconds = std::chrono::duration<double>(now - mining.sampled_at).count();
  std::uint64_t hashes = mining.miner->hashes();
  if (seconds > 0)
    mining.hash_rate = static_cast<double>(hashes - mining.sampled_hashes) / seconds;
  mining.sampled_hashes = hashes;
  mining.sampled_at = now;
  gauges.hash_rate->set(mining.hash_rate);
  gauges.hashes->inc(hashes - gauges.hashes->value());
  mining.sample_timer->expires_after(std::chrono::seconds(1));
  mining.sample_timer->async_wait([this](const boost::system::error_code& error) {
    if (!error && !stopping)
      sample_hash_rate();
  });
}

}  // namespace synod::node
