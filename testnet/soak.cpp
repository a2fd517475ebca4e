#include "testnet/soak.h"

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <memory>
#include <random>
#include <thread>

#include <nlohmann/json.hpp>

#include "client/json_fields.h"
#include "testnet/cluster.h"
#include "testnet/soak_check.h"
#include "testnet/soak_load.h"
#include "wallet/cli_support.h"

namespace synod::testnet {

using nlohmann::json;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

// A restarted validator must hold the height the others had when it restarted within
// this; one that is not back after kGiveUpOnCatchUp ends the soak (a second validator
// down would be more than f).
constexpr seconds kMaxCatchUp{20};
constexpr seconds kGiveUpOnCatchUp{90};
// How long a killed validator stays down before it is started again.
constexpr std::uint64_t kDownMinMs = 1000;
constexpr std::uint64_t kDownMaxMs = 5000;
// After the load stops: time for every signed transfer to commit, and for the validators
// to reach one height.
constexpr seconds kDrainTimeout{120};
constexpr seconds kSettleTimeout{60};

volatile std::sig_atomic_t g_interrupted = 0;

extern "C" void on_interrupt(int signal_number) {
  g_interrupted = 1;
  std::signal(signal_number, SIG_DFL);  // a second Ctrl-C ends the soak at once
}

bool interrupted() {
  return g_interrupted != 0;
}

// Ctrl-C and SIGTERM set a flag the soak polls, so that it always cleans up; the previous
// handlers come back when the soak ends.
class InterruptGuard {
 public:
  InterruptGuard() {
    g_interrupted = 0;
    struct sigaction action {};
    action.sa_handler = on_interrupt;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &old_int_);
    sigaction(SIGTERM, &action, &old_term_);
  }
  ~InterruptGuard() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

struct CatchUp {
  std::string node;
  double seconds = 0;
  std::uint64_t target_height = 0;
};

class Soak {
 public:
  Soak(Cluster& cluster, const SoakOptions& options, std::uint64_t seed)
      : cluster_(cluster), options_(options), seed_(seed), rng_(seed), start_(Clock::now()) {}

  Status prepare();
  Status cycles();
  Status finish();
  void cleanup();
  int report(const std::string& failure);

 private:
  void say(const std::string& text);
  Status watch_for(milliseconds duration);
  Status kill_one(std::size_t victim);
  Status restart_one(std::size_t victim);
  Status wait_back(std::size_t victim, std::uint64_t target, Clock::time_point started);
  Status drain();
  std::uint64_t uniform(std::uint64_t low, std::uint64_t high) {
    return std::uniform_int_distribution<std::uint64_t>(low, high)(rng_);
  }

