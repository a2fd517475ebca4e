// The PBFT scenarios: crashes, a Byzantine primary or backup, a replica left behind. Each
// checks the two properties PBFT promises: agreement (all nodes hold the same block at the
// same height, with a certificate that verifies against the genesis) and liveness
// (transfers still commit while at most f nodes are faulty).
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "client/json_fields.h"
#include "testnet/scenario_catalog.h"
#include "wallet/cli_support.h"

namespace synod::testnet {

using Clock = std::chrono::steady_clock;
using std::chrono::seconds;

namespace {

struct ViewInfo {
  std::uint64_t view = 0;
  std::size_t primary = 0;
  std::uint64_t height = 0;
};

Result<ViewInfo> view_of(ScenarioRun& run, std::size_t via);

// Every node running, connected, past block 1, and in agreement.
Status precheck(ScenarioRun& run) {
  SYNOD_TRY(run.all_running());
  std::vector<std::size_t> all = run.all();
  if (auto status = run.cluster().wait_healthy(all, 1, true, seconds(30), "checking the testnet");
      !status)
    return status;
  auto agreement = check_agreement(run.cluster(), all);
  if (!agreement.agree)
    return make_error("before the fault: " + agreement.message);
  run.say("testnet healthy: " + agreement.message.substr(11));
  return Status::success();
}

// The view most running nodes are in (a node that just restarted may not know it yet),
// with its primary and the highest stored height.
Result<ViewInfo> current_view(ScenarioRun& run) {
  std::map<std::uint64_t, std::size_t> votes;
  ViewInfo out;
  for (std::size_t i : run.cluster().running()) {
    auto info = view_of(run, i);
    if (!info)
      continue;
    out.height = std::max(out.height, info->height);
    ++votes[info->view];
  }
  if (votes.empty())
    return make_error("no node answers");
  auto best = std::max_element(votes.begin(), votes.end(), [](const auto& a, const auto& b) {
    return a.second < b.second || (a.second == b.second && a.first < b.first);
  });
  out.view = best->first;
  out.primary = static_cast<std::size_t>(out.view % run.cluster().size());
  return out;
}

// Waits until node `index` reports the view the others are in.
void converge_view(ScenarioRun& run, std::size_t index, seconds timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    auto majority = current_view(run);
    auto own = view_of(run, index);
    if (majority && own && own->view == majority->view) {
      run.say(run.name(index) + " is in view " + std::to_string(own->view) +
              " with the others (primary " + run.name(majority->primary) + ")");
      return;
    }
    if (Clock::now() >= deadline) {
      run.say("note: " + run.name(index) + " still reports view " +
              (own ? std::to_string(own->view) : std::string("?")) + ", the others " +
              (majority ? std::to_string(majority->view) : std::string("?")));
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

Result<ViewInfo> view_of(ScenarioRun& run, std::size_t via) {
  auto status = run.cluster().call(via, "status");
  if (!status)
    return status.error();
  return ViewInfo{client::unsigned_field(*status, "view"),
                  static_cast<std::size_t>(client::unsigned_field(*status, "primary")),
                  client::unsigned_field(*status, "stored_height")};
}

// Sends `count` transfers through `via` and waits for them on `via`.
Result<std::pair<std::uint64_t, std::uint64_t>> liveness(ScenarioRun& run, std::size_t via,
                                                         std::size_t count, seconds timeout) {
  auto hashes = run.cluster().submit_transfers(via, count);
  if (!hashes)
    return make_error("liveness: " + hashes.message());
  auto start = Clock::now();
  auto heights = run.cluster().wait_committed(
      via, *hashes, timeout, "waiting for " + std::to_string(count) + " transfers");
  if (!heights)
    return make_error("liveness: " + heights.message());
  auto [low, high] = std::minmax_element(heights->begin(), heights->end());
  run.say(std::to_string(count) + " transfers committed at heights " + std::to_string(*low) + ".." +
          std::to_string(*high) + " within " + cli::format_duration(Clock::now() - start));
  return std::pair{*low, *high};
}

// Waits until node `index` has the highest height any other running node had when asked.
Status catch_up(ScenarioRun& run, std::size_t index, seconds timeout) {
  std::vector<std::size_t> others;
  for (std::size_t i : run.cluster().running()) {
    if (i != index)
      others.push_back(i);
  }
  std::uint64_t target = 0;
  for (const auto& [i, height] : run.cluster().heights(others))
    target = std::max(target, height);
  auto own = run.cluster().heights({index});
  run.say(run.name(index) + " is at height " + std::to_string(own.count(index) ? own[index] : 0) +
          "; the others are at " + std::to_string(target));
  auto start = Clock::now();
  if (auto status =
          run.cluster().wait_height(index, target, timeout, run.name(index) + " catching up");
      !status)
    return status;
  run.say(run.name(index) + " caught up to height " + std::to_string(target) + " in " +
          cli::format_duration(Clock::now() - start));
  return Status::success();
}

Status agreement(ScenarioRun& run, const std::vector<std::size_t>& nodes, const std::string& who) {
  auto result = check_agreement(run.cluster(), nodes);
  if (!result.agree)
    return make_error(who + ": " + result.message);
  run.say(who + ": " + result.message.substr(11));
  return Status::success();
}

std::uint64_t dropped(ScenarioRun& run, std::size_t via, const char* reason) {
  auto state = run.cluster().call(via, "dump_consensus_state");
  return state ? client::unsigned_field(client::field(*state, "dropped"), reason) : 0;
}

std::uint64_t counter(ScenarioRun& run, std::size_t via, const char* key) {
  auto state = run.cluster().call(via, "dump_consensus_state");
  return state ? client::unsigned_field(*state, key) : 0;
}

Status crash_backup(ScenarioRun& run) {
  SYNOD_TRY(precheck(run));
  auto& cluster = run.cluster();
  auto info = current_view(run);
  if (!info)
    return info.error();
  std::size_t backup = (info->primary + 1) % cluster.size();
  run.say("view " + std::to_string(info->view) + ", primary " + run.name(info->primary) +
          "; crashing backup " + run.name(backup) + " with SIGKILL");
  SYNOD_TRY(signal_node(cluster.node(backup), SIGKILL));
  std::size_t via = run.pick({backup});
  run.say("sending transfers through " + run.name(via) + " while " + run.name(backup) +
          " is down (3 of 4 alive = 2f+1: quorums still form)");
  auto committed = liveness(run, via, 20, seconds(30));
  if (!committed)
    return committed.error();
  auto after = view_of(run, via);
  if (after && after->view == info->view)
    run.say("no view change was needed: the primary never stopped");
  run.say("restarting " + run.name(backup));
  SYNOD_TRY(cluster.start(backup));
  SYNOD_TRY(
      cluster.wait_healthy({backup}, 0, false, seconds(30), "waiting for " + run.name(backup)));
  SYNOD_TRY(catch_up(run, backup, seconds(60)));
  run.say("sending transfers through the restarted " + run.name(backup));
  if (auto more = liveness(run, backup, 5, seconds(30)); !more)
    return more.error();
  return agreement(run, run.all(), "all nodes");
}

Status crash_primary(ScenarioRun& run) {
  SYNOD_TRY(precheck(run));
  auto& cluster = run.cluster();
  auto info = current_view(run);
  if (!info)
    return info.error();
  std::size_t primary = info->primary;
  run.say("view " + std::to_string(info->view) + ": " + run.name(primary) +
          " is the primary; crashing it with SIGKILL");
  SYNOD_TRY(signal_node(cluster.node(primary), SIGKILL));
  std::size_t via = (primary + 1) % cluster.size();
  run.say("sending transfers through " + run.name(via) +
          "; the backups must time out on the dead primary and change view");
  auto committed = liveness(run, via, 10, seconds(60));
  if (!committed)
    return committed.error();
  auto after = view_of(run, via);
  if (!after)
    return after.error();
  if (after->view <= info->view)
    return make_error("transfers committed but the view did not change while the primary was down");
  run.say("view change: view " + std::to_string(info->view) + " -> " + std::to_string(after->view) +
          ", new primary " + run.name(after->primary));
  SYNOD_TRY(agreement(run, run.all_except(primary), "surviving nodes"));
  run.say("restarting the old primary " + run.name(primary));
  SYNOD_TRY(cluster.start(primary));
  SYNOD_TRY(
      cluster.wait_healthy({primary}, 0, false, seconds(30), "waiting for " + run.name(primary)));
  SYNOD_TRY(catch_up(run, primary, seconds(60)));
  converge_view(run, primary, seconds(15));
  if (auto more = liveness(run, primary, 5, seconds(30)); !more)
    return more.error();
  return agreement(run, run.all(), "all nodes");
}

std::uint64_t conflicting_proposals(ScenarioRun& run, std::size_t evil) {
  auto dump = run.cluster().call(evil, "dump_consensus_state");
  if (!dump)
    return 0;
  return client::unsigned_field(client::field(client::field(*dump, "adversary"), "equivocate"),
                                "conflicting_proposals");
}

// Sends transfers until the equivocating node has proposed while primary. When the view
// moved past it (a restarted primary is often replaced at once), each honest primary in
// turn is paused while a transfer goes through another node, so that the backups change
// view, and then resumed: never more than one node (f) is down, and the view comes round.
Status drive_until_equivocation(ScenarioRun& run, std::size_t evil) {
  for (std::size_t round = 0; round < 2 * run.cluster().size(); ++round) {
    if (conflicting_proposals(run, evil) > 0)
      return Status::success();
    auto info = current_view(run);
    if (!info)
      return info.error();
    std::size_t via = run.pick({info->primary, evil});
    if (info->primary == evil) {
      SYNOD_TRY(liveness(run, via, 5, seconds(60)));
      continue;
    }
    run.say("view " + std::to_string(info->view) + ": " + run.name(evil) +
            " is not the primary; pausing " + run.name(info->primary) +
            " so that the backups move to the next view");
    SYNOD_TRY(signal_node(run.cluster().node(info->primary), SIGSTOP));
    auto moved = liveness(run, via, 2, seconds(60));
    SYNOD_TRY(signal_node(run.cluster().node(info->primary), SIGCONT));
    if (!moved)
      return moved.error();
    converge_view(run, info->primary, seconds(15));
  }
  return make_error(run.name(evil) + " never got to propose while primary");
}

// The attack happened (the primary's wrapper counts the slots it proposed two blocks for),
// and what the honest replicas saw of it.
Status check_equivocation(ScenarioRun& run, std::size_t evil,
                          const std::vector<std::size_t>& honest,
                          std::map<std::size_t, std::uint64_t>& conflicts_before) {
  auto dump = run.cluster().call(evil, "dump_consensus_state");
  std::uint64_t proposals =
      dump ? client::unsigned_field(client::field(client::field(*dump, "adversary"), "equivocate"),
                                    "conflicting_proposals")
           : 0;
  if (proposals == 0) {
    return make_error(run.name(evil) +
                      " never equivocated (it proposed no block while primary), so the "
                      "scenario proved nothing");
  }
  run.say(run.name(evil) + " proposed two different signed blocks for " +
          std::to_string(proposals) + " slot(s), one to each half of the backups");
  std::uint64_t conflicts = 0;
  for (std::size_t i : honest)
    conflicts += dropped(run, i, "conflicting_pre_prepare") - conflicts_before[i];
  if (conflicts > 0) {
    run.say("honest replicas caught " + std::to_string(conflicts) +
            " conflicting pre-prepares from " + run.name(evil) + " and dropped them");
  } else {
    run.say(
        "each honest replica saw only one of the two proposals; the votes split, so "
        "neither block could gather 2f+1 commits");
  }
  return Status::success();
}

Status equivocating_primary(ScenarioRun& run) {
  SYNOD_TRY(precheck(run));
  auto& cluster = run.cluster();
  auto info = current_view(run);
  if (!info)
    return info.error();
  std::size_t evil = info->primary;
  run.say("view " + std::to_string(info->view) + ": restarting the primary " + run.name(evil) +
          " with --byzantine equivocate (it proposes two different blocks for one sequence, one "
          "to each half of the backups)");
  SYNOD_TRY(run.restart(evil, "equivocate"));
  SYNOD_TRY(cluster.wait_healthy(run.all(), 0, true, seconds(30), "waiting for peers"));
  auto honest = run.all_except(evil);
  std::size_t via = honest.front();
  std::map<std::size_t, std::uint64_t> conflicts_before;
  for (std::size_t i : honest)
    conflicts_before[i] = dropped(run, i, "conflicting_pre_prepare");
  SYNOD_TRY(drive_until_equivocation(run, evil));
  auto now = current_view(run);
  run.say("sending transfers through " + run.name(via));
  auto committed = liveness(run, via, 20, seconds(60));
  if (!committed)
    return committed.error();
  auto after = current_view(run);
  if (after && now) {
    if (after->view > now->view)
      run.say("the honest replicas changed view " + std::to_string(now->view) + " -> " +
              std::to_string(after->view) + " and replaced the equivocating primary with " +
              run.name(after->primary));
    else
      run.say("view unchanged (" + std::to_string(after->view) + ")");
  }
  SYNOD_TRY(check_equivocation(run, evil, honest, conflicts_before));
  SYNOD_TRY(agreement(run, honest, "honest nodes (" + run.list(honest) + ")"));
  run.say("restarting " + run.name(evil) + " as an honest node");
  SYNOD_TRY(run.restart(evil, ""));
  SYNOD_TRY(catch_up(run, evil, seconds(60)));
  if (auto more = liveness(run, via, 5, seconds(30)); !more)
    return more.error();
  return agreement(run, run.all(), "all nodes");
}

Status forged_signatures(ScenarioRun& run) {
  SYNOD_TRY(precheck(run));
  auto& cluster = run.cluster();
  auto info = current_view(run);
  if (!info)
    return info.error();
  std::size_t forger = (info->primary + 1) % cluster.size();
  run.say("restarting backup " + run.name(forger) +
          " with --byzantine forge-signature (every message it sends carries a corrupted "
          "signature)");
  SYNOD_TRY(run.restart(forger, "forge-signature"));
  SYNOD_TRY(cluster.wait_healthy(run.all(), 0, true, seconds(30), "waiting for peers"));
  auto honest = run.all_except(forger);
  std::map<std::size_t, std::uint64_t> before;
  for (std::size_t i : honest)
    before[i] = dropped(run, i, "bad_signature");
  std::size_t via = honest.front();
  run.say("sending transfers through " + run.name(via) +
          "; the 3 honest nodes are 2f+1 and must commit without the forger");
  auto committed = liveness(run, via, 20, seconds(60));
  if (!committed)
    return committed.error();
  std::uint64_t rejected = 0;
  for (std::size_t i : honest)
    rejected += dropped(run, i, "bad_signature") - before[i];
  run.say("honest replicas rejected " + std::to_string(rejected) +
          " messages with bad signatures from " + run.name(forger));
  if (rejected == 0)
    return make_error("no forged message was counted as rejected by the honest replicas");
  SYNOD_TRY(agreement(run, honest, "honest nodes (" + run.list(honest) + ")"));
  run.say("restarting " + run.name(forger) + " as an honest node");
  SYNOD_TRY(run.restart(forger, ""));
  SYNOD_TRY(catch_up(run, forger, seconds(60)));
  if (auto more = liveness(run, forger, 5, seconds(30)); !more)
    return more.error();
  return agreement(run, run.all(), "all nodes");
}

Status lagging_replica(ScenarioRun& run) {
  SYNOD_TRY(precheck(run));
  auto& cluster = run.cluster();
  auto info = current_view(run);
  if (!info)
    return info.error();
  std::size_t lagger = (info->primary + 2) % cluster.size();
  const auto& params = cluster.testnet().genesis.pbft;
  std::uint64_t gap = params.watermark_window + params.checkpoint_interval + 8;
  auto start_height = cluster.heights({lagger});
  std::uint64_t paused_at = start_height.count(lagger) ? start_height[lagger] : 0;
  std::uint64_t fetched_before = counter(run, lagger, "blocks_fetched");
  run.say("pausing " + run.name(lagger) + " (SIGSTOP) at height " + std::to_string(paused_at) +
          "; the others will move " + std::to_string(gap) +
          " blocks ahead, past its watermark window (" + std::to_string(params.watermark_window) +
          "), so it can only catch up by state transfer");
  SYNOD_TRY(signal_node(cluster.node(lagger), SIGSTOP));
  std::size_t via = run.pick({lagger});
  {
    cli::Progress progress("driving blocks");
    auto deadline = Clock::now() + seconds(120);
    for (;;) {
      auto heights = cluster.heights({via});
      std::uint64_t height = heights.count(via) ? heights[via] : 0;
      if (height >= paused_at + gap)
        break;
      if (Clock::now() > deadline)
        return make_error("liveness: the others reached only height " + std::to_string(height) +
                          " in 120 s with " + run.name(lagger) + " paused");
      progress.update(run.name(via) + " at height " + std::to_string(height) + " of " +
                      std::to_string(paused_at + gap));
      auto hashes = cluster.submit_transfers(via, 1);
      if (!hashes)
        return make_error("liveness: " + hashes.message());
      auto done = cluster.wait_committed(via, *hashes, seconds(30), "waiting for a transfer");
      if (!done)
        return make_error("liveness: " + done.message());
    }
  }
  auto ahead = cluster.heights({via});
  run.say("the other nodes reached height " + std::to_string(ahead[via]) + " while " +
          run.name(lagger) + " was paused");
  SYNOD_TRY(signal_node(cluster.node(lagger), SIGCONT));
  run.say("resumed " + run.name(lagger) + " (SIGCONT)");
  SYNOD_TRY(catch_up(run, lagger, seconds(90)));
  std::uint64_t fetched = counter(run, lagger, "blocks_fetched") - fetched_before;
  if (fetched > 0) {
    run.say(run.name(lagger) + " fetched " + std::to_string(fetched) +
            " certified blocks from its peers (state transfer), checking each certificate "
            "against the genesis");
  } else {
    // A paused process loses nothing: its peers queue what they send it (up to their
    // per-peer send limit) and it replays those messages in order when it resumes.
    run.say(run.name(lagger) +
            " needed no state transfer: it replayed the protocol messages its peers had "
            "queued for it while it was paused");
  }
  if (auto more = liveness(run, lagger, 5, seconds(30)); !more)
    return more.error();
  return agreement(run, run.all(), "all nodes");
}

}  // namespace

std::vector<Scenario> pbft_scenarios() {
  using chain::ConsensusMode;
  return {
      {"crash-backup", ConsensusMode::kPbft, crash_backup,
       "a backup crashes (SIGKILL); the rest keep committing; it restarts and catches up"},
      {"crash-primary", ConsensusMode::kPbft, crash_primary,
       "the primary crashes; the backups change view and keep committing"},
      {"equivocating-primary", ConsensusMode::kPbft, equivocating_primary,
       "the primary sends conflicting proposals; honest nodes never commit conflicting blocks"},
      {"forged-signatures", ConsensusMode::kPbft, forged_signatures,
       "a backup signs every message wrongly; its messages are dropped"},
      {"lagging-replica", ConsensusMode::kPbft, lagging_replica,
       "a backup is paused while the others move far ahead; it catches up by state transfer"},
  };
}

}  // namespace synod::testnet
