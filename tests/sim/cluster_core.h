// What the two simulated runtimes share. Cluster (cluster.h: PBFT) and PowCluster
// (pow_cluster.h: proof of work and proof of stake) both drive real engines, one per slot,
// on one virtual clock and network. The core keeps the slots and does the part of a node's
// runtime that does not depend on the consensus family: the virtual timers engines arm,
// transactions from clients (admitted to the slot's mempool, then gossiped to every other
// slot's), the teardown of a crash and the common steps of a restart, the hash over what
// happened, and the trace.
//
// `Node` is SimNode or PowNode: it has slot, role, honest, store.height(), mempool, engine
// (null while down: up()), timers (armed id -> token), incarnation (bumped by every crash),
// restarts and admission_state(). The runtime built on the core says how an input reaches
// an engine (drive) and carries out what the engine returns.
//
// Lifetime: the core, and with it the slots' engines, is destroyed after the runtime's own
// members (its genesis, options, factory), so engine destructors must not reach for those
// (they are defaulted). Thread safety: none.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "base/result.h"
#include "chain/engine.h"
#include "chain/mempool.h"
#include "tests/sim/network.h"

namespace synod::sim {

// Whether timers that fire get a trace line: proof of stake's one-second slot timers
// would drown everything else.
enum class TimerTrace : std::uint8_t { kTraced, kQuiet };

template <typename Node>
class ClusterCore {
 public:
  ClusterCore(const ClusterCore&) = delete;
  ClusterCore& operator=(const ClusterCore&) = delete;

  // A client submits `tx` to `slot`'s mempool (then on_transactions) and, with `relay`,
  // the runtime relays it to every other slot's mempool (reliable, but subject to latency,
  // partitions and crashes). Returns the local admission error, if any.
  std::optional<chain::AdmitError> submit(SlotId slot, const chain::Transaction& tx,
                                          bool relay = true);
  // Relays `tx` from `slot` to every other slot's mempool, as submit's gossip does.
  void gossip(SlotId slot, const chain::Transaction& tx, const crypto::Hash256& hash);

  // Runs the simulation up to `end_ms`; false when the event budget ran out.
  bool run_until(TimeMs end_ms) { return queue_.run_until(end_ms); }
  TimeMs now() const { return queue_.now(); }
  EventQueue& queue() { return queue_; }
  const EventQueue& queue() const { return queue_; }
  Network& network() { return network_; }
  const Network& network() const { return network_; }
  std::size_t size() const { return nodes_.size(); }
  const Node& node(SlotId slot) const { return *nodes_.at(slot); }
  Node& node(SlotId slot) { return *nodes_.at(slot); }
  // The highest block any honest slot has stored.
  std::uint64_t honest_max_height() const;
  // A slot that is up, drawn from `rng` (as a client picks a node); none when all are down.
  std::optional<SlotId> random_live_slot(Rng& rng) const;
  // Hash over every delivery and driver event: equal for runs that behaved identically.
  std::uint64_t trace_hash() const;
  void trace(const std::string& line);
  bool tracing() const { return trace_ != nullptr; }

 protected:
  ClusterCore(std::uint64_t seed, std::size_t slots, const NetworkOptions& network,
              std::ostream* trace, TimerTrace timer_trace)
      : network_(queue_, seed, slots, network), trace_(trace), timer_trace_(timer_trace) {}
  virtual ~ClusterCore() = default;

  // Calls `input` on the slot's engine (if up) and carries out what it returns.
  virtual void drive(SlotId slot, const std::function<chain::Actions(chain::Engine&)>& input) = 0;
  // SetTimer: on_timer(id) at `at_ms`, unless cancelled, re-armed or crashed before.
  void set_timer(SlotId slot, std::uint32_t id, TimeMs at_ms);
  // A crash: the engine (before the mempool it references), the mempool and the timers go;
  // the store survives. Callbacks armed before it see a new incarnation.
  void take_down(SlotId slot);
  // A restart of a slot that is down: it is reachable again, with a fresh mempool and the
  // engine `build(node)` returns (built from what the store kept). When that fails, the
  // slot stays down and the error is returned.
  template <typename Build>
  Status bring_up(SlotId slot, const chain::MempoolOptions& mempool, Build build);

  EventQueue queue_;
  Network network_;
  std::vector<std::unique_ptr<Node>> nodes_;
  TraceHash events_;

 private:
  // Into the slot's mempool, then on_transactions; a slot that is down has no room.
  std::optional<chain::AdmitError> admit(SlotId slot, const chain::Transaction& tx,
                                         const crypto::Hash256& hash);