  Cluster& cluster_;
  const SoakOptions& options_;
  std::uint64_t seed_;
  std::mt19937_64 rng_;
  Clock::time_point start_;
  std::unique_ptr<SoakLoad> load_;
  bool owns_nodes_ = false;          // the soak started the testnet, and stops it
  std::optional<std::size_t> down_;  // the validator the soak has killed
  std::uint64_t kills_ = 0, restarts_ = 0;
  std::vector<CatchUp> catch_ups_;
  std::vector<std::string> slow_;  // catch-ups beyond kMaxCatchUp
  std::optional<LedgerFacts> ledger_;
  std::size_t receipts_ = 0;
  std::size_t found_ = 0;
};

void Soak::say(const std::string& text) {
  if (options_.json)
    return;
  double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
  std::printf("[%7.1fs] %s\n", elapsed, text.c_str());
  std::fflush(stdout);
}

// Every validator running (those of a testnet found stopped are started, and stopped
// again at the end), connected, and the load under way.
Status Soak::prepare() {
  std::vector<std::size_t> all;
  for (std::size_t i = 0; i < cluster_.size(); ++i)
    all.push_back(i);
  auto running = cluster_.running();
  if (running.empty()) {
    say("no validator is running: starting the testnet (the soak stops it at the end)");
    owns_nodes_ = true;
    for (std::size_t i : all) {
      if (auto started = cluster_.start(i); !started)
        return started;
    }
  } else if (running.size() != all.size()) {
    for (std::size_t i : all) {
      auto state = cluster_.process(i).state;
      if (state != ProcessState::kRunning) {
        return make_error(cluster_.node(i).name + " is " + to_string(state) +
                          ": the soak needs every validator running, or none (then it starts "
                          "them)");
      }
    }
  }
  auto healthy = cluster_.wait_healthy(all, 1, true, seconds(60), "waiting for the testnet");
  if (!healthy)
    return healthy;
  auto keys = cluster_.account_keys();
  if (!keys)
    return keys.error();
  SoakLoadOptions load;
  for (std::size_t i : all) {
    load.node_names.push_back(cluster_.node(i).name);
    load.node_rpc.push_back(cluster_.node(i).rpc);
  }
  load.accounts = *keys;
  load.domain = chain::SigningDomain::of(cluster_.testnet().genesis);
  load.rate_per_s = options_.rate_per_s;
  load.receipt_path = cluster_.testnet().dir + "/" + kSoakReceiptsFile;
  load_ = std::make_unique<SoakLoad>(std::move(load));
  return load_->start();
}

// Sleeps for `duration` while watching for what ends the soak early: Ctrl-C, a refusal
// the load should never get, and a validator that exits without being killed.
Status Soak::watch_for(milliseconds duration) {
  auto until = Clock::now() + duration;
  auto next_check = Clock::now();
  while (Clock::now() < until) {
    if (interrupted())
      return make_error("interrupted");
    if (auto fatal = load_->stats().fatal; !fatal.empty())
      return make_error("the load failed: " + fatal);
    if (Clock::now() >= next_check) {
      next_check = Clock::now() + milliseconds(500);
      for (std::size_t i = 0; i < cluster_.size(); ++i) {
        if (down_ == i || cluster_.process(i).state == ProcessState::kRunning)
          continue;
        return make_error(
            cluster_.node(i).name + " is " + to_string(cluster_.process(i).state) +
            " without the soak killing it; last lines of its log:" + cluster_.log_tail(i, 25));
      }
    }
    std::this_thread::sleep_for(std::min<Clock::duration>(milliseconds(50), until - Clock::now()));
  }
  return Status::success();
}

Status Soak::kill_one(std::size_t victim) {
  const NodeInfo& node = cluster_.node(victim);
  auto process = cluster_.process(victim);
  if (process.state != ProcessState::kRunning)
    return make_error(node.name + " is " + to_string(process.state) + " before its kill");
  down_ = victim;
  load_->set_down(victim);
  if (auto sent = signal_node(node, SIGKILL); !sent)
    return sent;
  ++kills_;
  auto deadline = Clock::now() + seconds(10);
  while (cluster_.process(victim).state != ProcessState::kDown) {
    if (Clock::now() >= deadline)
      return make_error(node.name + " (pid " + std::to_string(process.pid) +
                        ") still exists 10 s after SIGKILL");
    std::this_thread::sleep_for(milliseconds(20));
  }
  say("kill -9 " + node.name + " (pid " + std::to_string(process.pid) + "), kill " +
      std::to_string(kills_));
  return Status::success();
}

// Starts the killed validator again (its ports may take a moment to be free) and waits
// until it holds the height the others had at that moment.
Status Soak::restart_one(std::size_t victim) {
  std::uint64_t target = 0;
  for (const auto& [index, height] : cluster_.heights(cluster_.running()))
    target = std::max(target, height);
  auto deadline = Clock::now() + seconds(15);
  for (;;) {
    auto started = cluster_.start(victim);
    if (started)
      break;
    bool port_busy = started.message().find("in use") != std::string::npos;
    if (!port_busy || Clock::now() >= deadline)
      return make_error("cannot restart " + cluster_.node(victim).name + ": " + started.message());
    std::this_thread::sleep_for(milliseconds(200));
  }
  auto started_at = Clock::now();
  ++restarts_;
  say("restart " + cluster_.node(victim).name + "; the others are at height " +
      std::to_string(target));
  return wait_back(victim, target, started_at);
}

Status Soak::wait_back(std::size_t victim, std::uint64_t target, Clock::time_point started) {
  const std::string& name = cluster_.node(victim).name;
  std::uint64_t height = 0;
  for (;;) {
    if (interrupted())
      return make_error("interrupted");
    if (cluster_.process(victim).state == ProcessState::kDown)
      return make_error(name + " exited after its restart; last lines of its log:" +
                        cluster_.log_tail(victim, 25));
    if (auto status = cluster_.call(victim, "status"))
      height = client::unsigned_field(*status, "stored_height");
    double elapsed = std::chrono::duration<double>(Clock::now() - started).count();
    if (height >= target) {
      catch_ups_.push_back({name, elapsed, target});
      down_.reset();
      load_->set_down(SIZE_MAX);
      char text[160];
      std::snprintf(text, sizeof text, "%s back at height %llu in %.1f s", name.c_str(),
                    static_cast<unsigned long long>(height), elapsed);
      say(text);
      if (elapsed > static_cast<double>(kMaxCatchUp.count()))
        slow_.push_back(std::string(text) + " (more than " + std::to_string(kMaxCatchUp.count()) +
                        " s)");
      return Status::success();
    }
    if (elapsed >= static_cast<double>(kGiveUpOnCatchUp.count()))
      return make_error(
          name + " reached height " + std::to_string(height) + ", not " + std::to_string(target) +
          ", " + std::to_string(kGiveUpOnCatchUp.count()) +
          " s after its restart; last lines of its log:" + cluster_.log_tail(victim, 25));
    std::this_thread::sleep_for(milliseconds(100));
  }
}

// Kill, wait, restart, catch up; again every kill_every_min_s..max_s until the time is up.
Status Soak::cycles() {
  auto deadline = start_ + seconds(options_.duration_s);
  for (;;) {
    auto gap =
        milliseconds(uniform(options_.kill_every_min_s * 1000, options_.kill_every_max_s * 1000));
    if (Clock::now() + gap >= deadline)
      return watch_for(std::chrono::duration_cast<milliseconds>(
          std::max<Clock::duration>(deadline - Clock::now(), Clock::duration::zero())));
    if (auto watched = watch_for(gap); !watched)
      return watched;
    auto victim = static_cast<std::size_t>(uniform(0, cluster_.size() - 1));
    if (auto killed = kill_one(victim); !killed)
      return killed;
    if (auto watched = watch_for(milliseconds(uniform(kDownMinMs, kDownMaxMs))); !watched)
      return watched;
    if (auto restarted = restart_one(victim); !restarted)
      return restarted;
  }
}

// Stops signing and waits until every signed transfer is committed.
Status Soak::drain() {
  load_->stop_signing();
  say("load stopped after " + cli::with_commas(load_->stats().signed_txs) +
      " signed transfers; waiting until all are committed");
  auto start = Clock::now();
  for (;;) {
    if (interrupted())
      return make_error("interrupted");
    auto stats = load_->stats();
    if (!stats.fatal.empty())
      return make_error("the load failed: " + stats.fatal);
    if (stats.pending == 0)
      break;
    if (Clock::now() - start >= kDrainTimeout)
      return make_error(std::to_string(stats.pending) + " signed transfers still not committed " +
                        std::to_string(kDrainTimeout.count()) + " s after the load stopped");
    std::this_thread::sleep_for(milliseconds(200));
  }
  load_->stop();
  return Status::success();
}

Status Soak::finish() {
  if (auto drained = drain(); !drained)
    return drained;
  auto height = wait_all_reach(cluster_, kSettleTimeout, interrupted);
  if (!height)
    return height.error();
  say("every validator has reached height " + std::to_string(*height) + "; comparing blocks 1.." +
      std::to_string(*height));
  auto ledger = compare_ledgers(cluster_, *height);
  if (!ledger)
    return ledger.error();
  ledger_ = std::move(*ledger);
  std::string path = cluster_.testnet().dir + "/" + kSoakReceiptsFile;
  auto receipts = read_receipts(path);
  if (!receipts)
    return receipts.error();
  receipts_ = receipts->size();
  for (const auto& receipt : *receipts)
    found_ += ledger_->tx_hashes.count(receipt.hash_hex);
  if (receipts_ != load_->stats().acknowledged)
    return make_error(path + " has " + std::to_string(receipts_) + " receipts, the load had " +
                      std::to_string(load_->stats().acknowledged) + " acknowledgements");
  if (auto all_found = check_receipts(*receipts, *ledger_); !all_found)
    return all_found;
  if (!slow_.empty()) {
    std::string text = std::to_string(slow_.size()) +
                       " restarted validators were not back within " +
                       std::to_string(kMaxCatchUp.count()) + " s:";
    for (const auto& line : slow_)
      text += "\n    " + line;
    return make_error(text);
  }
  return Status::success();
}

// Always run, after success, failure or Ctrl-C: the load stopped, the killed validator
// started again (or, when the soak started the testnet, every validator stopped).
void Soak::cleanup() {
  if (load_)
    load_->stop();
  if (owns_nodes_) {
    say("stopping the testnet the soak started");
    for (std::size_t i = 0; i < cluster_.size(); ++i) {
      if (auto stopped = cluster_.stop(i, seconds(5)); !stopped)
        std::fprintf(stderr, "synod-testnet: %s\n", stopped.message().c_str());
    }
    return;
  }
  if (!down_ || cluster_.process(*down_).state != ProcessState::kDown)
    return;
  say("starting " + cluster_.node(*down_).name + " again");
  Status back = cluster_.start(*down_);
  if (back)
    back = cluster_.wait_healthy({*down_}, 0, false, seconds(30), "waiting for it");
  if (!back)
    std::fprintf(stderr, "synod-testnet: could not start %s again: %s\n",
                 cluster_.node(*down_).name.c_str(), back.message().c_str());
}

json summary_json(std::uint64_t seed, const SoakOptions& options, std::size_t validators,
                  double elapsed_s, std::uint64_t kills, std::uint64_t restarts,
                  const std::vector<CatchUp>& catch_ups, const SoakLoadStats& load) {
  json out = {{"seed", seed},
              {"elapsed_s", std::round(elapsed_s * 10) / 10},
              {"validators", validators},
              {"rate_per_s", options.rate_per_s},
              {"kills", kills},
              {"restarts", restarts},
              {"signed", load.signed_txs},
              {"acknowledged", load.acknowledged},
              {"resent_after_loss", load.resent_lost},
              {"busy_retries", load.mempool_full}};
  double max_s = 0, total_s = 0;
  std::string slowest;
  for (const auto& item : catch_ups) {
    total_s += item.seconds;
    if (item.seconds >= max_s) {
      max_s = item.seconds;
      slowest = item.node;
    }
  }
  out["catch_up_max_s"] = std::round(max_s * 10) / 10;
  out["catch_up_mean_s"] =
      catch_ups.empty() ? 0.0 : std::round(total_s / catch_ups.size() * 10) / 10;
  out["catch_up_slowest"] = slowest;
  out["catch_up_limit_s"] = kMaxCatchUp.count();
  return out;
}

void print_summary_text(const json& s, const std::string& receipt_path) {
  std::printf("\nsoak        seed %llu, %.1f min, %llu validators, %g transfers/s offered\n",
              s["seed"].get<unsigned long long>(), s["elapsed_s"].get<double>() / 60,
              s["validators"].get<unsigned long long>(), s["rate_per_s"].get<double>());
  std::printf("kills       %llu kill -9, %llu restarts, one validator down at a time\n",
              s["kills"].get<unsigned long long>(), s["restarts"].get<unsigned long long>());
  if (s["restarts"].get<std::uint64_t>() == 0)
    std::printf("catch-up    no restart\n");
  else
    std::printf("catch-up    max %.1f s (%s), mean %.1f s; limit %lld s\n",
                s["catch_up_max_s"].get<double>(), s["catch_up_slowest"].get<std::string>().c_str(),
                s["catch_up_mean_s"].get<double>(), s["catch_up_limit_s"].get<long long>());
  std::printf(
      "load        %s signed, %s acknowledged (%s); %s resent after a crash lost them, %s "
      "busy retries\n",
      cli::with_commas(s["signed"].get<std::uint64_t>()).c_str(),
      cli::with_commas(s["acknowledged"].get<std::uint64_t>()).c_str(), receipt_path.c_str(),
      cli::with_commas(s["resent_after_loss"].get<std::uint64_t>()).c_str(),
      cli::with_commas(s["busy_retries"].get<std::uint64_t>()).c_str());
  if (s.contains("height")) {
    std::printf(
        "ledger      height %llu, %s transactions; every validator holds the same blocks "
        "1..%llu, state root %s\n",
        s["height"].get<unsigned long long>(),
        cli::with_commas(s["transactions"].get<std::uint64_t>()).c_str(),
        s["height"].get<unsigned long long>(),
        s["state_root"].get<std::string>().substr(0, 16).c_str());
    std::printf("receipts    %s of %s acknowledged transactions found in the ledger\n",
                cli::with_commas(s["receipts_found"].get<std::uint64_t>()).c_str(),
                cli::with_commas(s["receipts"].get<std::uint64_t>()).c_str());
  }
}

int Soak::report(const std::string& failure) {
  double elapsed_s = std::chrono::duration<double>(Clock::now() - start_).count();
  SoakLoadStats load = load_ ? load_->stats() : SoakLoadStats{};
  json out = summary_json(seed_, options_, cluster_.size(), elapsed_s, kills_, restarts_,
                          catch_ups_, load);
  if (ledger_) {
    out["height"] = ledger_->height;
    out["transactions"] = ledger_->transactions;
    out["tip_hash"] = ledger_->tip_hash_hex;
    out["state_root"] = ledger_->state_root_hex;
    out["receipts"] = receipts_;
    out["receipts_found"] = found_;
  }
  std::string path = cluster_.testnet().dir + "/" + kSoakReceiptsFile;
  // The verdict is one line; details that span lines (log tails) go just above it.
  std::string headline = failure, details;
  if (auto newline = failure.find('\n'); newline != std::string::npos) {
    headline = failure.substr(0, newline);
    details = failure.substr(newline + 1);
  }
  std::string verdict = failure.empty() ? "PASS" : "FAIL: " + headline;
  if (options_.json) {
    out["receipt_log"] = path;
    out["pass"] = failure.empty();
    out["verdict"] = verdict;
    if (!details.empty())
      out["details"] = details;
    cli::print_json(out);
  } else {
    print_summary_text(out, path);
    if (!details.empty())
      std::printf("%s\n", details.c_str());
    if (!failure.empty())
      std::printf("replay      the same kill schedule: --seed %llu\n",
                  static_cast<unsigned long long>(seed_));
    std::printf("%s\n", verdict.c_str());
  }
  return failure.empty() ? 0 : 1;
}

}  // namespace

