#include "testnet/bench.h"

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <unordered_map>

#include "chain/block.h"
#include "chain/transaction.h"
#include "client/blocks_answer.h"
#include "crypto/hex.h"
#include "crypto/key_file.h"
#include "testnet/cluster.h"
#include "testnet/netns_commands.h"
#include "testnet/verify_rate.h"
#include "wallet/cli_support.h"

namespace synod::testnet {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

// An account never has more than this many transactions submitted and not yet seen
// committed: the node's mempool keeps at most 64 pending transactions per sender by default.
constexpr std::uint64_t kInFlightPerAccount = 64;
// Max mode pre-signs this many transactions per second of the run (above the machine's
// ceiling; running out is reported), and never more than kMaxPresigned (~200 bytes each).
constexpr std::uint64_t kMaxModeBudgetPerSecond = 16'000;
constexpr std::uint64_t kMaxPresigned = 1'000'000;

// Transaction hashes are uniformly distributed: their first bytes are a fine bucket hash.
struct HashOfHash {
  std::size_t operator()(const crypto::Hash256& hash) const {
    std::size_t out = 0;
    std::memcpy(&out, hash.data.data(), sizeof out);
    return out;
  }
};

struct PreparedTx {
  Bytes encoded;  // hex-encoded when sent: half the memory of keeping the text
  crypto::Hash256 hash;
  std::uint32_t account = 0;
  std::uint32_t position = 0;  // index in its account's nonce sequence
};

struct Workload {
  std::vector<PreparedTx> txs;
  std::vector<std::vector<std::uint32_t>> by_account;
  std::unordered_map<crypto::Hash256, std::uint32_t, HashOfHash> index;
  std::unique_ptr<std::atomic<std::int64_t>[]> submit_ns;
  std::unique_ptr<std::atomic<std::int64_t>[]> commit_ns;
  std::unique_ptr<std::atomic<std::uint64_t>[]> committed_per_account;
  std::atomic<std::uint64_t> accepted{0};
  std::atomic<std::uint64_t> committed{0};
};

std::unique_ptr<Workload> prepare(const std::vector<crypto::KeyPair>& keys,
                                  const std::vector<std::uint64_t>& nonces,
                                  const chain::SigningDomain& domain, std::uint64_t count) {
  auto work = std::make_unique<Workload>();
  std::size_t accounts = keys.size();
  work->txs.resize(count);
  work->by_account.resize(accounts);
  for (std::uint64_t i = 0; i < count; ++i) {
    auto account = static_cast<std::uint32_t>(i % accounts);
    work->txs[i].account = account;
    work->txs[i].position = static_cast<std::uint32_t>(work->by_account[account].size());
    work->by_account[account].push_back(static_cast<std::uint32_t>(i));
  }
  std::vector<chain::Address> addresses;
  for (const auto& key : keys)
    addresses.push_back(chain::address_of(key.public_key()));
  std::atomic<std::uint64_t> done{0};
  auto sign_range = [&](std::uint64_t begin, std::uint64_t end) {
    for (std::uint64_t i = begin; i < end; ++i) {
      auto& item = work->txs[i];
      auto tx =
          chain::make_transfer(keys[item.account], domain, addresses[(item.account + 1) % accounts],
                               1, 0, nonces[item.account] + item.position);
      item.encoded = tx.encode();
      item.hash = tx.hash();
      done.fetch_add(1, std::memory_order_relaxed);
    }
  };
  std::size_t threads = std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> pool;
  for (std::size_t t = 0; t < threads; ++t)
    pool.emplace_back(sign_range, count * t / threads, count * (t + 1) / threads);
  cli::Progress progress("pre-signing " + cli::with_commas(count) + " transfers");
  while (done.load() < count) {
    progress.update(std::to_string(done.load() * 100 / std::max<std::uint64_t>(count, 1)) + "%");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  for (auto& thread : pool)
    thread.join();
  progress.finish();
  work->index.reserve(count);
  for (std::uint64_t i = 0; i < count; ++i)
    work->index.emplace(work->txs[i].hash, static_cast<std::uint32_t>(i));
  work->submit_ns = std::make_unique<std::atomic<std::int64_t>[]>(count);
  work->commit_ns = std::make_unique<std::atomic<std::int64_t>[]>(count);
  work->committed_per_account = std::make_unique<std::atomic<std::uint64_t>[]>(accounts);
  return work;
}

struct SenderReport {
  std::uint64_t requests = 0;
  std::uint64_t retried = 0;  // refused as mempool_full or sender_limit, sent again
  std::map<std::string, std::uint64_t> refused;
  std::uint64_t transport_errors = 0;
  bool exhausted = false;
  std::string fatal;
  std::vector<std::int64_t> rpc_ns;  // each submit_tx batch's round trip
};

struct SenderPlan {
  client::Endpoint endpoint;
  std::vector<std::uint32_t> accounts;
  double rate = 0;  // per second; 0: unpaced
  // When a paced sender's schedule starts, after the run's: K senders offset by 1/K of a
  // period each submit in turn, an even stream, rather than K at the same instants.
  std::int64_t phase_ns = 0;
  std::size_t batch_max = 100;
};

class Sender {
 public:
  Sender(Workload& work, SenderPlan plan, const std::atomic<bool>& stop)
      : work_(work), plan_(std::move(plan)), stop_(stop), client_(plan_.endpoint, options()) {
    next_.assign(plan_.accounts.size(), 0);
    accepted_.assign(work_.txs.size(), 0);
    for (std::size_t slot = 0; slot < plan_.accounts.size(); ++slot)
      slot_of_[plan_.accounts[slot]] = slot;
  }

  SenderReport run(std::int64_t start_ns) {
    std::uint64_t sent = 0;
    auto last_success = Clock::now();
    while (!stop_.load(std::memory_order_relaxed)) {
      std::size_t allowed = plan_.batch_max;
      if (plan_.rate > 0) {
        double elapsed_s = static_cast<double>(now_ns() - start_ns - plan_.phase_ns) / 1e9;
        if (elapsed_s < 0) {
          std::this_thread::sleep_for(std::chrono::microseconds(500));
          continue;
        }
        auto due =
            static_cast<std::int64_t>(plan_.rate * elapsed_s) + 1 - static_cast<std::int64_t>(sent);
        if (due <= 0) {
          std::this_thread::sleep_for(std::chrono::microseconds(500));
          continue;
        }
        allowed = std::min<std::size_t>(static_cast<std::size_t>(due), plan_.batch_max);
      }
      auto batch = collect(allowed);
      if (batch.empty()) {
        if (report_.exhausted)
          break;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        continue;
      }
      sent += batch.size();
      if (send(batch)) {
        last_success = Clock::now();
      } else if (Clock::now() - last_success > std::chrono::seconds(10)) {
        report_.fatal = "no successful submission to " + plan_.endpoint.to_string() + " for 10 s";
        break;
      }
    }
    return report_;
  }

 private:
  static client::RpcClientOptions options() {
    client::RpcClientOptions out;
    out.request_timeout = std::chrono::milliseconds(15000);
    return out;
  }

  // Round-robin over this sender's accounts, skipping those with too much in flight.
  std::vector<std::uint32_t> collect(std::size_t allowed) {
    std::vector<std::uint32_t> batch;
    std::size_t idle = 0;
    bool any_left = false;
    while (batch.size() < allowed && idle < plan_.accounts.size()) {
      std::size_t slot = cursor_++ % plan_.accounts.size();
      std::uint32_t account = plan_.accounts[slot];
      const auto& sequence = work_.by_account[account];
      std::uint64_t committed = work_.committed_per_account[account].load();
      if (next_[slot] < sequence.size())
        any_left = true;
      if (next_[slot] < sequence.size() && next_[slot] < committed + kInFlightPerAccount) {
        batch.push_back(sequence[next_[slot]++]);
        idle = 0;
      } else {
        ++idle;
      }
    }
    if (!any_left && batch.empty())
      report_.exhausted = true;
    return batch;
  }

  void rewind(std::uint32_t tx) {
    const auto& item = work_.txs[tx];
    std::size_t slot = slot_of_.at(item.account);
    next_[slot] = std::min<std::size_t>(next_[slot], item.position);
  }

  bool send(const std::vector<std::uint32_t>& batch) {
    std::string body = "[";
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (i > 0)
        body += ',';
      body += R"({"jsonrpc":"2.0","id":)" + std::to_string(i) +
              R"(,"method":"submit_tx","params":{"tx":")" +
              crypto::to_hex(work_.txs[batch[i]].encoded) + "\"}}";
    }
    body += ']';
    std::int64_t submitted_at = now_ns();
    for (std::uint32_t tx : batch)
      work_.submit_ns[tx].store(submitted_at);
    ++report_.requests;
    auto reply = client_.post_raw(body);
    report_.rpc_ns.push_back(now_ns() - submitted_at);
    json response = reply ? json::parse(*reply, nullptr, false) : json();
    if (!response.is_array()) {
      ++report_.transport_errors;
      for (std::uint32_t tx : batch)
        rewind(tx);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      return false;
    }
    std::vector<bool> answered(batch.size(), false);
    for (const json& entry : response) {
      if (!entry.is_object() || !entry.contains("id") || !entry["id"].is_number_unsigned())
        continue;
      auto i = entry["id"].get<std::size_t>();
      if (i >= batch.size())
        continue;
      answered[i] = true;
      std::string reason;
      if (entry.contains("error")) {
        const json& error = entry["error"];
        reason = "error";
        if (error.is_object() && error.contains("data") && error["data"].is_object() &&
            error["data"].contains("reason") && error["data"]["reason"].is_string())
          reason = error["data"]["reason"].get<std::string>();
      }
      // Full, or the sender at its per-account cap (the node saw a commit before we did):
      // both pass once blocks commit.
      if (reason == "mempool_full" || reason == "sender_limit") {
        ++report_.retried;
        rewind(batch[i]);
        continue;
      }
      if (!reason.empty() && reason != "duplicate" && reason != "stale_nonce") {
        ++report_.refused[reason];
        continue;
      }
      if (!accepted_[batch[i]]) {
        accepted_[batch[i]] = 1;
        work_.accepted.fetch_add(1);
      }
    }
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (!answered[i])
        rewind(batch[i]);
    }
    return true;
  }

  Workload& work_;
  SenderPlan plan_;
  const std::atomic<bool>& stop_;
  client::RpcClient client_;
  std::vector<std::size_t> next_;
  std::vector<std::uint8_t> accepted_;  // by tx id; only this sender's txs are touched
  std::unordered_map<std::uint32_t, std::size_t> slot_of_;
  std::size_t cursor_ = 0;
  SenderReport report_;
};

