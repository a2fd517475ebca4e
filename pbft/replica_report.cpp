// The replica's read-only query surface (chain/engine.h): head, status, the consensus
// dump, validator facts, metrics and message names, for drivers that know it only as an
// Engine.
#include "crypto/hex.h"
#include "pbft/messages.h"
#include "pbft/replica.h"

namespace synod::pbft {

using nlohmann::json;

namespace {

std::string hex(const crypto::Hash256& hash) {
  return crypto::to_hex(hash.view());
}

json instance_json(const ConsensusSnapshot::Instance& instance) {
  return {{"sequence", instance.sequence},  {"view", instance.view},
          {"digest", hex(instance.digest)}, {"transactions", instance.transactions},
          {"prepares", instance.prepares},  {"commits", instance.commits},
          {"prepared", instance.prepared},  {"pre_prepared", instance.pre_prepared}};
}

json instances_json(const ConsensusSnapshot& snapshot) {
  json instances = json::array();
  for (const auto& instance : snapshot.instances)
    instances.push_back(instance_json(instance));
  return instances;
}

json dropped_json(const ReplicaCounters& counters) {
  json dropped = json::object();
  for (int reason = 0; reason < static_cast<int>(DropReason::kCount_); ++reason)
    dropped[to_string(static_cast<DropReason>(reason))] = counters.dropped[reason];
  return dropped;
}

json monitor_json(const PrimaryMonitor& monitor, const ReplicaCounters& counters) {
  json last_wait = nullptr;
  if (monitor.last_wait_ms())
    last_wait = *monitor.last_wait_ms();
  return {{"max_block_gap_ms", monitor.config().max_block_gap_ms},
          {"strikes_to_suspect", monitor.config().strikes},
          {"strikes", monitor.strikes()},
          {"slow_blocks", monitor.slow_blocks()},
          {"last_wait_ms", last_wait},
          {"view_changes_asked", counters.slow_primary_view_changes}};
}

}  // namespace

chain::ChainHead Replica::head() const {
  return {head_height(), head_hash()};
}

json Replica::status(TimeMs now) const {
  ReplicaIndex current_primary = primary();
  return {{"view", view()},
          {"primary", current_primary},
          {"primary_name", genesis().validators.at(current_primary).name},
          {"in_view_change", in_view_change()},
          {"syncing", snapshot(now).syncing}};
}

json Replica::consensus_dump(TimeMs now) const {
  ConsensusSnapshot snapshot = this->snapshot(now);
  json votes = json::array();
  for (const auto& [target, count] : snapshot.view_change_votes)
    votes.push_back({{"view", target}, {"replicas", count}});
  json deadline = nullptr;
  if (snapshot.progress_deadline_ms) {
    deadline = *snapshot.progress_deadline_ms > now ? *snapshot.progress_deadline_ms - now : 0;
  }
  const ReplicaCounters& counts = counters();
  return {{"role", "validator"},
          {"validator_index", snapshot.index},
          {"view", snapshot.view},
          {"primary", snapshot.primary},
          {"in_view_change", snapshot.in_view_change},
          {"view_change_target", snapshot.view_change_target},
          {"consecutive_view_changes", snapshot.consecutive_view_changes},
          {"view_change_votes", votes},
          {"head_height", snapshot.head_height},
          {"head_hash", hex(snapshot.head_hash)},
          {"stable_checkpoint", snapshot.stable_checkpoint},
          {"low_watermark", snapshot.low_watermark},
          {"high_watermark", snapshot.high_watermark},
          {"instances", instances_json(snapshot)},
          {"last_committed",
           snapshot.last_committed ? instance_json(*snapshot.last_committed) : json(nullptr)},
          {"request_timer_ms_left", deadline},
          {"syncing", snapshot.syncing},
          {"stored_height", snapshot.stored_height},
          {"buffered",
           {{"messages", snapshot.buffered_messages},
            {"bytes", snapshot.buffered_bytes},
            {"transactions", snapshot.buffered_transactions}}},
          {"messages_in", counts.messages_in},
          {"messages_out", counts.messages_out},
          {"invalid_proposals", counts.invalid_proposals},
          {"blocks_fetched", counts.blocks_fetched},
          {"primary_monitor", monitor_json(primary_monitor(), counts)},
          {"dropped", dropped_json(counts)}};
}

json Replica::validator_facts() const {
  const auto& validators = genesis().validators;
  return {{"view", view()},
          {"primary", primary()},
          {"max_faulty", validators.max_faulty()},
          {"quorum", validators.quorum()}};
}

std::vector<chain::MetricSample> Replica::metrics() const {
  using Kind = chain::MetricSample::Kind;
  const ReplicaCounters& counts = counters();
  std::vector<chain::MetricSample> samples = {
      {"synod_view", "Current PBFT view", Kind::kGauge, {}, static_cast<double>(view())},
      {"synod_view_changes_total",
       "View changes started",
       Kind::kCounter,
       {},
       static_cast<double>(counts.view_changes)},
      {"synod_invalid_proposals_total",
       "Proposals refused as invalid",
       Kind::kCounter,
       {},
       static_cast<double>(counts.invalid_proposals)},
      {"synod_slow_primary_view_changes_total",
       "View changes asked for because the primary was slow",
       Kind::kCounter,
       {},
       static_cast<double>(counts.slow_primary_view_changes)},
  };
  for (int reason = 0; reason < static_cast<int>(DropReason::kCount_); ++reason) {
    samples.push_back({"synod_messages_dropped_total",
                       "Consensus messages dropped",
                       Kind::kCounter,
                       {{"reason", to_string(static_cast<DropReason>(reason))}},
                       static_cast<double>(counts.dropped[reason])});
  }
  return samples;
}

std::string Replica::message_type(ByteView message) const {
  if (message.empty() || message[0] < 1 || message[0] > 6)
    return "unknown";
  return to_string(static_cast<MessageType>(message[0]));
}

std::string Replica::progress_note() const {
  const ReplicaCounters& counts = counters();
  std::uint64_t dropped = 0;
  for (auto count : counts.dropped)
    dropped += count;
  return "view " + std::to_string(view()) + " (primary " + genesis().validators.at(primary()).name +
         "), " + std::to_string(counts.view_changes) + " view changes, " +
         std::to_string(counts.invalid_proposals) + " invalid proposals, " +
         std::to_string(dropped) + " messages dropped";
}

}  // namespace synod::pbft
