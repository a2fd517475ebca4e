// A bounded record of one simulated run, for the message-sequence chart (web/msc.js):
// every message copy's send, delivery or drop (with time, from, to and type), partitions,
// crashes and restarts; for PBFT, view changes and commits; for proof of work, blocks mined
// (by whom), tips adopted, forks (a second block mined at a height), reorgs (who switched,
// how deep) and, once the run ended, which mined blocks were orphaned.
// `synod-sim --seed S --trace FILE` writes it as JSON; `--html FILE` embeds it in a
// self-contained page.
//
// Bounded: after max_events events the recorder stops and says so in the JSON ("truncated"
// and a "note" naming the time it stopped), so a long run cannot fill memory.
//
// Thread safety: none; attach one recorder to one cluster, on the simulation's thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/sim/network.h"

namespace synod::sim {

struct TraceNode {
  SlotId slot = 0;
  std::uint32_t validator = 0;
  std::string role;  // "honest", "twin" or the adversary kind
};

class TraceRecorder final : public NetworkObserver {
 public:
  static constexpr std::size_t kDefaultMaxEvents = 20'000;
  static constexpr std::size_t kMaxEventsLimit = 2'000'000;

  explicit TraceRecorder(std::size_t max_events = kDefaultMaxEvents);

  // What the run was, for the chart's title: copied into the JSON as is.
  void set_run(nlohmann::json run) { run_ = std::move(run); }
  void set_nodes(std::vector<TraceNode> nodes) { nodes_ = std::move(nodes); }

  void on_wire(const WireEvent& event) override;
  void on_partition(const std::vector<int>& group_of_slot, TimeMs at_ms) override;
  void on_crash(SlotId slot, std::uint64_t height, TimeMs at_ms);
  void on_start(SlotId slot, std::uint64_t height, TimeMs at_ms);
  void on_commit(SlotId slot, std::uint64_t height, const std::string& hash_prefix,
                 std::size_t transactions, TimeMs at_ms);
  // The engine's status after an input: a change of its "view" or "in_view_change" is
  // recorded as a view event (engines without them record none).
  void on_status(SlotId slot, const nlohmann::json& status, TimeMs at_ms);

  // Proof of work (trace_recorder_pow.cpp); hashes are short hex prefixes. `slot` mined
  // block `height`: recorded, and a fork when another block was mined at that height.
  void on_mined(SlotId slot, std::uint64_t height, const std::string& hash,
                const std::string& prev_hash, std::size_t transactions, TimeMs at_ms);
  // `slot` extended its best chain with a block `miner` mined (nullopt: not a miner's).
  void on_tip(SlotId slot, std::uint64_t height, const std::string& hash,
              std::optional<SlotId> miner, TimeMs at_ms);
  // `slot` switched branches: `abandoned` (lowest first) left its best chain above
  // fork_height and its new head is `hash` at `height`.
  void on_reorg(SlotId slot, std::uint64_t fork_height, const std::vector<std::string>& abandoned,
                std::uint64_t height, const std::string& hash, TimeMs at_ms);
  // At the end of a run: every mined block not in `final_chain` is marked orphaned.
  void mark_orphans(const std::set<std::string>& final_chain);

  // True once max_events were recorded: callers may skip work that only feeds the record.
  bool full() const { return events_.size() >= max_events_; }
  std::size_t size() const { return events_.size(); }
  const std::vector<nlohmann::json>& events() const { return events_; }
  // {"format": "synod-sim-trace/1", "run", "nodes", "max_events", "truncated", "note",
  //  "events": [{"t", "kind", ...}, ...]} — see README.md in this folder.
  nlohmann::json to_json() const;

 private:
  void add(nlohmann::json event, TimeMs at_ms);
  bool byzantine_sender(SlotId slot) const;

  std::size_t max_events_;
  nlohmann::json run_ = nlohmann::json::object();
  std::vector<TraceNode> nodes_;
  std::vector<nlohmann::json> events_;
  bool truncated_ = false;
  TimeMs truncated_at_ms_ = 0;
  struct ViewSeen {
    std::uint64_t view = 0;
    bool in_view_change = false;
  };
  std::map<SlotId, ViewSeen> views_;
  // Proof of work: the blocks mined at each height (hash, miner), for fork events.
  std::map<std::uint64_t, std::vector<std::pair<std::string, SlotId>>> mined_at_;
  std::size_t orphans_ = 0;
};

// The first word of a message label ("PREPARE v=1 s=5" -> "PREPARE").
std::string message_type_of(std::string_view label);

}  // namespace synod::sim