struct ObserverReport {
  std::uint64_t blocks = 0;
  std::uint64_t block_transactions = 0;
  std::string error;
};

// The observer's long poll: node-0 holds a get_blocks request for its next block until that
// block commits or this much time has passed (then it answers with no blocks).
constexpr std::uint64_t kObserveWaitMs = 1000;
// Blocks asked for at once, the node's cap (kMaxFetchBlocks): when the observer has fallen
// behind, one answer catches it up.
constexpr std::uint64_t kObserveMaxBlocks = 64;

// The blocks of a get_blocks answer for `from_height`, decoded, at consecutive heights from
// it. The node is our own, but its answer still came over the wire: anything unexpected is
// an error, never a crash.
Result<std::vector<chain::Block>> decode_blocks(const client::RpcOutcome& outcome,
                                                std::uint64_t from_height) {
  if (!outcome.ok())
    return make_error(client::describe(outcome.error()));
  auto answer = client::decode_blocks_answer(outcome.result(), kObserveMaxBlocks);
  if (!answer.problem.empty())
    return make_error(answer.problem);
  for (std::size_t i = 0; i < answer.blocks.size(); ++i) {
    if (answer.blocks[i].header.height != from_height + i) {
      return make_error("get_blocks: block " + std::to_string(answer.blocks[i].header.height) +
                        " where " + std::to_string(from_height + i) + " was expected");
    }
  }
  return std::move(answer.blocks);
}