Result<int> cmd_soak(const SoakOptions& options) {
  if (options.duration_s == 0 || options.rate_per_s <= 0)
    return make_error("soak: the duration and the rate must be positive");
  if (options.kill_every_min_s == 0 || options.kill_every_min_s > options.kill_every_max_s)
    return make_error("--kill-every: MIN-MAX seconds with 1 <= MIN <= MAX");
  auto testnet = load_testnet(options.dir);
  if (!testnet)
    return testnet.error();
  if (testnet->genesis.mode != chain::ConsensusMode::kPbft || testnet->validator_count() < 4)
    return make_error("soak needs a PBFT testnet of at least 4 validators (this one: " +
                      std::string(chain::to_string(testnet->genesis.mode)) + ", " +
                      std::to_string(testnet->validator_count()) + " validators)");
  // Full nodes (if any) keep following on their own; the kills hit validators.
  Cluster cluster(validators_only(std::move(*testnet)));
  std::uint64_t seed = options.seed ? *options.seed : std::random_device{}();
  InterruptGuard guard;
  Soak soak(cluster, options, seed);
  if (!options.json)
    std::printf(
        "soak: seed %llu, %llu s, %g transfers/s, a kill every %llu-%llu s; receipts in "
        "%s/%s\n",
        static_cast<unsigned long long>(seed), static_cast<unsigned long long>(options.duration_s),
        options.rate_per_s, static_cast<unsigned long long>(options.kill_every_min_s),
        static_cast<unsigned long long>(options.kill_every_max_s), options.dir.c_str(),
        kSoakReceiptsFile);
  Status result = soak.prepare();
  if (result)
    result = soak.cycles();
  if (result)
    result = soak.finish();
  soak.cleanup();
  std::string failure = result ? "" : result.message();
  int code = soak.report(failure);
  return interrupted() ? 130 : code;
}

}  // namespace synod::testnet
