#include "testnet/scenarios.h"

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <set>
#include <thread>

#include "client/json_fields.h"
#include "testnet/cluster.h"
#include "testnet/pos_scenarios.h"
#include "wallet/cli_support.h"

namespace synod::testnet {

using nlohmann::json;
using Clock = std::chrono::steady_clock;
using std::chrono::seconds;

namespace {

struct ViewInfo {
  std::uint64_t view = 0;
  std::size_t primary = 0;
  std::uint64_t height = 0;
};

// State shared by the steps of one scenario run.
class Run {
 public:
  Run(Cluster& cluster, bool as_json)
      : cluster_(cluster), start_(Clock::now()), as_json_(as_json) {}

  Cluster& cluster() { return cluster_; }
  const std::string& name(std::size_t i) const { return cluster_.node(i).name; }

  // Narration: a timestamped line on stdout, or (with --json) a step of the final object.
  void say(const std::string& text) {
    double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
    if (as_json_) {
      steps_.push_back({{"t_s", std::round(elapsed * 10) / 10}, {"text", text}});
      return;
    }
    std::printf("[%6.1fs] %s\n", elapsed, text.c_str());
    std::fflush(stdout);
  }

  // The verdict: "PASS" or "FAIL: reason" as the last line, or one JSON object.
  int verdict(const std::string& scenario, const std::string& failure, const std::string& details) {
    if (as_json_) {
      json out = {{"scenario", scenario},
                  {"pass", failure.empty()},
                  {"verdict", failure.empty() ? "PASS" : "FAIL: " + failure},
                  {"steps", steps_}};
      if (!details.empty())
        out["details"] = details;
      cli::print_json(out);
    } else {
      if (!details.empty())
        std::printf("%s\n", details.c_str());
      std::printf("%s\n", failure.empty() ? "PASS" : ("FAIL: " + failure).c_str());
    }
    return failure.empty() ? 0 : 1;
  }

  // Every node running, connected, past block 1, and in agreement.
  Status precheck() {
    std::vector<std::size_t> all;
    for (std::size_t i = 0; i < cluster_.size(); ++i) {
      if (cluster_.process(i).state != ProcessState::kRunning) {
        return make_error(name(i) + " is " + to_string(cluster_.process(i).state) +
                          "; the scenario needs the whole testnet up");
      }
      all.push_back(i);
    }
    if (auto status = cluster_.wait_healthy(all, 1, true, seconds(30), "checking the testnet");
        !status)
      return status;
    auto agreement = check_agreement(cluster_, all);
    if (!agreement.agree)
      return make_error("before the fault: " + agreement.message);
    say("testnet healthy: " + agreement.message.substr(11));
    return Status::success();
  }