// Matches the transactions of a committed block to the submissions. A transaction's hash is
// computed here: the canonical block carries none.
void record_commits(Workload& work, const chain::Block& block, std::int64_t committed_at,
                    ObserverReport& report) {
  for (const auto& tx : block.transactions) {
    auto found = work.index.find(tx.hash());
    if (found == work.index.end())
      continue;
    std::int64_t expected = 0;
    if (work.commit_ns[found->second].compare_exchange_strong(expected, committed_at)) {
      work.committed_per_account[work.txs[found->second].account].fetch_add(1);
      work.committed.fetch_add(1);
    }
  }
  report.block_transactions += block.transactions.size();
  ++report.blocks;
}

// Follows the chain on one node from `first_height` with long-polling get_blocks. The node
// answers a request for its next block the moment that block commits (2f+1 commits, final),
// before it is stored, so the answer's arrival is the commit time of every transaction in
// it: no poll interval of jitter, and the node sends blocks in their canonical encoding
// rather than rendering each transaction as JSON.
ObserverReport observe(Workload& work, const client::Endpoint& endpoint, std::uint64_t first_height,
                       const std::atomic<bool>& stop) {
  client::RpcClientOptions options;
  // Beyond the long poll, so that a quiet chain gives an empty answer rather than a timeout.
  options.request_timeout = std::chrono::milliseconds(kObserveWaitMs + 5000);
  client::RpcClient client(endpoint, options);
  ObserverReport report;
  std::uint64_t next = first_height;
  while (!stop.load(std::memory_order_relaxed)) {
    auto asked_at = Clock::now();
    auto outcome = client.call(
        "get_blocks",
        {{"from_height", next}, {"max_blocks", kObserveMaxBlocks}, {"wait_ms", kObserveWaitMs}});
    std::int64_t answered_at = now_ns();
    auto blocks = decode_blocks(outcome, next);
    if (!blocks) {
      report.error = blocks.message();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    for (const auto& block : *blocks)
      record_commits(work, block, answered_at, report);
    next += blocks->size();
    // Empty long before wait_ms: the node did not hold the request (it holds only so many,
    // and none while stopping). Back off rather than spin.
    if (blocks->empty() && Clock::now() - asked_at < std::chrono::milliseconds(kObserveWaitMs / 2))
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return report;
}

struct NodeUsage {
  std::string name;
  pid_t pid = 0;
  ProcessSample start;
  ProcessSample end;
  std::uint64_t rss_max = 0;
};

double generator_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

double percentile_ms(const std::vector<std::int64_t>& sorted_ns, double q) {
  if (sorted_ns.empty())
    return 0;
  auto index = std::min(sorted_ns.size() - 1,
                        static_cast<std::size_t>(q * static_cast<double>(sorted_ns.size())));
  return static_cast<double>(sorted_ns[index]) / 1e6;
}

std::string ms_text(double ms) {
  char text[32];
  std::snprintf(text, sizeof text, ms < 10 ? "%.2f ms" : "%.1f ms", ms);
  return text;
}

std::string mb_text(std::uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.0f MB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return text;
}

// The validator every sender submits to (--node), if one was named.
Result<std::optional<std::size_t>> find_target(const BenchOptions& options,
                                               const Testnet& testnet) {
  if (options.target.empty())
    return std::optional<std::size_t>();
  auto index = parse_node(options.target, testnet.validator_count(), testnet.full_node_count());
  if (!index)
    return make_error("--node: " + index.message());
  if (!testnet.nodes[*index].is_validator()) {
    return make_error("--node: " + testnet.nodes[*index].name +
                      " is a full node; bench sends its load to validators");
  }
  return std::optional<std::size_t>(*index);
}

// Every node of `cluster` runs and is connected to all its peers.
Status check_all_up(Cluster& cluster, const std::string& dir) {
  std::vector<std::size_t> all;
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    if (cluster.process(i).state != ProcessState::kRunning) {
      return make_error(cluster.node(i).name + " is not running; bench needs the whole testnet " +
                        "up (synod-testnet up --dir " + dir + ")");
    }
    all.push_back(i);
  }
  return cluster.wait_healthy(all, 1, true, std::chrono::seconds(20), "checking nodes");
}

// The funded accounts' keys and their next nonces, as node-0 sees them.
struct Accounts {
  std::vector<crypto::KeyPair> keys;
  std::vector<std::uint64_t> nonces;
};

Result<Accounts> load_accounts(Cluster& cluster) {
  Accounts accounts;
  for (const auto& file : cluster.testnet().account_files) {
    auto key = crypto::load_key_file(file);
    if (!key)
      return make_error(file + ": " + key.message());
    auto account = cluster.call(
        0, "get_account", {{"address", chain::to_string(chain::address_of(key->public_key()))}});
    if (!account)
      return account.error();
    accounts.nonces.push_back(account->value("nonce", std::uint64_t{0}));
    accounts.keys.push_back(*key);
  }
  if (accounts.keys.empty())
    return make_error("the testnet has no funded accounts");
  return accounts;
}

// How many transfers to pre-sign: the offered rate over the run plus a second's worth, or in
// max mode the budget per second; never more than kMaxPresigned.
std::uint64_t presign_count(const BenchOptions& options) {
  double duration = options.duration_s;
  std::uint64_t budget =
      options.rate > 0
          ? static_cast<std::uint64_t>(std::ceil(static_cast<double>(options.rate) * duration)) +
                options.rate
          : static_cast<std::uint64_t>(kMaxModeBudgetPerSecond * duration);
  return std::min(budget, kMaxPresigned);
}

std::vector<NodeUsage> start_usage(Cluster& cluster) {
  std::vector<NodeUsage> usage;
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    NodeUsage item{cluster.node(i).name, cluster.process(i).pid, {}, {}, 0};
    if (auto sample = sample_process(item.pid)) {
      item.start = *sample;
      item.rss_max = sample->rss_bytes;
    }
    usage.push_back(item);
  }
  return usage;
}

