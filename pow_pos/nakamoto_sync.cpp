// Sync: locator fetches from peers, periodic and on demand.
#include "pow_pos/nakamoto_core.h"

namespace synod::pow_pos {

// Asks `peer` for the blocks of its best chain after our locator, unless a request to it
// is already in flight.
void NakamotoCore::fetch(PeerIndex peer, TimeMs now, Actions& out) {
  auto it = fetch_deadline.find(peer);
  if (it != fetch_deadline.end() && it->second > now)
    return;
  fetch_deadline[peer] = now + limits.fetch_timeout_ms;
  ++counters.fetches;
  out.push_back(chain::FetchByLocatorAction{peer, tree.locator(active, genesis_block_hash),
                                            limits.fetch_batch_blocks});
}

// The periodic poll: the next peer in turn, then the timer again.
void NakamotoCore::sync_tick(TimeMs now, Actions& out) {
  if (peers.empty())
    return;
  const PeerIndex peer = peers[next_peer % peers.size()];
  next_peer = (next_peer + 1) % peers.size();
  fetch(peer, now, out);
  out.push_back(chain::SetTimerAction{kCoreSyncTimer, now + limits.sync_interval_ms});
}

void NakamotoCore::fetched(PeerIndex peer, std::vector<chain::Block> blocks, TimeMs now,
                           Actions& out) {
  fetch_deadline.erase(peer);
  const bool full = blocks.size() >= limits.fetch_batch_blocks;
  if (!blocks.empty())
    receive(std::move(blocks), peer, /*relay=*/false, now, out);
  if (full)
    fetch(peer, now, out);  // more may be waiting
}

}  // namespace synod::pow_pos
