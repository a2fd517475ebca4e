// The slasher: two different signed headers by one proposer at one height become an
// evidence transaction in this node's mempool, relayed to the other nodes.
#include <set>

#include "chain/pos_seal.h"
#include "crypto/hex.h"
#include "pow_pos/pos_engine_impl.h"

namespace synod::pow_pos {

void PosEngine::Impl::watch(const TreeEntry& entry, TimeMs now, Actions& out) {
  const chain::BlockHeader& header = entry.header();
  const auto key = std::make_pair(header.proposer, header.height);
  auto [it, fresh] = first_headers.try_emplace(key, header);
  if (fresh || it->second.hash() == entry.hash || reported.count(key) != 0)
    return;
  reported.insert(key);
  ++pos_counters.double_signs_seen;
  report(it->second, header, now, out);
}

// After a restart the slasher must know what the store holds, not only the tips: every
// recovered header within the evidence window, walked down from each leaf. Two of them by
// one proposer at one height are reported again, since the mempool that held the evidence
// did not survive the restart.
void PosEngine::Impl::watch_recovered(TimeMs now, Actions& out) {
  const std::uint64_t tip = core->tip().height();
  const std::uint64_t oldest = tip > params.evidence_window ? tip - params.evidence_window : 1;
  std::set<crypto::Hash256> walked;
  for (const TreeEntry* leaf : core->tree.leaves()) {
    for (const TreeEntry* entry = leaf; entry != nullptr && entry->height() >= oldest;
         entry = core->tree.find(entry->parent())) {
      if (!walked.insert(entry->hash).second)
        break;  // the rest of this branch was walked from another leaf
      watch(*entry, now, out);
    }
  }
}

void PosEngine::Impl::report(const chain::BlockHeader& first, const chain::BlockHeader& second,
                             TimeMs, Actions& out) {
  const std::string offender = chain::to_string(chain::address_of(first.proposer));
  const std::string offence =
      offender + " signed two blocks at height " + std::to_string(first.height);
  if (first.proposer == core->key.public_key()) {
    out.push_back(chain::LogAction{chain::LogAction::Level::kWarn, "pos: this node " + offence});
    return;  // an offender cannot report itself
  }
  if (core->state.account(chain::address_of(first.proposer)).slashed()) {
    // Evidence against it would be refused as a duplicate in every block on this chain.
    out.push_back(chain::LogAction{chain::LogAction::Level::kInfo,
                                   "pos: " + offence + ", but it is already slashed"});
    return;
  }
  if (!report_evidence) {
    out.push_back(chain::LogAction{chain::LogAction::Level::kWarn,
                                   "pos: " + offence + " (not reported: the slasher is off)"});
    return;
  }
  const chain::Address self = chain::address_of(core->key.public_key());
  const std::uint64_t next_nonce = core->state.account(self).nonce;
  const Bytes payload = chain::encode_evidence({first, second});
  // Our own transactions may be pending: the first free nonce after them.
  for (std::uint64_t nonce = next_nonce; nonce < next_nonce + 16; ++nonce) {
    chain::Transaction tx =
        chain::make_evidence(core->key, rules.domain(), payload, /*fee=*/0, nonce);
    auto refused = core->mempool.add(tx, tx.hash(), core->state);
    if (!refused) {
      ++pos_counters.evidence_submitted;
      out.push_back(chain::GossipTransactionAction{tx});
      out.push_back(chain::LogAction{chain::LogAction::Level::kWarn,
                                     "pos: slashing evidence submitted: " + offence + " (tx " +
                                         crypto::to_hex(tx.hash().view()) + ")"});
      return;
    }
    if (*refused != chain::AdmitError::kNonceTaken)
      break;
  }
  ++pos_counters.evidence_not_submitted;
  out.push_back(chain::LogAction{chain::LogAction::Level::kWarn,
                                 "pos: " + offence + ", but the mempool refused the evidence"});
}

// Evidence older than the window can no longer slash: its headers need not be kept.
void PosEngine::Impl::forget_old_headers() {
  const std::uint64_t height = core->tip().height();
  if (height <= params.evidence_window)
    return;
  const std::uint64_t oldest = height - params.evidence_window;
  std::erase_if(first_headers, [&](const auto& item) { return item.first.second < oldest; });
  std::erase_if(reported, [&](const auto& key) { return key.second < oldest; });
}

}  // namespace synod::pow_pos