// Sender k of `senders`: its node, its share of the accounts and of the rate, its phase.
SenderPlan plan_sender(const Cluster& cluster, const BenchOptions& options,
                       std::optional<std::size_t> target, std::size_t accounts, std::size_t k,
                       std::size_t senders) {
  SenderPlan plan;
  plan.endpoint = cluster.node(target ? *target : k % cluster.size()).rpc;
  for (std::uint32_t a = 0; a < accounts; ++a) {
    if (a % senders == k)
      plan.accounts.push_back(a);
  }
  plan.rate = static_cast<double>(options.rate) / static_cast<double>(senders);
  if (plan.rate > 0)
    plan.phase_ns = static_cast<std::int64_t>(1e9 / plan.rate * static_cast<double>(k) /
                                              static_cast<double>(senders));
  plan.batch_max = options.batch_max;
  return plan;
}

// What the load run measured.
struct LoadRun {
  std::vector<SenderReport> senders;
  ObserverReport observer;
  std::int64_t start_ns = 0;
  std::int64_t end_ns = 0;       // when the senders stopped
  double generator_cpu_s = 0;    // this process's CPU time during the load
  std::vector<NodeUsage> usage;  // the nodes' CPU and memory
};

// Until `end_at`: a progress line and the nodes' peak memory, once a second.
void watch_load(const Workload& work, std::vector<NodeUsage>& usage, std::int64_t start_ns,
                Clock::time_point end_at, cli::Progress& progress) {
  while (Clock::now() < end_at) {
    std::this_thread::sleep_for(
        std::min<Clock::duration>(end_at - Clock::now(), std::chrono::seconds(1)));
    for (auto& item : usage) {
      if (auto sample = sample_process(item.pid))
        item.rss_max = std::max(item.rss_max, sample->rss_bytes);
    }
    double elapsed = static_cast<double>(now_ns() - start_ns) / 1e9;
    progress.update(cli::with_commas(work.accepted.load()) + " submitted, " +
                    cli::with_commas(work.committed.load()) + " committed (" +
                    cli::with_commas(static_cast<std::uint64_t>(
                        static_cast<double>(work.committed.load()) / std::max(elapsed, 0.001))) +
                    " tx/s)");
  }
}

