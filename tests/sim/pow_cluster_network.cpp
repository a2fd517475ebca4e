// PowCluster's traffic: block messages and locator fetches.
#include "pow_pos/pow_messages.h"
#include "tests/sim/pow_cluster.h"

namespace synod::sim {

// One hop from -> to: the policy's fixed latency, or the Network's random model.
void PowCluster::transmit(SlotId from, SlotId to, std::uint64_t tag, Network::Delivery delivery,
                          std::function<void()> deliver, std::string label) {
  if (policy_.latency) {
    if (auto latency = policy_.latency(from, to)) {
      network_.send_after(from, to, tag, *latency, std::move(deliver), std::move(label));
      return;
    }
  }
  network_.send(from, to, tag, delivery, std::move(deliver), std::move(label));
}

void PowCluster::send_block_message(SlotId from, SlotId to,
                                    const std::shared_ptr<const Bytes>& message) {
  if (policy_.forward && !policy_.forward(from, to)) {
    trace("n" + std::to_string(from) + " WITHHOLDS a block from n" + std::to_string(to));
    return;
  }
  transmit(
      from, to, fnv1a(*message), Network::Delivery::kLossy,
      [this, from, to, message] { deliver_message(to, from, message); }, message_label(*message));
}

void PowCluster::publish(SlotId from, SlotId to, const chain::Block& block, TimeMs latency_ms) {
  auto message = std::make_shared<const Bytes>(pow_pos::encode_block_message(block));
  trace("n" + std::to_string(from) + " PUBLISHES h=" + std::to_string(block.header.height) +
        " to n" + std::to_string(to) + " in " + std::to_string(latency_ms) + " ms");
  network_.send_after(
      from, to, fnv1a(*message), latency_ms,
      [this, from, to, message] { deliver_message(to, from, message); },
      recording() ? message_label(*message) + " (published)" : std::string());
}

void PowCluster::deliver_message(SlotId to, SlotId from,
                                 const std::shared_ptr<const Bytes>& message) {
  if (!nodes_.at(to)->up())
    return;
  std::optional<chain::Block> block;
  if (tracing() || hooks_.on_received) {
    if (auto decoded = pow_pos::decode_block_message(*message); decoded.ok())
      block = std::move(decoded).value();
  }
  if (tracing()) {
    trace("n" + std::to_string(to) + " <- n" + std::to_string(from) + " block " +
          (block ? "h=" + std::to_string(block->header.height) : std::string("(undecodable)")));
  }
  drive(to, [this, from, &message](chain::Engine& engine) {
    return engine.on_message(static_cast<ReplicaIndex>(from), *message, queue_.now());
  });
  if (hooks_.on_received && block && nodes_.at(to)->up())
    hooks_.on_received(*nodes_.at(to), from, {*block}, queue_.now());
}

void PowCluster::fetch_by_locator(SlotId slot, const chain::FetchByLocatorAction& action) {
  if (action.peer >= nodes_.size() || action.peer == slot) {
    fault(slot, "locator fetch from peer " + std::to_string(action.peer) + ", not a miner");
    return;
  }
  const SlotId server = action.peer;
  const std::uint64_t incarnation = nodes_.at(slot)->incarnation;
  trace("n" + std::to_string(slot) + " FETCH from n" + std::to_string(server) + " (locator of " +
        std::to_string(action.locator.size()) + ")");
  transmit(
      slot, server, action.locator.size(), Network::Delivery::kLossy,
      [this, server, slot, incarnation, action] {
        answer_locator(server, slot, incarnation, action);
      },
      recording() ? "FETCH by locator of " + std::to_string(action.locator.size()) + " hashes"
                  : std::string());
}

// At the server: its best chain after the first locator hash it has there (from block 1
// when none is: every chain of this genesis shares block 0), as node/ serves it.
void PowCluster::answer_locator(SlotId server, SlotId client, std::uint64_t incarnation,
                                const chain::FetchByLocatorAction& action) {
  const PowStore& store = nodes_.at(server)->store;
  const std::uint64_t from_height = store.locate(action.locator).value_or(0) + 1;
  const std::uint32_t max_blocks = std::min(action.max_blocks, options_.fetch_blocks_max);
  std::function<bool(const chain::Block&)> may_serve;
  if (policy_.serve) {
    may_serve = [this, server](const chain::Block& block) { return policy_.serve(server, block); };
  }
  auto blocks =
      std::make_shared<std::vector<chain::Block>>(store.serve(from_height, max_blocks, may_serve));
  std::string label;
  if (recording()) {
    label = "BLOCKS " + std::to_string(blocks->size()) +
            (blocks->empty() ? std::string(" (nothing new)")
                             : " #" + std::to_string(blocks->front().header.height) + "-#" +
                                   std::to_string(blocks->back().header.height));
  }
  transmit(
      server, client, blocks->size(), Network::Delivery::kLossy,
      [this, server, client, incarnation, blocks] {
        if (nodes_.at(client)->incarnation != incarnation)
          return;  // the requester restarted: its connection is gone
        trace("n" + std::to_string(client) + " FETCHED " + std::to_string(blocks->size()) +
              " blocks from n" + std::to_string(server));
        drive(client, [this, server, blocks](chain::Engine& engine) {
          return engine.on_blocks_fetched(static_cast<ReplicaIndex>(server), *blocks, queue_.now());
        });
        if (hooks_.on_received && nodes_.at(client)->up())
          hooks_.on_received(*nodes_.at(client), server, *blocks, queue_.now());
      },
      std::move(label));
}

}  // namespace synod::sim
