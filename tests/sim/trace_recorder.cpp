#include "tests/sim/trace_recorder.h"

#include <algorithm>

namespace synod::sim {
namespace {

using nlohmann::json;

const char* drop_reason(WireEvent::Kind kind) {
  switch (kind) {
    case WireEvent::Kind::kDropRandom:
      return "lost";
    case WireEvent::Kind::kDropPartition:
      return "partition";
    case WireEvent::Kind::kDropDown:
      return "receiver down";
    default:
      return "";
  }
}

}  // namespace

std::string message_type_of(std::string_view label) {
  return std::string(label.substr(0, label.find(' ')));
}

TraceRecorder::TraceRecorder(std::size_t max_events)
    : max_events_(std::clamp<std::size_t>(max_events, 1, kMaxEventsLimit)) {}

void TraceRecorder::add(json event, TimeMs at_ms) {
  if (full()) {
    if (!truncated_) {
      truncated_ = true;
      truncated_at_ms_ = at_ms;
    }
    return;
  }
  event["t"] = at_ms;
  events_.push_back(std::move(event));
}

bool TraceRecorder::byzantine_sender(SlotId slot) const {
  for (const auto& node : nodes_) {
    if (node.slot == slot)
      return node.role != "honest";
  }
  return false;
}

void TraceRecorder::on_wire(const WireEvent& event) {
  if (event.label.empty())
    return;  // a send its sender did not describe (transaction gossip): not in the chart
  json out = {{"id", event.message_id}};
  if (event.kind == WireEvent::Kind::kSend) {
    out["kind"] = "send";
    out["from"] = event.from;
    out["to"] = event.to;
    out["type"] = message_type_of(event.label);
    out["detail"] = std::string(event.label);
    if (byzantine_sender(event.from))
      out["byzantine"] = true;
  } else if (event.kind == WireEvent::Kind::kDeliver) {
    out["kind"] = "deliver";
  } else {
    out["kind"] = "drop";
    out["reason"] = drop_reason(event.kind);
  }
  add(std::move(out), event.at_ms);
}

void TraceRecorder::on_partition(const std::vector<int>& group_of_slot, TimeMs at_ms) {
  std::map<int, std::vector<SlotId>> groups;
  for (SlotId slot = 0; slot < group_of_slot.size(); ++slot)
    groups[group_of_slot[slot]].push_back(slot);
  if (groups.size() <= 1) {
    add({{"kind", "heal"}}, at_ms);
    return;
  }
  json list = json::array();
  for (const auto& [group, slots] : groups)
    list.push_back(slots);
  add({{"kind", "partition"}, {"groups", list}}, at_ms);
}

void TraceRecorder::on_crash(SlotId slot, std::uint64_t height, TimeMs at_ms) {
  add({{"kind", "crash"}, {"node", slot}, {"height", height}}, at_ms);
}

void TraceRecorder::on_start(SlotId slot, std::uint64_t height, TimeMs at_ms) {
  add({{"kind", "start"}, {"node", slot}, {"height", height}}, at_ms);
}

void TraceRecorder::on_commit(SlotId slot, std::uint64_t height, const std::string& hash_prefix,
                              std::size_t transactions, TimeMs at_ms) {
  add({{"kind", "commit"},
       {"node", slot},
       {"height", height},
       {"hash", hash_prefix},
       {"txs", transactions}},
      at_ms);
}

void TraceRecorder::on_status(SlotId slot, const json& status, TimeMs at_ms) {
  auto view = status.find("view");
  if (view == status.end() || !view->is_number_unsigned())
    return;
  const bool changing = status.value("in_view_change", false);
  const ViewSeen now{view->get<std::uint64_t>(), changing};
  auto [seen, first] = views_.try_emplace(slot, now);
  if (!first && seen->second.view == now.view && seen->second.in_view_change == changing)
    return;
  seen->second = now;
  if (first && now.view == 0 && !changing)
    return;  // every replica starts in view 0: nothing happened
  json event = {{"kind", "view"}, {"node", slot}, {"view", now.view}, {"in_view_change", changing}};
  if (auto primary = status.find("primary"); primary != status.end())
    event["primary"] = *primary;
  add(std::move(event), at_ms);
}

json TraceRecorder::to_json() const {
  json nodes = json::array();
  for (const auto& node : nodes_)
    nodes.push_back({{"slot", node.slot}, {"validator", node.validator}, {"role", node.role}});
  json out = {{"format", "synod-sim-trace/1"},
              {"run", run_},
              {"nodes", nodes},
              {"max_events", max_events_},
              {"truncated", truncated_},
              {"events", events_}};
  if (!mined_at_.empty())
    out["orphans"] = orphans_;
  if (truncated_) {
    out["note"] = "the trace stopped at its cap of " + std::to_string(max_events_) +
                  " events, at t=" + std::to_string(truncated_at_ms_) +
                  " ms; the run went on (raise --trace-max-events to see more)";
  }
  return out;
}

}  // namespace synod::sim