// Gives what was accepted up to 15 s to commit, for the latency figures.
void drain(const Workload& work, cli::Progress& progress) {
  auto drain_until = Clock::now() + std::chrono::seconds(15);
  while (work.committed.load() < work.accepted.load() && Clock::now() < drain_until) {
    progress.update("draining: " + cli::with_commas(work.accepted.load() - work.committed.load()) +
                    " accepted transfers not yet committed");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

// The run: an observer on node-0 from `first_height`, `senders` sender threads for the
// duration, then the drain.
LoadRun run_load(Cluster& cluster, Workload& work, const BenchOptions& options,
                 std::optional<std::size_t> target, std::size_t accounts, std::size_t senders,
                 std::uint64_t first_height) {
  LoadRun run;
  run.usage = start_usage(cluster);
  std::atomic<bool> stop_senders{false};
  std::atomic<bool> stop_observer{false};
  run.start_ns = now_ns();
  double generator_start = generator_cpu_seconds();
  std::thread observer(
      [&] { run.observer = observe(work, cluster.node(0).rpc, first_height, stop_observer); });
  run.senders.resize(senders);
  std::vector<std::thread> threads;
  for (std::size_t k = 0; k < senders; ++k) {
    SenderPlan plan = plan_sender(cluster, options, target, accounts, k, senders);
    threads.emplace_back([&, k, plan]() mutable {
      Sender sender(work, std::move(plan), stop_senders);
      run.senders[k] = sender.run(run.start_ns);
    });
  }
  cli::Progress progress("bench", std::chrono::milliseconds(0));
  watch_load(work, run.usage, run.start_ns,
             Clock::now() +
                 std::chrono::milliseconds(static_cast<std::int64_t>(options.duration_s * 1000)),
             progress);
  stop_senders = true;
  for (auto& thread : threads)
    thread.join();
  run.end_ns = now_ns();
  run.generator_cpu_s = generator_cpu_seconds() - generator_start;
  for (auto& item : run.usage) {
    if (auto sample = sample_process(item.pid)) {
      item.end = *sample;
      item.rss_max = std::max(item.rss_max, sample->rss_bytes);
    }
  }
  drain(work, progress);
  stop_observer = true;
  observer.join();
  progress.finish();
  return run;
}

// The figures bench reports.
struct Figures {
  double window_s = 0;
  std::uint64_t committed_in_window = 0;
  std::vector<std::int64_t> latencies_ns;  // sorted
  std::vector<std::int64_t> rpc_ns;        // submit_tx round trips, sorted
  std::map<std::string, std::uint64_t> refused;
  std::uint64_t retried = 0;
  std::uint64_t requests = 0;
  std::uint64_t transport_errors = 0;
  bool exhausted = false;
  double tps = 0;
  double mean_block = 0;
  std::uint64_t submitted = 0;
  std::uint64_t committed = 0;
  std::uint64_t uncommitted = 0;  // accepted, not committed after the drain
};

// The senders' reports summed; an error when one of them gave up.
Status add_sender_reports(const std::vector<SenderReport>& reports, Figures& figures) {
  for (const auto& report : reports) {
    for (const auto& [reason, count] : report.refused)
      figures.refused[reason] += count;
    figures.retried += report.retried;
    figures.requests += report.requests;
    figures.transport_errors += report.transport_errors;
    figures.exhausted = figures.exhausted || report.exhausted;
    figures.rpc_ns.insert(figures.rpc_ns.end(), report.rpc_ns.begin(), report.rpc_ns.end());
    if (!report.fatal.empty())
      return make_error("bench: " + report.fatal);
  }
  return Status::success();
}

Result<Figures> figures_of(const Workload& work, const LoadRun& run) {
  Figures figures;
  figures.window_s = static_cast<double>(run.end_ns - run.start_ns) / 1e9;
  for (std::size_t i = 0; i < work.txs.size(); ++i) {
    std::int64_t committed_at = work.commit_ns[i].load();
    std::int64_t submitted_at = work.submit_ns[i].load();
    if (committed_at == 0 || submitted_at == 0)
      continue;
    if (committed_at <= run.end_ns)
      ++figures.committed_in_window;
    figures.latencies_ns.push_back(std::max<std::int64_t>(0, committed_at - submitted_at));
  }
  std::sort(figures.latencies_ns.begin(), figures.latencies_ns.end());
  if (auto status = add_sender_reports(run.senders, figures); !status)
    return status.error();
  std::sort(figures.rpc_ns.begin(), figures.rpc_ns.end());
  figures.tps = static_cast<double>(figures.committed_in_window) / figures.window_s;
  figures.mean_block = run.observer.blocks == 0
                           ? 0
                           : static_cast<double>(run.observer.block_transactions) /
                                 static_cast<double>(run.observer.blocks);
  figures.submitted = work.accepted.load();
  figures.committed = work.committed.load();
  figures.uncommitted = figures.submitted - std::min(figures.submitted, figures.committed);
  return figures;
}

double max_latency_ms(const Figures& figures) {
  return figures.latencies_ns.empty() ? 0.0
                                      : static_cast<double>(figures.latencies_ns.back()) / 1e6;
}

// A node's CPU use over the window, in percent of one core.
double cpu_percent(const NodeUsage& item, double window_s) {
  return (item.end.cpu_seconds - item.start.cpu_seconds) / window_s * 100.0;
}

// The Ed25519 ceiling of this testnet on this machine and how much of it the run reached.
json ceiling_json(const VerifyRate& verify, std::size_t nodes, double tps) {
  double ceiling = verify.ceiling_tps(nodes);
  return {{"verify_per_core_per_s", std::round(verify.per_core_per_s)},
          {"cores", verify.cores},
          {"ceiling_tps", std::round(ceiling)},
          {"ratio", ceiling > 0 ? std::round(tps / ceiling * 1000) / 1000 : 0.0}};
}

void print_ceiling_text(const VerifyRate& verify, std::size_t nodes, double tps) {
  double ceiling = verify.ceiling_tps(nodes);
  std::printf(
      "ed25519     %s verifications/s per core here (%u cores): %zu nodes that each verify "
      "every transfer once can commit at most %s tx/s on this machine; this run reached "
      "%.0f%%\n",
      cli::with_commas(static_cast<std::uint64_t>(verify.per_core_per_s)).c_str(), verify.cores,
      nodes, cli::with_commas(static_cast<std::uint64_t>(ceiling)).c_str(),
      ceiling > 0 ? tps / ceiling * 100 : 0.0);
}

void print_bench_json(const Cluster& cluster, const BenchOptions& options, std::size_t senders,
                      const LoadRun& run, const Figures& f, const VerifyRate& verify) {
  json nodes = json::array();
  double total_cpu = 0;
  for (const auto& item : run.usage) {
    double cpu = cpu_percent(item, f.window_s);
    total_cpu += cpu;
    nodes.push_back({{"name", item.name},
                     {"pid", item.pid},
                     {"cpu_percent", std::round(cpu * 10) / 10},
                     {"rss_mb_start", item.start.rss_bytes / (1024 * 1024)},
                     {"rss_mb_max", item.rss_max / (1024 * 1024)},
                     {"rss_mb_end", item.end.rss_bytes / (1024 * 1024)}});
  }
  json refused = json::object();
  for (const auto& [reason, count] : f.refused)
    refused[reason] = count;
  json out = {{"nodes_count", cluster.size()},
              {"duration_s", std::round(f.window_s * 100) / 100},
              {"rate_target", options.rate == 0 ? json("max") : json(options.rate)},
              {"senders", senders},
              {"observer", cluster.node(0).name},
              {"submitted", f.submitted},
              {"requests", f.requests},
              {"retried_mempool_full", f.retried},
              {"refused", refused},
              {"transport_errors", f.transport_errors},
              {"presigned_exhausted", f.exhausted},
              {"committed", f.committed},
              {"committed_in_window", f.committed_in_window},
              {"uncommitted_after_drain", f.uncommitted},
              {"tps", std::round(f.tps * 10) / 10},
              {"latency_ms",
               {{"p50", percentile_ms(f.latencies_ns, 0.50)},
                {"p90", percentile_ms(f.latencies_ns, 0.90)},
                {"p99", percentile_ms(f.latencies_ns, 0.99)},
                {"max", max_latency_ms(f)},
                {"samples", f.latencies_ns.size()}}},
              {"rpc_ms",
               {{"p50", percentile_ms(f.rpc_ns, 0.50)},
                {"p99", percentile_ms(f.rpc_ns, 0.99)},
                {"samples", f.rpc_ns.size()}}},
              {"blocks", run.observer.blocks},
              {"mean_block_transactions", std::round(f.mean_block * 10) / 10},
              {"nodes", nodes},
              {"nodes_cpu_percent_total", std::round(total_cpu * 10) / 10},
              {"generator_cpu_percent", std::round(run.generator_cpu_s / f.window_s * 1000) / 10},
              {"ed25519", ceiling_json(verify, cluster.size(), f.tps)},
              {"links", describe_links(options.dir)}};
  cli::print_json(out);
}

// The table of the nodes' CPU and memory, and the line under it.
void print_usage_text(const LoadRun& run, const Figures& f) {
  cli::Table table({"NODE", "PID", "CPU", "RSS START", "RSS MAX", "RSS END"});
  table.right(1).right(2).right(3).right(4).right(5);
  double total_cpu = 0;
  for (const auto& item : run.usage) {
    double cpu = cpu_percent(item, f.window_s);
    total_cpu += cpu;
    char cpu_text[16];
    std::snprintf(cpu_text, sizeof cpu_text, "%.0f%%", cpu);
    table.add({item.name, std::to_string(item.pid), cpu_text, mb_text(item.start.rss_bytes),
               mb_text(item.rss_max), mb_text(item.end.rss_bytes)});
  }
  std::printf("\n%s", table.render().c_str());
  std::printf("nodes together %.0f%% CPU (%u cores); load generator %.0f%%\n", total_cpu,
              std::thread::hardware_concurrency(), run.generator_cpu_s / f.window_s * 100.0);
}

void print_bench_text(const Cluster& cluster, const BenchOptions& options, std::size_t senders,
                      const LoadRun& run, const Figures& f, const VerifyRate& verify) {
  std::printf("bench: %zu nodes, %zu senders, rate %s, %.1f s, commits observed on %s\n",
              cluster.size(), senders,
              options.rate == 0 ? "max" : (cli::with_commas(options.rate) + " tx/s").c_str(),
              f.window_s, cluster.node(0).name.c_str());
  std::printf("links       %s\n\n", describe_links(options.dir).c_str());
  std::printf(
      "submitted   %s transfers in %s requests (%s tx/s offered)%s\n",
      cli::with_commas(f.submitted).c_str(), cli::with_commas(f.requests).c_str(),
      cli::with_commas(static_cast<std::uint64_t>(static_cast<double>(f.submitted) / f.window_s))
          .c_str(),
      f.exhausted ? " — ran out of pre-signed transfers" : "");
  std::printf("committed   %s in the window: %s tx/s\n",
              cli::with_commas(f.committed_in_window).c_str(),
              cli::with_commas(static_cast<std::uint64_t>(f.tps)).c_str());
  std::printf("latency     p50 %s, p90 %s, p99 %s, max %s (submit to commit, %s samples)\n",
              ms_text(percentile_ms(f.latencies_ns, 0.5)).c_str(),
              ms_text(percentile_ms(f.latencies_ns, 0.9)).c_str(),
              ms_text(percentile_ms(f.latencies_ns, 0.99)).c_str(),
              ms_text(max_latency_ms(f)).c_str(), cli::with_commas(f.latencies_ns.size()).c_str());
  std::printf("rpc         submit_tx batches answered in p50 %s, p99 %s\n",
              ms_text(percentile_ms(f.rpc_ns, 0.5)).c_str(),
              ms_text(percentile_ms(f.rpc_ns, 0.99)).c_str());
  std::printf("blocks      %s, %.1f transfers per block on average\n",
              cli::with_commas(run.observer.blocks).c_str(), f.mean_block);
  print_ceiling_text(verify, cluster.size(), f.tps);
  if (!f.refused.empty() || f.retried > 0 || f.transport_errors > 0 || f.uncommitted > 0) {
    std::string line;
    for (const auto& [reason, count] : f.refused)
      line += " " + reason + "=" + std::to_string(count);
    std::printf(
        "problems    refused:%s; mempool-full retries %llu; transport errors %llu; "
        "not committed after drain %llu\n",
        line.empty() ? " none" : line.c_str(), static_cast<unsigned long long>(f.retried),
        static_cast<unsigned long long>(f.transport_errors),
        static_cast<unsigned long long>(f.uncommitted));
  }
  print_usage_text(run, f);
}

}  // namespace

Status cmd_bench(const BenchOptions& options) {
  if (options.duration_s < 1 || options.duration_s > 3600)
    return make_error("--duration: must be 1 to 3600 seconds");
  if (options.senders == 0 || options.senders > 64)
    return make_error("--senders: must be 1 to 64");
  auto testnet = load_testnet(options.dir);
  if (!testnet)
    return testnet.error();
  auto target = find_target(options, *testnet);
  if (!target)
    return target.error();
  // The load goes to validators only; full nodes (if any) keep following on their own.
  Cluster cluster(validators_only(std::move(*testnet)));
  if (auto status = check_all_up(cluster, options.dir); !status)
    return status;
  auto accounts = load_accounts(cluster);
  if (!accounts)
    return accounts.error();
  std::size_t senders = std::min(options.senders, accounts->keys.size());
  // Measured before the load, while the nodes idle, so the rate is the machine's own.
  VerifyRate verify = measure_verify_rate();
  auto work = prepare(accounts->keys, accounts->nonces,
                      chain::SigningDomain::of(cluster.testnet().genesis), presign_count(options));
  auto first_height = cluster.heights({0});
  if (first_height.empty())
    return make_error("node-0 does not answer");
  LoadRun run = run_load(cluster, *work, options, *target, accounts->keys.size(), senders,
                         first_height.begin()->second + 1);
  auto figures = figures_of(*work, run);
  if (!figures)
    return figures.error();
  if (options.json)
    print_bench_json(cluster, options, senders, run, *figures, verify);
  else
    print_bench_text(cluster, options, senders, run, *figures, verify);
  return Status::success();
}

}  // namespace synod::testnet
