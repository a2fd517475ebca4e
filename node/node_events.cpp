// The node's push stream: the `wait_events` JSON-RPC method (a long poll) and the sampler
// that feeds it. Every 200 ms, on the event loop and only while a client asked within the
// last 15 s, the sampler takes the view an operator gets from `status` and
// `dump_consensus_state` (height, head, view, primary, the current instance's phase and
// votes, checkpoints, view-change votes; PoW: tips, work, reorgs; PoS: also stake and the
// slashes on the best chain, slash_log.h) and records it when it
// changed (event_feed.h). A sample reads the engine's in-memory state only: no store
// access, no state root, nothing that waits.
#include <chrono>

#include "node/event_feed.h"
#include "node/instance_view.h"
#include "node/node_impl.h"
#include "node/rpc_detail.h"

namespace synod::node {

using nlohmann::json;
using namespace rpc_detail;

namespace {

constexpr std::chrono::milliseconds kSampleInterval{200};
constexpr std::uint64_t kDefaultWaitMs = 5'000;
// Of the feed's waiters (32), one client address may hold this many.
constexpr std::size_t kEventWaitersPerAddress = 8;

}  // namespace

struct NodeEvents {
  explicit NodeEvents(boost::asio::io_context& io)
      : timer(io), slots(feed.options().waiters_max, kEventWaitersPerAddress) {}
  EventFeed feed;
  boost::asio::steady_timer timer;
  AddressSlots slots;  // a waiter's slot is given back when the feed drops its answer
};

json Node::Impl::event_snapshot() const {
  const chain::TimeMs now = now_ms();
  json state = {{"node", name},
                {"role", role_name()},
                {"mode", chain::to_string(genesis->mode)},
                {"height", head_height()},
                {"head_hash", hex(head_hash().view())},
                {"stored_height", stored_height},
                {"peers", peers_connected()},
                {"mempool", mempool->size()},
                {"byzantine", options.byzantine}};
  state.update(engine->status(now));
  if (engine->finality() == chain::Finality::kProbabilistic) {
    state["reorgs"] = reorgs_seen;
    if (genesis->mode == chain::ConsensusMode::kPos)
      state["slashes"] = slashes.to_json(engine->state(), *genesis);
    return state;
  }
  if (is_full_node())
    return state;
  const json dump = engine->consensus_dump(now);
  const std::size_t quorum = genesis->validators.quorum();
  state["quorum"] = quorum;
  state["instance"] = instance_view(dump, head_height(), quorum);
  state["stable_checkpoint"] = dump.value("stable_checkpoint", std::uint64_t{0});
  state["view_change_votes"] = dump.value("view_change_votes", json::array());
  return state;
}

void Node::Impl::register_event_stream() {
  events = std::make_shared<NodeEvents>(io);
  rpc->add_method("wait_events", [this](const json& params, RpcReply reply) {
    rpc_wait_events(params, std::move(reply));
  });
  arm_event_sampler();
}

void Node::Impl::arm_event_sampler() {
  events->timer.expires_after(kSampleInterval);
  events->timer.async_wait([this](const boost::system::error_code& error) {
    if (error || stopping)
      return;
    const chain::TimeMs now = now_ms();
    if (events->feed.wanted(now))
      events->feed.record(event_snapshot(), now);
    events->feed.expire(now);
    arm_event_sampler();
  });
}

// {"after": N, "wait_ms": W}: the events after sequence number N, waiting up to W ms
// (0-10000, default 5000) for the next one.
void Node::Impl::rpc_wait_events(const json& params, RpcReply reply) {
  if (!params.is_object() && !params.is_array()) {
    reply.error(kInvalidParams, "params must be {\"after\": N, \"wait_ms\": W}");
    return;
  }
  const json* after = param(params, "after");
  const json* wait =
      params.is_object() && params.contains("wait_ms") ? &params["wait_ms"] : nullptr;
  if ((after && !after->is_number_unsigned()) || (wait && !wait->is_number_unsigned())) {
    reply.error(kInvalidParams, "after and wait_ms must be non-negative integers");
    return;
  }
  const std::uint64_t wait_ms = wait ? wait->get<std::uint64_t>() : kDefaultWaitMs;
  if (wait_ms > events->feed.options().wait_ms_max) {
    reply.error(kInvalidParams,
                "wait_ms must be at most " + std::to_string(events->feed.options().wait_ms_max));
    return;
  }
  const chain::TimeMs now = now_ms();
  if (!events->feed.wanted(now))
    events->feed.record(event_snapshot(), now);  // the sampler was idle: start from now
  SlotRefusal why = SlotRefusal::kNone;
  AddressSlots::Token slot = events->slots.take(reply.caller(), &why);
  const bool accepted =
      slot && events->feed.request(after ? after->get<std::uint64_t>() : 0, wait_ms, now,
                                   [reply, slot](json answer) { reply.result(answer); });
  if (!accepted) {
    gauges.rpc_waiters_refused->inc();
    reply.error(kTooManyWaiters, why == SlotRefusal::kAddressFull
                                     ? "too many waiters from this address; try again later"
                                     : "too many clients wait for events; try again later");
  }
}

}  // namespace synod::node
