// Mining: block templates on the best tip, and the driver's reports of found nonces.
#include <algorithm>

#include "pow_pos/pow_engine_impl.h"

namespace synod::pow_pos {

// The core's hook after the best tip moved: a fresh template on the new tip.
void PowEngine::Impl::tip_changed(TimeMs now, Actions& out) {
  if (!mining_enabled())
    return;
  if (template_timer_armed) {
    out.push_back(chain::CancelTimerAction{kTemplateTimer});
    template_timer_armed = false;
  }
  new_template(now, out);
}

// A template on the best tip: a mempool batch that executes on the tip's state, the roots
// after it (block reward included), the expected target and a timestamp above the median
// time past. Replaces any earlier job.
void PowEngine::Impl::new_template(TimeMs now, Actions& out) {
  NakamotoCore& c = *core;
  auto target = rules.target_after(c.tree, c.active);
  auto median = rules.median_time_after(c.tree, c.active);
  if (!target || !median) {
    ++c.counters.local_errors;
    return;
  }
  BlockBatch batch = c.select_block_batch(c.state, c.tip().height() + 1,
                                          params.max_block_bytes - block_overhead_bytes(),
                                          params.max_block_transactions, params.block_reward);
  if (!batch.execution.ok()) {  // the reward would pass the supply cap: nothing can be mined
    ++c.counters.local_errors;
    job.reset();
    out.push_back(chain::StopMiningAction{});
    return;
  }
  MiningJob next;
  next.job = ++last_job;
  next.block.header = c.child_header(c.tip(), batch, c.state);
  chain::BlockHeader& header = next.block.header;
  header.timestamp_ms = std::max<std::uint64_t>(now, *median + 1);
  header.seal = chain::PowSeal{0, target->to_hash()};
  next.block.transactions = std::move(batch.transactions);
  next.diff = std::move(batch.execution.diff);
  next.tx_hashes = std::move(batch.tx_hashes);
  next.target = *target;
  ++c.counters.templates;
  last_template_ms = now;
  out.push_back(chain::MineAction{next.job, header});
  job = std::move(next);
}

// New transactions: re-template at most every retarget_delay_ms, by timer.
void PowEngine::Impl::schedule_template(TimeMs now, Actions& out) {
  if (!mining_enabled() || template_timer_armed)
    return;
  template_timer_armed = true;
  const TimeMs at = std::max<TimeMs>(now, last_template_ms + retarget_delay_ms);
  out.push_back(chain::SetTimerAction{kTemplateTimer, at});
}

void PowEngine::Impl::mined(std::uint64_t job_id, std::uint64_t nonce, TimeMs now, Actions& out) {
  NakamotoCore& c = *core;
  if (!job || job->job != job_id) {
    ++c.counters.stale_mining_reports;
    return;
  }
  chain::Block block = job->block;
  std::get<chain::PowSeal>(block.header.seal).nonce = nonce;
  if (!meets_target(block.hash(), job->target)) {
    ++c.counters.bad_mining_reports;
    return;  // the job stays current: the driver may still find a good nonce
  }
  // The template was built on the current tip (a tip change replaces the job), so only
  // the clock can have moved; check the header as any other.
  Verdict verdict = c.check_context(block, now);
  if (!verdict.ok()) {
    c.record(block.hash(), block.header.height, std::nullopt, verdict, now);
    new_template(now, out);
    return;
  }
  MiningJob done = std::move(*job);
  job.reset();
  c.add_own_block(std::move(block), std::move(done.diff), std::move(done.tx_hashes), now, out);
}

}  // namespace synod::pow_pos