  // The view most running nodes are in (a node that just restarted may not know it yet),
  // with its primary and the highest stored height.
  Result<ViewInfo> current_view() {
    std::map<std::uint64_t, std::size_t> votes;
    ViewInfo out;
    for (std::size_t i : cluster_.running()) {
      auto info = view_of(i);
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
    out.primary = static_cast<std::size_t>(out.view % cluster_.size());
    return out;
  }

  // Waits until node `index` reports the view the others are in.
  void converge_view(std::size_t index, seconds timeout) {
    auto deadline = Clock::now() + timeout;
    for (;;) {
      auto majority = current_view();
      auto own = view_of(index);
      if (majority && own && own->view == majority->view) {
        say(name(index) + " is in view " + std::to_string(own->view) +
            " with the others (primary " + name(majority->primary) + ")");
        return;
      }
      if (Clock::now() >= deadline) {
        say("note: " + name(index) + " still reports view " +
            (own ? std::to_string(own->view) : std::string("?")) + ", the others " +
            (majority ? std::to_string(majority->view) : std::string("?")));
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  Result<ViewInfo> view_of(std::size_t via) {
    auto status = cluster_.call(via, "status");
    if (!status)
      return status.error();
    return ViewInfo{client::unsigned_field(*status, "view"),
                    static_cast<std::size_t>(client::unsigned_field(*status, "primary")),
                    client::unsigned_field(*status, "stored_height")};
  }

  // The first running node not in `except`.
  std::size_t pick(const std::set<std::size_t>& except) {
    for (std::size_t i : cluster_.running()) {
      if (!except.count(i))
        return i;
    }
    return 0;
  }

  // Sends `count` transfers through `via` and waits for them on `via`.
  Result<std::pair<std::uint64_t, std::uint64_t>> liveness(std::size_t via, std::size_t count,
                                                           seconds timeout) {
    auto hashes = cluster_.submit_transfers(via, count);
    if (!hashes)
      return make_error("liveness: " + hashes.message());
    auto start = Clock::now();
    auto heights = cluster_.wait_committed(via, *hashes, timeout,
                                           "waiting for " + std::to_string(count) + " transfers");
    if (!heights)
      return make_error("liveness: " + heights.message());
    auto [low, high] = std::minmax_element(heights->begin(), heights->end());
    say(std::to_string(count) + " transfers committed at heights " + std::to_string(*low) + ".." +
        std::to_string(*high) + " within " + cli::format_duration(Clock::now() - start));
    return std::pair{*low, *high};
  }

  // Waits until node `index` has the highest height any other running node had when asked.
  Status catch_up(std::size_t index, seconds timeout) {
    std::vector<std::size_t> others;
    for (std::size_t i : cluster_.running()) {
      if (i != index)
        others.push_back(i);
    }
    std::uint64_t target = 0;
    for (const auto& [i, height] : cluster_.heights(others))
      target = std::max(target, height);
    auto own = cluster_.heights({index});
    say(name(index) + " is at height " + std::to_string(own.count(index) ? own[index] : 0) +
        "; the others are at " + std::to_string(target));
    auto start = Clock::now();
    if (auto status = cluster_.wait_height(index, target, timeout, name(index) + " catching up");
        !status)
      return status;
    say(name(index) + " caught up to height " + std::to_string(target) + " in " +
        cli::format_duration(Clock::now() - start));
    return Status::success();
  }

  Status agreement(const std::vector<std::size_t>& nodes, const std::string& who) {
    auto result = check_agreement(cluster_, nodes);
    if (!result.agree)
      return make_error(who + ": " + result.message);
    say(who + ": " + result.message.substr(11));
    return Status::success();
  }

  std::uint64_t dropped(std::size_t via, const char* reason) {
    auto state = cluster_.call(via, "dump_consensus_state");
    return state ? client::unsigned_field(client::field(*state, "dropped"), reason) : 0;
  }

  std::uint64_t counter(std::size_t via, const char* key) {
    auto state = cluster_.call(via, "dump_consensus_state");
    return state ? client::unsigned_field(*state, key) : 0;
  }

  Status restart(std::size_t index, const std::string& byzantine) {
    if (auto status = cluster_.stop(index); !status)
      return status;
    if (auto status = cluster_.start(index, byzantine); !status)
      return status;
    if (byzantine.empty())
      byzantine_.erase(index);
    else
      byzantine_.insert(index);
    return cluster_.wait_healthy({index}, 0, false, seconds(30), "waiting for " + name(index));
  }

  // Puts the testnet back: paused nodes resumed, stopped nodes started, Byzantine nodes
  // restarted honest; then waits until all are connected.
  Status restore() {
    std::vector<std::size_t> all;
    for (std::size_t i = 0; i < cluster_.size(); ++i) {
      all.push_back(i);
      auto process = cluster_.process(i);
      if (process.state == ProcessState::kPaused)
        kill(process.pid, SIGCONT);
      if (byzantine_.count(i)) {
        say("restoring " + name(i) + " as an honest node");
        if (auto status = restart(i, ""); !status)
          return status;
      } else if (process.state == ProcessState::kDown) {
        say("restarting " + name(i));
        if (auto status = cluster_.start(i); !status)
          return status;
      }
    }
    return cluster_.wait_healthy(all, 0, true, seconds(30), "waiting for the testnet");
  }

  std::string list(const std::vector<std::size_t>& nodes) const {
    std::string out;
    for (std::size_t i : nodes)
      out += (out.empty() ? "" : ", ") + name(i);
    return out;
  }

  std::vector<std::size_t> all_except(std::size_t excluded) const {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < cluster_.size(); ++i) {
      if (i != excluded)
        out.push_back(i);
    }
    return out;
  }

  std::vector<std::size_t> all() const { return all_except(cluster_.size()); }

 private:
  Cluster& cluster_;
  Clock::time_point start_;
  bool as_json_ = false;
  json steps_ = json::array();
  std::set<std::size_t> byzantine_;
};

#define SYNOD_TRY(expression)        \
  do {                               \
    if (auto s_ = (expression); !s_) \
      return s_.error();             \
  } while (0)

Status crash_backup(Run& run) {
  auto& cluster = run.cluster();
  auto info = run.current_view();
  if (!info)
    return info.error();
  std::size_t backup = (info->primary + 1) % cluster.size();
  run.say("view " + std::to_string(info->view) + ", primary " + run.name(info->primary) +
          "; crashing backup " + run.name(backup) + " with SIGKILL");
  SYNOD_TRY(signal_node(cluster.node(backup), SIGKILL));
  std::size_t via = run.pick({backup});
  run.say("sending transfers through " + run.name(via) + " while " + run.name(backup) +
          " is down (3 of 4 alive = 2f+1: quorums still form)");
  auto committed = run.liveness(via, 20, seconds(30));
  if (!committed)
    return committed.error();
  auto after = run.view_of(via);
  if (after && after->view == info->view)
    run.say("no view change was needed: the primary never stopped");
  run.say("restarting " + run.name(backup));
  SYNOD_TRY(cluster.start(backup));
  SYNOD_TRY(
      cluster.wait_healthy({backup}, 0, false, seconds(30), "waiting for " + run.name(backup)));
  SYNOD_TRY(run.catch_up(backup, seconds(60)));
  run.say("sending transfers through the restarted " + run.name(backup));
  if (auto more = run.liveness(backup, 5, seconds(30)); !more)
    return more.error();
  return run.agreement(run.all(), "all nodes");
}

Status crash_primary(Run& run) {
  auto& cluster = run.cluster();
  auto info = run.current_view();
  if (!info)
    return info.error();
  std::size_t primary = info->primary;
  run.say("view " + std::to_string(info->view) + ": " + run.name(primary) +
          " is the primary; crashing it with SIGKILL");
  SYNOD_TRY(signal_node(cluster.node(primary), SIGKILL));
  std::size_t via = (primary + 1) % cluster.size();
  run.say("sending transfers through " + run.name(via) +
          "; the backups must time out on the dead primary and change view");
  auto committed = run.liveness(via, 10, seconds(60));
  if (!committed)
    return committed.error();
  auto after = run.view_of(via);
  if (!after)
    return after.error();
  if (after->view <= info->view)
    return make_error("transfers committed but the view did not change while the primary was down");
  run.say("view change: view " + std::to_string(info->view) + " -> " + std::to_string(after->view) +
          ", new primary " + run.name(after->primary));
  SYNOD_TRY(run.agreement(run.all_except(primary), "surviving nodes"));
  run.say("restarting the old primary " + run.name(primary));
  SYNOD_TRY(cluster.start(primary));
  SYNOD_TRY(
      cluster.wait_healthy({primary}, 0, false, seconds(30), "waiting for " + run.name(primary)));
  SYNOD_TRY(run.catch_up(primary, seconds(60)));
  run.converge_view(primary, seconds(15));
  if (auto more = run.liveness(primary, 5, seconds(30)); !more)
    return more.error();
  return run.agreement(run.all(), "all nodes");
}

Status equivocating_primary(Run& run) {
  auto& cluster = run.cluster();
  auto info = run.current_view();
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
    conflicts_before[i] = run.dropped(i, "conflicting_pre_prepare");
  auto now = run.current_view();
  if (now && now->primary != evil)
    run.say("note: the view moved on while it restarted; " + run.name(now->primary) +
            " is primary now");
  run.say("sending transfers through " + run.name(via));
  auto committed = run.liveness(via, 20, seconds(60));
  if (!committed)
    return committed.error();
  auto after = run.current_view();
  if (after && now) {
    if (after->view > now->view)
      run.say("the honest replicas changed view " + std::to_string(now->view) + " -> " +
              std::to_string(after->view) + " and replaced the equivocating primary with " +
              run.name(after->primary));
    else
      run.say("view unchanged (" + std::to_string(after->view) + ")");
  }
  std::uint64_t conflicts = 0;
  for (std::size_t i : honest)
    conflicts += run.dropped(i, "conflicting_pre_prepare") - conflicts_before[i];
  if (conflicts > 0) {
    run.say("honest replicas caught " + std::to_string(conflicts) +
            " conflicting pre-prepares from " + run.name(evil) + " and dropped them");
  } else {
    run.say(
        "each honest replica saw only one of the two proposals; the votes split, so "
        "neither block could gather 2f+1 commits");
  }
  SYNOD_TRY(run.agreement(honest, "honest nodes (" + run.list(honest) + ")"));
  run.say("restarting " + run.name(evil) + " as an honest node");
  SYNOD_TRY(run.restart(evil, ""));
  SYNOD_TRY(run.catch_up(evil, seconds(60)));
  if (auto more = run.liveness(via, 5, seconds(30)); !more)
    return more.error();
  return run.agreement(run.all(), "all nodes");
}

Status forged_signatures(Run& run) {
  auto& cluster = run.cluster();
  auto info = run.current_view();
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
    before[i] = run.dropped(i, "bad_signature");
  std::size_t via = honest.front();
  run.say("sending transfers through " + run.name(via) +
          "; the 3 honest nodes are 2f+1 and must commit without the forger");
  auto committed = run.liveness(via, 20, seconds(60));
  if (!committed)
    return committed.error();
  std::uint64_t rejected = 0;
  for (std::size_t i : honest)
    rejected += run.dropped(i, "bad_signature") - before[i];
  run.say("honest replicas rejected " + std::to_string(rejected) +
          " messages with bad signatures from " + run.name(forger));
  if (rejected == 0)
    return make_error("no forged message was counted as rejected by the honest replicas");
  SYNOD_TRY(run.agreement(honest, "honest nodes (" + run.list(honest) + ")"));
  run.say("restarting " + run.name(forger) + " as an honest node");
  SYNOD_TRY(run.restart(forger, ""));
  SYNOD_TRY(run.catch_up(forger, seconds(60)));
  if (auto more = run.liveness(forger, 5, seconds(30)); !more)
    return more.error();
  return run.agreement(run.all(), "all nodes");
}

Status lagging_replica(Run& run) {
  auto& cluster = run.cluster();
  auto info = run.current_view();
  if (!info)
    return info.error();
  std::size_t lagger = (info->primary + 2) % cluster.size();
  const auto& params = cluster.testnet().genesis.pbft;
  std::uint64_t gap = params.watermark_window + params.checkpoint_interval + 8;
  auto start_height = cluster.heights({lagger});
  std::uint64_t paused_at = start_height.count(lagger) ? start_height[lagger] : 0;
  std::uint64_t fetched_before = run.counter(lagger, "blocks_fetched");
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
  SYNOD_TRY(run.catch_up(lagger, seconds(90)));
  std::uint64_t fetched = run.counter(lagger, "blocks_fetched") - fetched_before;
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
  if (auto more = run.liveness(lagger, 5, seconds(30)); !more)
    return more.error();
  return run.agreement(run.all(), "all nodes");
}

using ScenarioFn = std::function<Status(Run&)>;

const std::vector<std::pair<std::string, std::pair<ScenarioFn, std::string>>>& table() {
  static const std::vector<std::pair<std::string, std::pair<ScenarioFn, std::string>>> scenarios = {
      {"crash-backup",
       {crash_backup,
        "a backup crashes (SIGKILL); the rest keep committing; it restarts and catches up"}},
      {"crash-primary",
       {crash_primary, "the primary crashes; the backups change view and keep committing"}},
      {"equivocating-primary",
       {equivocating_primary,
        "the primary sends conflicting proposals; honest nodes never commit conflicting blocks"}},
      {"forged-signatures",
       {forged_signatures, "a backup signs every message wrongly; its messages are dropped"}},
      {"lagging-replica",
       {lagging_replica,
        "a backup is paused while the others move far ahead; it catches up by state transfer"}},
  };
  return scenarios;
}

}  // namespace

std::vector<std::string> scenario_names() {
  std::vector<std::string> out;
  for (const auto& [name, entry] : table())
    out.push_back(name);
  out.push_back(kNothingAtStakeScenario);
  return out;
}

int run_scenario(const std::string& name, const std::string& dir, bool as_json) {
  if (name == kNothingAtStakeScenario)
    return run_nothing_at_stake(dir, as_json);
  const ScenarioFn* scenario = nullptr;
  std::string description;
  for (const auto& [entry_name, entry] : table()) {
    if (entry_name == name) {
      scenario = &entry.first;
      description = entry.second;
    }
  }
  if (scenario == nullptr) {
    std::string names;
    for (const auto& known : scenario_names())
      names += (names.empty() ? "" : ", ") + known;
    std::fprintf(stderr, "synod-testnet: error: unknown scenario \"%s\" (one of: %s)\n",
                 name.c_str(), names.c_str());
    return 2;
  }
  auto testnet = load_testnet(dir);
  if (!testnet) {
    std::fprintf(stderr, "synod-testnet: error: %s\n", testnet.message().c_str());
    return 2;
  }
  if (testnet->genesis.mode != chain::ConsensusMode::kPbft || testnet->validator_count() < 4) {
    std::printf("FAIL: the %s scenario needs a PBFT testnet of at least 4 nodes\n", name.c_str());
    return 1;
  }
  // Faults are injected into validators; full nodes (if any) keep following on their own.
  Cluster cluster(validators_only(std::move(*testnet)));
  Run run(cluster, as_json);
  run.say("scenario " + name + ": " + description);
  Status result = run.precheck();
  if (result)
    result = (*scenario)(run);
  Status restored = run.restore();
  std::string failure;
  if (!result)
    failure = result.message();
  else if (!restored)
    failure = "could not restore the testnet afterwards: " + restored.message();
  // The verdict is one line; details that span lines (log tails) go just above it.
  std::string details;
  if (auto newline = failure.find('\n'); newline != std::string::npos) {
    details = failure.substr(newline + 1);
    failure = failure.substr(0, newline);
  }
  return run.verdict(name, failure, details);
}

}  // namespace synod::testnet