  std::ostream* trace_;
  TimerTrace timer_trace_;
  std::uint64_t next_timer_token_ = 0;
};

template <typename Node>
std::optional<chain::AdmitError> ClusterCore<Node>::submit(SlotId slot,
                                                           const chain::Transaction& tx,
                                                           bool relay) {
  const crypto::Hash256 hash = tx.hash();
  std::optional<chain::AdmitError> error = admit(slot, tx, hash);
  if (relay)
    gossip(slot, tx, hash);
  return error;
}

template <typename Node>
void ClusterCore<Node>::gossip(SlotId slot, const chain::Transaction& tx,
                               const crypto::Hash256& hash) {
  auto shared = std::make_shared<const chain::Transaction>(tx);
  for (SlotId other = 0; other < nodes_.size(); ++other) {
    if (other == slot)
      continue;
    network_.send(slot, other, fnv1a(hash.view()), Network::Delivery::kReliable,
                  [this, other, shared, hash] { (void)admit(other, *shared, hash); });
  }
}

template <typename Node>
std::optional<chain::AdmitError> ClusterCore<Node>::admit(SlotId slot, const chain::Transaction& tx,
                                                          const crypto::Hash256& hash) {
  Node& node = *nodes_.at(slot);
  if (!node.up())
    return chain::AdmitError::kFull;
  std::optional<chain::AdmitError> error = node.mempool->add(tx, hash, node.admission_state());
  if (!error)
    drive(slot, [this](chain::Engine& engine) { return engine.on_transactions(queue_.now()); });
  return error;
}

template <typename Node>
void ClusterCore<Node>::set_timer(SlotId slot, std::uint32_t id, TimeMs at_ms) {
  Node& node = *nodes_.at(slot);
  const std::uint64_t token = ++next_timer_token_;
  node.timers[id] = token;
  const std::uint64_t incarnation = node.incarnation;
  queue_.schedule(at_ms, [this, slot, id, token, incarnation] {
    Node& armed = *nodes_.at(slot);
    auto it = armed.timers.find(id);
    if (armed.incarnation != incarnation || it == armed.timers.end() || it->second != token)
      return;  // cancelled, re-armed or crashed since
    armed.timers.erase(it);
    events_.mix(0x71);
    events_.mix(slot);
    events_.mix(id);
    if (timer_trace_ == TimerTrace::kTraced)
      trace("n" + std::to_string(slot) + " TIMER " + std::to_string(id));
    drive(slot, [this, id](chain::Engine& engine) { return engine.on_timer(id, queue_.now()); });
  });
}

template <typename Node>
void ClusterCore<Node>::take_down(SlotId slot) {
  Node& node = *nodes_.at(slot);
  events_.mix(0xC0);
  events_.mix(slot);
  node.engine.reset();
  node.mempool.reset();
  node.timers.clear();
  ++node.incarnation;
  network_.set_up(slot, false);
}

template <typename Node>
template <typename Build>
Status ClusterCore<Node>::bring_up(SlotId slot, const chain::MempoolOptions& mempool, Build build) {
  Node& node = *nodes_.at(slot);
  events_.mix(0xC1);
  events_.mix(slot);
  network_.set_up(slot, true);
  node.mempool = std::make_unique<chain::Mempool>(mempool);
  auto built = build(node);
  if (!built.ok()) {
    node.mempool.reset();
    network_.set_up(slot, false);
    return built.error();
  }
  if (node.incarnation > 0)
    ++node.restarts;
  node.engine = std::move(built).value();
  trace("n" + std::to_string(slot) + " START (" + node.role + ") at height " +
        std::to_string(node.store.height()));
  return Status::success();
}

template <typename Node>
std::uint64_t ClusterCore<Node>::honest_max_height() const {
  std::uint64_t height = 0;
  for (const auto& node : nodes_) {
    if (node->honest)
      height = std::max(height, node->store.height());
  }
  return height;
}

template <typename Node>
std::optional<SlotId> ClusterCore<Node>::random_live_slot(Rng& rng) const {
  std::vector<SlotId> live;
  for (const auto& node : nodes_) {
    if (node->up())
      live.push_back(node->slot);
  }
  if (live.empty())
    return std::nullopt;
  return live[rng.below(live.size())];
}

template <typename Node>
std::uint64_t ClusterCore<Node>::trace_hash() const {
  TraceHash hash = events_;
  hash.mix(network_.trace_hash());
  return hash.value();
}

template <typename Node>
void ClusterCore<Node>::trace(const std::string& line) {
  if (trace_ != nullptr)
    *trace_ << "t=" << queue_.now() << " " << line << "\n";
}

}  // namespace synod::sim
