// The engine answers both Nakamoto modes share: everything goes to the core.
#include "pow_pos/nakamoto_engine.h"

#include "pow_pos/nakamoto_core.h"
#include "pow_pos/pow_messages.h"

namespace synod::pow_pos {

Actions NakamotoEngine::on_message(chain::ReplicaIndex from, ByteView message, TimeMs now) {
  Actions out;
  core_.receive_message(from, message, now, out);
  return out;
}

Actions NakamotoEngine::on_block_stored(std::uint64_t, TimeMs) {
  return {};  // the engine runs ahead of storage; nothing waits for it
}

Actions NakamotoEngine::on_blocks_fetched(chain::ReplicaIndex peer,
                                          std::vector<chain::Block> blocks, TimeMs now) {
  Actions out;
  core_.fetched(peer, std::move(blocks), now, out);
  return out;
}

chain::ChainHead NakamotoEngine::head() const {
  return chain::ChainHead{core_.tip().height(), core_.active};
}

const chain::State& NakamotoEngine::state() const {
  return core_.state;
}

std::string NakamotoEngine::message_type(ByteView message) const {
  return message_type_name(message);
}

const PowCounters& NakamotoEngine::counters() const {
  return core_.counters;
}

std::size_t NakamotoEngine::tree_size() const {
  return core_.tree.size();
}

}  // namespace synod::pow_pos
