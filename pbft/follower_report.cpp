// The follower's read-only query surface (chain/engine.h).
#include "crypto/hex.h"
#include "pbft/follower.h"

namespace synod::pbft {

using nlohmann::json;

chain::ChainHead Follower::head() const {
  return {head_height(), head_hash()};
}

json Follower::status(TimeMs) const {
  const auto& validators = genesis().validators;
  // A full node takes no part in view changes: the view is its head certificate's.
  auto primary = static_cast<ReplicaIndex>(head_view() % validators.size());
  return {{"view", head_view()},
          {"primary", primary},
          {"primary_name", validators.at(primary).name},
          {"in_view_change", false},
          {"syncing", snapshot().syncing}};
}

json Follower::consensus_dump(TimeMs) const {
  FollowerSnapshot snap = snapshot();
  const FollowerCounters& counts = counters();
  return {{"role", "full_node"},
          {"head_height", snap.head_height},
          {"head_hash", crypto::to_hex(snap.head_hash.view())},
          {"head_view", snap.head_view},
          {"stored_height", snap.stored_height},
          {"upstream", snap.upstream},
          {"fetching", snap.fetching},
          {"syncing", snap.syncing},
          {"fetches", counts.fetches},
          {"fetch_timeouts", counts.fetch_timeouts},
          {"blocks_fetched", counts.blocks_fetched},
          {"blocks_rejected", counts.blocks_rejected},
          {"upstream_switches", counts.upstream_switches},
          {"last_rejection", snap.last_rejection}};
}

json Follower::validator_facts() const {
  const auto& validators = genesis().validators;
  return {{"view", head_view()},
          {"primary", head_view() % validators.size()},
          {"max_faulty", validators.max_faulty()},
          {"quorum", validators.quorum()}};
}

std::vector<chain::MetricSample> Follower::metrics() const {
  using Kind = chain::MetricSample::Kind;
  const FollowerCounters& counts = counters();
  return {
      {"synod_view",
       "View of the head block's commit certificate",
       Kind::kGauge,
       {},
       static_cast<double>(head_view())},
      {"synod_follower_blocks_rejected_total",
       "Blocks from upstreams that failed verification",
       Kind::kCounter,
       {},
       static_cast<double>(counts.blocks_rejected)},
      {"synod_follower_fetch_timeouts_total",
       "Block requests to upstreams that were never answered",
       Kind::kCounter,
       {},
       static_cast<double>(counts.fetch_timeouts)},
  };
}

std::string Follower::message_type(ByteView) const {
  return "unknown";  // a full node has no consensus peers
}

std::string Follower::progress_note() const {
  const FollowerCounters& counts = counters();
  return std::to_string(counts.blocks_rejected) + " blocks rejected, " +
         std::to_string(counts.fetch_timeouts) + " fetches timed out";
}

}  // namespace synod::pbft
