#include "tests/sim/invariants.h"

#include <sstream>

#include "chain/certificate.h"
#include "tests/sim/short_hex.h"

namespace synod::sim {

std::string failure_report_text(const std::string& run, const std::vector<Violation>& violations,
                                const std::string& scenario, const std::string& replay) {
  std::ostringstream out;
  out << "synod-sim: " << run << " FAILED with " << violations.size()
      << " violation(s)\n  scenario: " << scenario << "\n";
  for (const auto& violation : violations)
    out << "  t=" << violation.at_ms << "ms " << violation.what << "\n";
  out << "  replay: " << replay << "\n";
  return out.str();
}

InvariantChecker::InvariantChecker(std::shared_ptr<const chain::Genesis> genesis)
    : genesis_(std::move(genesis)), domain_(chain::SigningDomain::of(*genesis_)) {}

void InvariantChecker::record(TimeMs at_ms, std::string what) {
  if (violations_.size() >= violations_max_) {
    ++violations_dropped_;
    violations_.back().what = "... and " + std::to_string(violations_dropped_) + " more";
    return;
  }
  violations_.push_back(Violation{at_ms, std::move(what)});
}

std::string InvariantChecker::where(const SimNode& node, const chain::Block& block) const {
  return "node " + std::to_string(node.slot) + " (validator " + std::to_string(node.validator) +
         ") height " + std::to_string(block.header.height);
}

void InvariantChecker::on_fault(const SimNode& node, const std::string& what, TimeMs now) {
  if (node.honest)
    record(now, "driver: node " + std::to_string(node.slot) + ": " + what);
}

void InvariantChecker::on_commit(const SimNode& node, const chain::Block& block,
                                 const chain::StateDiff& diff, const chain::State& before,
                                 TimeMs now) {
  if (!node.honest)
    return;
  const std::uint64_t height = block.header.height;
  const crypto::Hash256 hash = block.hash();
  auto [it, first] = committed_.try_emplace(height, hash, node.slot);
  if (!first && it->second.first != hash) {
    record(now, "agreement: " + where(node, block) + " committed " + short_hex(hash) +
                    " but node " + std::to_string(it->second.second) + " committed " +
                    short_hex(it->second.first));
  }
  check_block(node, block, diff, before, now);
}

void InvariantChecker::check_block(const SimNode& node, const chain::Block& block,
                                   const chain::StateDiff& diff, const chain::State& before,
                                   TimeMs now) {
  auto& seen = chain_txs_[node.slot];
  for (const auto& tx : block.transactions) {
    const crypto::Hash256 tx_hash = tx.hash();
    if (!seen.insert(tx_hash).second) {
      record(now, "validity: " + where(node, block) + " commits transaction " + short_hex(tx_hash) +
                      " a second time");
    }
    // A submitted transaction's hash covers its signature, so membership implies a valid
    // client signature; anything else is checked (and reported) on its own.
    if (was_submitted_ && !was_submitted_(tx_hash)) {
      record(now, "validity: " + where(node, block) + " commits transaction " + short_hex(tx_hash) +
                      " no client submitted" +
                      (tx.signature_valid(before.domain()) ? "" : " (bad signature)"));
    }
  }
  chain::State replay = before;
  auto replayed = replay.apply_block(block, chain::SignaturePolicy::kAlreadyVerified);
  if (!replayed.ok()) {
    record(now, "validity: " + where(node, block) + " does not apply: " + replayed.message());
  } else if (!(replayed.value() == diff)) {
    record(now, "validity: " + where(node, block) +
                    " was stored with state changes other than its transactions make");
  }
  check_certificate(node, block, now);
}

void InvariantChecker::check_certificate(const SimNode& node, const chain::Block& block,
                                         TimeMs now) {
  if (block.header.height == 0)
    return;
  if (!block.certificate) {
    record(now, "certificate: " + where(node, block) + " has no commit certificate");
    return;
  }
  chain::Writer key;
  key.fixed(block.hash());
  chain::write(key, *block.certificate);
  const crypto::Hash256 digest = crypto::sha256(key.data());
  if (verified_.count(digest) != 0)
    return;
  auto status = chain::verify_block_certificate(block, genesis_->validators, domain_);
  if (!status.ok()) {
    record(now, "certificate: " + where(node, block) + ": " + status.message());
    return;
  }
  verified_.insert(digest);
}

void InvariantChecker::check_liveness(const Cluster& cluster,
                                      const std::map<crypto::Hash256, SubmittedTx>& submitted,
                                      const LivenessInput& input, TimeMs now) {
  std::size_t late = 0;
  std::string first_late;
  for (const auto& [hash, entry] : submitted) {
    const TimeMs deadline = std::max(entry.submitted_ms, input.stable_ms) + input.bound_ms;
    if (entry.committed_ms && *entry.committed_ms <= deadline)
      continue;
    if (!entry.committed_ms && now < deadline)
      continue;  // the run ended before its deadline: nothing to say
    if (late++ == 0) {
      first_late =
          short_hex(hash) + " (submitted at " + std::to_string(entry.submitted_ms) + " ms, " +
          (entry.committed_ms ? "committed at " + std::to_string(*entry.committed_ms) + " ms"
                              : std::string("never committed")) +
          ")";
    }
  }
  if (late > 0) {
    record(now, "liveness: " + std::to_string(late) + " transactions missed their deadline of " +
                    std::to_string(input.bound_ms) + " ms after max(submission, " +
                    std::to_string(input.stable_ms) + " ms); first: " + first_late);
  }
  for (SlotId slot = 0; slot < cluster.size(); ++slot) {
    const SimNode& node = cluster.node(slot);
    if (!node.honest || !node.up())
      continue;
    if (node.store.height() < input.catch_up_height) {
      record(now, "liveness: node " + std::to_string(slot) + " is at height " +
                      std::to_string(node.store.height()) + ", honest nodes reached " +
                      std::to_string(input.catch_up_height));
    }
  }
}

}  // namespace synod::sim
