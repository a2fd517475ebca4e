#include "testnet/control.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "client/json_fields.h"
#include "client/process.h"
#include "crypto/hex.h"
#include "testnet/cluster.h"
#include "testnet/pos_status.h"
#include "testnet/pow_status.h"
#include "testnet/process.h"
#include "wallet/cli_support.h"

namespace synod::testnet {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

Status refuse_if_running(const std::string& dir) {
  auto testnet = load_testnet(dir);
  if (!testnet)
    return Status::success();  // nothing we know how to run lives there
  for (const auto& node : testnet->nodes) {
    if (find_process(node).state != ProcessState::kDown) {
      return make_error("the testnet in " + dir + " is running (" + node.name +
                        "); stop it first with: synod-testnet down --dir " + dir);
    }
  }
  return Status::success();
}

// A node named on the command line: a validator (2, node-2) or a full node (full-0).
Result<std::size_t> find_node(const Testnet& testnet, const std::string& text) {
  return parse_node(text, testnet.validator_count(), testnet.full_node_count());
}

// A testnet and one node of it that the command line named.
struct NamedNode {
  Testnet testnet;
  std::size_t index = 0;
  const NodeInfo& node() const { return testnet.nodes[index]; }
};

// The opening of the commands that act on one node (kill, pause, resume, logs): the
// testnet in `dir`, and the node `node_text` names in it.
Result<NamedNode> load_named_node(const std::string& dir, const std::string& node_text) {
  auto testnet = load_testnet(dir);
  if (!testnet)
    return testnet.error();
  auto index = find_node(*testnet, node_text);
  if (!index)
    return index.error();
  return NamedNode{std::move(*testnet), *index};
}

// The Byzantine behaviours are PBFT adversary wrappers; a PoW node would only pretend.
Status refuse_byzantine_pow(const Testnet& testnet) {
  if (testnet.genesis.mode != chain::ConsensusMode::kPow)
    return Status::success();
  return make_error(
      "--byzantine: the Byzantine behaviours are PBFT adversaries; synod-node has none for a "
      "pow testnet");
}

Status refuse_byzantine_full_node(const NodeInfo& node) {
  if (node.is_validator())
    return Status::success();
  return make_error("--byzantine: " + node.name +
                    " is a full node; Byzantine behaviours apply to validators only");
}

// A node's role for people: a PoW testnet's validators are its miners.
std::string role_label(const Testnet& testnet, const NodeInfo& node) {
  bool pow = testnet.genesis.mode == chain::ConsensusMode::kPow;
  return pow && node.is_validator() ? "miner" : to_string(node.role);
}

// "4 validators", "4 validators and 1 full node", "4 miners".
std::string describe_nodes(const Testnet& testnet) {
  std::size_t full = testnet.full_node_count();
  bool pow = testnet.genesis.mode == chain::ConsensusMode::kPow;
  std::string out = std::to_string(testnet.validator_count()) + (pow ? " miners" : " validators");
  if (full > 0)
    out += " and " + std::to_string(full) + (full == 1 ? " full node" : " full nodes");
  return out;
}

// "2=equivocate" or "node-2=forge-signature,replay" -> (2, kinds).
Result<std::pair<std::size_t, std::string>> parse_byzantine(const std::string& item,
                                                            const Testnet& testnet) {
  auto equals = item.find('=');
  if (equals == std::string::npos || equals + 1 == item.size()) {
    return make_error("--byzantine \"" + item +
                      "\": expected NODE=KIND[,KIND] (for example 0=equivocate)");
  }
  auto index = find_node(testnet, item.substr(0, equals));
  if (!index)
    return make_error("--byzantine: " + index.message());
  if (auto status = refuse_byzantine_full_node(testnet.nodes[*index]); !status)
    return status.error();
  return std::pair{*index, item.substr(equals + 1)};
}

}  // namespace

namespace {

// The proof-of-work parameters init chose; `hash_rate` is each miner's cap.
nlohmann::json pow_json(const Testnet& testnet, std::uint64_t hash_rate) {
  const auto& pow = testnet.genesis.pow;
  return {{"block_interval_ms", pow.block_interval_ms},
          {"hash_rate_per_miner", hash_rate},
          {"miners", testnet.validator_count()},
          {"initial_target", crypto::to_hex(pow.initial_target.view())},
          {"retarget_window", pow.retarget_window},
          {"block_reward", pow.block_reward}};
}

void print_init_json(const Testnet& testnet, const InitOptions& options) {
  const auto& genesis = testnet.genesis;
  nlohmann::json nodes = nlohmann::json::array();
  for (const auto& node : testnet.nodes) {
    nlohmann::json item = {{"name", node.name},
                           {"role", to_string(node.role)},
                           {"home", node.home},
                           {"rpc", node.rpc.to_string()},
                           {"peer", node.peer_address}};
    if (!node.is_validator())
      item["upstreams"] = node.upstreams;
    nodes.push_back(std::move(item));
  }
  nlohmann::json out = {{"dir", testnet.dir},
                        {"chain_id", genesis.chain_id},
                        {"consensus", chain::to_string(genesis.mode)},
                        {"genesis_hash", testnet.genesis_hash_hex},
                        {"nodes", nodes},
                        {"accounts", testnet.account_files},
                        {"account_balance", kAccountBalance},
                        {"runnable", true}};
  if (genesis.mode == chain::ConsensusMode::kPow)
    out["pow"] = pow_json(testnet, options.pow.hash_rate);
  if (genesis.mode == chain::ConsensusMode::kPos)
    out["pos"] = pos_init_json(testnet);
  cli::print_json(out);
}

// The consensus line of init's text report: what the validators (or miners) guarantee.
void print_consensus_line(const Testnet& testnet, const InitOptions& options) {
  const auto& genesis = testnet.genesis;
  std::size_t n = testnet.validator_count();
  if (genesis.mode == chain::ConsensusMode::kPbft) {
    std::printf("n = %zu validators tolerate f = %zu faulty; a block needs %zu commit signatures\n",
                n, genesis.validators.max_faulty(), genesis.validators.quorum());
  } else if (genesis.mode == chain::ConsensusMode::kPow) {
    std::printf(
        "proof of work: %zu miner%s at up to %s hashes/s each, one block every %s on average "
        "(initial target %s..., block reward %s)\n"
        "blocks are final only probabilistically: wait for confirmations "
        "(synod-wallet transfer --confirmations K)\n",
        n, n == 1 ? "" : "s", cli::with_commas(options.pow.hash_rate).c_str(),
        cli::format_duration(std::chrono::milliseconds(genesis.pow.block_interval_ms)).c_str(),
        crypto::to_hex(genesis.pow.initial_target.view()).substr(0, 16).c_str(),
        cli::with_commas(genesis.pow.block_reward).c_str());
  } else {
    std::printf("%s", pos_consensus_text(testnet).c_str());
  }
}

void print_init_text(const Testnet& testnet, const InitOptions& options) {
  const auto& genesis = testnet.genesis;
  std::size_t n = testnet.validator_count();
  std::size_t full = testnet.full_node_count();
  std::printf("initialised a %zu-node %s testnet in %s", n, chain::to_string(genesis.mode),
              testnet.dir.c_str());
  if (full > 0)
    std::printf(", plus %zu full node%s", full, full == 1 ? "" : "s");
  std::printf("\n");
  std::printf("chain id %s, genesis %s\n", genesis.chain_id.c_str(),
              cli::prefix(testnet.genesis_hash_hex, 16).c_str());
  print_consensus_line(testnet, options);
  std::printf("\n");
  bool pow = genesis.mode == chain::ConsensusMode::kPow;
  cli::Table table({"NODE", "ROLE", "PEER", "RPC", "HOME"});
  for (const auto& node : testnet.nodes) {
    table.add({node.name, role_label(testnet, node), node.is_validator() ? node.peer_address : "-",
               node.rpc.to_string(), node.home});
  }
  std::printf("%s\n", table.render().c_str());
  if (full > 0) {
    std::printf(pow ? "full nodes hold no miner key: they fetch blocks from the miners' RPC "
                      "(their \"upstreams\"), check every block's work and re-execute it, and "
                      "serve read-only RPC; transactions sent to them are relayed to a miner\n\n"
                    : "full nodes hold no validator key: they fetch certified blocks from the "
                      "validators' RPC (their \"upstreams\"), verify every certificate and "
                      "re-execute every block, and serve read-only RPC; transactions sent to "
                      "them are relayed to a validator\n\n");
  }
  std::printf("funded accounts: %zu, each with %s, keys in %s/accounts/account-N.json\n",
              testnet.account_files.size(), cli::with_commas(kAccountBalance).c_str(),
              testnet.dir.c_str());
  std::printf("\nnext: synod-testnet up --dir %s\n", testnet.dir.c_str());
}

}  // namespace

Status cmd_init(const InitOptions& options, bool as_json) {
  if (options.force) {
    if (auto status = refuse_if_running(options.dir); !status)
      return status;
  }
  auto testnet = init_testnet(options);
  if (!testnet)
    return testnet.error();
  if (as_json)
    print_init_json(*testnet, options);
  else
    print_init_text(*testnet, options);
  return Status::success();
}

namespace {

// The Byzantine kinds of `up --byzantine NODE=KIND[,KIND]...`, by node index ("" for an
// honest node). Warns on stderr when there are more than f.
Result<std::vector<std::string>> byzantine_kinds(const std::vector<std::string>& items,
                                                 const Testnet& testnet) {
  std::vector<std::string> kinds(testnet.nodes.size());
  if (!items.empty()) {
    if (auto status = refuse_byzantine_pow(testnet); !status)
      return status.error();
  }
  for (const auto& item : items) {
    auto parsed = parse_byzantine(item, testnet);
    if (!parsed)
      return parsed.error();
    kinds[parsed->first] = parsed->second;
  }
  std::size_t byzantine_count = 0;
  for (const auto& item : kinds)
    byzantine_count += item.empty() ? 0 : 1;
  std::size_t f = testnet.genesis.validators.max_faulty();
  if (byzantine_count > f) {
    std::fprintf(stderr,
                 "synod-testnet: warning: %zu Byzantine nodes exceed f = %zu; PBFT promises "
                 "neither safety nor liveness beyond f faulty nodes\n",
                 byzantine_count, f);
  }
  return kinds;
}

// Starts every node that is down (node i with `kinds[i]`); one line per node for people.
// A paused node, or a running one that was to be Byzantine, is an error.
Status start_all(Cluster& cluster, const std::string& dir, const std::vector<std::string>& kinds,
                 bool as_json) {
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    auto process = cluster.process(i);
    if (process.state != ProcessState::kDown) {
      if (!as_json)
        std::printf("%s already running (pid %d, %s)\n", cluster.node(i).name.c_str(), process.pid,
                    to_string(process.state));
      if (!kinds[i].empty())
        return make_error(cluster.node(i).name +
                          " is already running; use restart NODE --byzantine KIND instead");
      continue;
    }
    if (auto status = cluster.start(i, kinds[i]); !status)
      return status;
    if (!as_json) {
      std::printf("started %s (pid %d)%s\n", cluster.node(i).name.c_str(), cluster.process(i).pid,
                  kinds[i].empty() ? "" : (" as BYZANTINE: " + kinds[i]).c_str());
      std::fflush(stdout);
    }
  }
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    if (cluster.process(i).state == ProcessState::kPaused) {
      return make_error(cluster.node(i).name +
                        " is paused; resume it with: synod-testnet resume --dir " + dir + " " +
                        cluster.node(i).name);
    }
  }
  return Status::success();
}

// The report of `up`: every node with its pid, role, RPC and log.
void print_up(Cluster& cluster, const std::vector<std::size_t>& all,
              const std::vector<std::string>& kinds, std::uint64_t height, Clock::duration elapsed,
              bool as_json) {
  nlohmann::json nodes = nlohmann::json::array();
  cli::Table table({"NODE", "PID", "ROLE", "RPC", "LOG"});
  table.right(1);
  for (std::size_t i : all) {
    const auto& node = cluster.node(i);
    auto pid = cluster.process(i).pid;
    nodes.push_back({{"name", node.name},
                     {"role", to_string(node.role)},
                     {"pid", pid},
                     {"rpc", node.rpc.to_string()},
                     {"log", node.log_file()},
                     {"byzantine", kinds[i]}});
    table.add({node.name, std::to_string(pid), role_label(cluster.testnet(), node),
               "http://" + node.rpc.to_string(), node.log_file()});
  }
  if (as_json) {
    cli::print_json(
        {{"chain_id", cluster.testnet().genesis.chain_id},
         {"height", height},
         {"nodes", nodes},
         {"elapsed_ms", std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()}});
    return;
  }
  std::printf("testnet %s is up: %s, all peers connected, height %llu (%s)\n\n",
              cluster.testnet().genesis.chain_id.c_str(), describe_nodes(cluster.testnet()).c_str(),
              static_cast<unsigned long long>(height), cli::format_duration(elapsed).c_str());
  std::printf("%s", table.render().c_str());
}

}  // namespace

Status cmd_up(const std::string& dir, const std::vector<std::string>& byzantine,
              std::uint64_t timeout_s, bool as_json) {
  auto testnet = load_testnet(dir);
  if (!testnet)
    return testnet.error();
  Cluster cluster(std::move(*testnet));
  auto kinds = byzantine_kinds(byzantine, cluster.testnet());
  if (!kinds)
    return kinds.error();
  auto start = Clock::now();
  if (auto status = start_all(cluster, dir, *kinds, as_json); !status)
    return status;
  std::vector<std::size_t> all;
  for (std::size_t i = 0; i < cluster.size(); ++i)
    all.push_back(i);
  if (auto status = cluster.wait_healthy(all, 1, true, std::chrono::seconds(timeout_s),
                                         "waiting for " + describe_nodes(cluster.testnet()));
      !status) {
    return status;
  }
  auto heights = cluster.heights(all);
  std::uint64_t height = heights.empty() ? 0 : heights.begin()->second;
  print_up(cluster, all, *kinds, height, Clock::now() - start, as_json);
  return Status::success();
}

namespace {

// One node's line in `status`: its JSON row, its table cells, its status answer and whether
// it answered.
struct StatusLine {
  nlohmann::json row;
  std::vector<std::string> cells;
  nlohmann::json status;  // null unless it answered
  bool answered = false;
};

// The STATE cell of a node that answered: up, plus what is unusual about it.
std::string running_state(const nlohmann::json& answer, const NodeInfo& node) {
  std::string state = "up";
  if (answer["byzantine"].is_array() && !answer["byzantine"].empty()) {
    std::string kinds;
    for (const auto& kind : answer["byzantine"])
      kinds += (kinds.empty() ? "" : ",") + (kind.is_string() ? kind.get<std::string>() : "?");
    state = "up BYZANTINE " + kinds;
  }
  if (client::bool_field(answer, "syncing"))
    state += " syncing";
  if (client::bool_field(answer, "in_view_change"))
    state += " view-change";
  // A miner that does not mine (mining disabled in its config).
  if (node.is_validator() && client::field(answer, "mining").is_boolean() &&
      !client::bool_field(answer, "mining"))
    state += " not-mining";
  return state;
}

// The mode's own columns: PBFT view, primary, head and state root; PoW height, head, work,
// tips, hash rate and reorgs.
std::vector<std::string> mode_cells(const nlohmann::json& status, chain::ConsensusMode mode) {
  if (mode == chain::ConsensusMode::kPow)
    return pow_status_cells(status);
  if (mode == chain::ConsensusMode::kPos)
    return pos_status_cells(status);
  return {client::field_text(status, "height"), client::field_text(status, "view"),
          client::field_text(status, "primary_name"),
          cli::prefix(client::field_text(status, "head_hash"), 8),
          cli::prefix(client::field_text(status, "state_root"), 8)};
}

StatusLine status_line(Cluster& cluster, std::size_t i) {
  StatusLine line;
  const auto& node = cluster.node(i);
  auto process = cluster.process(i);
  const chain::ConsensusMode mode = cluster.testnet().genesis.mode;
  nlohmann::json row = {{"name", node.name},
                        {"role", to_string(node.role)},
                        {"pid", process.state == ProcessState::kDown ? 0 : process.pid},
                        {"state", to_string(process.state)},
                        {"rpc", node.rpc.to_string()}};
  std::string state = to_string(process.state);
  if (process.state == ProcessState::kRunning) {
    auto answer = cluster.call(i, "status");
    if (answer && answer->is_object()) {
      line.status = *answer;
      line.answered = true;
      state = running_state(*answer, node);
      row["status"] = *answer;
    } else {
      state = "up (no answer)";
      row["error"] = answer ? "malformed status" : answer.message();
    }
  }
  const nlohmann::json& status = line.status;
  // PEERS: a validator's links to the other validators, a full node's reachable upstreams.
  std::size_t peers_possible = node.possible_peers(cluster.testnet().validator_count());
  line.cells = {node.name, process.state == ProcessState::kDown ? "-" : std::to_string(process.pid),
                state, role_label(cluster.testnet(), node), node.rpc.to_string()};
  for (auto& cell : mode_cells(status, mode))
    line.cells.push_back(std::move(cell));
  line.cells.push_back(status.is_null() ? ""
                                        : client::field_text(status, "peers_connected") + "/" +
                                              std::to_string(peers_possible));
  line.cells.push_back(client::field_text(status, "mempool_size"));
  line.row = std::move(row);
  return line;
}

// The status table's header: the PBFT columns, or the PoW ones.
cli::Table status_table(chain::ConsensusMode mode) {
  if (mode == chain::ConsensusMode::kPos)
    return pos_status_table();
  if (mode == chain::ConsensusMode::kPow) {
    cli::Table table({"NODE", "PID", "STATE", "ROLE", "RPC", "HEIGHT", "HEAD", "TIP WORK", "TIPS",
                      "HASH RATE", "REORGS", "PEERS", "MEMPOOL"});
    table.right(1).right(5).right(7).right(8).right(9).right(10).right(11).right(12);
    return table;
  }
  // ROLE after STATE: scripts that match "^node-2 +- +down" keep working.
  cli::Table table({"NODE", "PID", "STATE", "ROLE", "RPC", "HEIGHT", "VIEW", "PRIMARY", "HEAD",
                    "STATE ROOT", "PEERS", "MEMPOOL"});
  table.right(1).right(5).right(6).right(10).right(11);
  return table;
}

// The agreement of a PBFT testnet: one block compared and its certificate verified.
nlohmann::json pbft_agreement(Cluster& cluster, const std::vector<std::size_t>& answering,
                              std::string& message) {
  Agreement agreement;
  if (!answering.empty())
    agreement = check_agreement(cluster, answering);
  else
    agreement.message = "agreement: no node is running";
  message = agreement.message;
  return {{"agree", agreement.agree},
          {"height", agreement.height},
          {"hash", agreement.hash_hex},
          {"nodes", agreement.nodes},
          {"certificate_signatures", agreement.signatures},
          {"message", agreement.message}};
}

// The agreement of a PoW testnet: best chains compared kPowAgreementDepth below the lowest tip.
nlohmann::json pow_agreement(Cluster& cluster,
                             const std::vector<std::pair<std::size_t, nlohmann::json>>& answers,
                             std::string& message) {
  PowAgreement agreement;
  if (!answers.empty())
    agreement = check_pow_agreement(cluster, answers);
  else
    agreement.message = "agreement: no node is running";
  message = agreement.message;
  return agreement.to_json(kPowAgreementDepth);
}

}  // namespace

Status cmd_status(const std::string& dir, bool as_json) {
  auto testnet = load_testnet(dir);
  if (!testnet)
    return testnet.error();
  Cluster cluster(std::move(*testnet));
  const chain::ConsensusMode mode = cluster.testnet().genesis.mode;
  const bool longest_chain = mode != chain::ConsensusMode::kPbft;  // PoW and PoS agree alike
  cli::Table table = status_table(mode);
  nlohmann::json rows = nlohmann::json::array();
  std::vector<std::size_t> answering;
  std::vector<std::pair<std::size_t, nlohmann::json>> answers;
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    StatusLine line = status_line(cluster, i);
    table.add(std::move(line.cells));
    rows.push_back(std::move(line.row));
    if (line.answered) {
      answering.push_back(i);
      answers.emplace_back(i, std::move(line.status));
    }
  }
  std::string message;
  nlohmann::json agreement = longest_chain ? pow_agreement(cluster, answers, message)
                                           : pbft_agreement(cluster, answering, message);
  if (as_json) {
    cli::print_json({{"chain_id", cluster.testnet().genesis.chain_id},
                     {"consensus", chain::to_string(cluster.testnet().genesis.mode)},
                     {"nodes", rows},
                     {"agreement", agreement}});
    return Status::success();
  }
  std::printf("testnet %s in %s\n\n%s\n%s\n", cluster.testnet().genesis.chain_id.c_str(),
              dir.c_str(), table.render().c_str(), message.c_str());
  return Status::success();
}

Status cmd_signal(const std::string& dir, const std::string& node_text, const std::string& action,
                  bool as_json) {
  auto named = load_named_node(dir, node_text);
  if (!named)
    return named.error();
  const NodeInfo& node = named->node();
  int signal = action == "kill" ? SIGKILL : action == "pause" ? SIGSTOP : SIGCONT;
  auto before = find_process(node);
  if (before.state == ProcessState::kDown)
    return make_error(node.name + " is not running");
  if (auto status = signal_node(node, signal); !status)
    return status;
  std::string what = action == "kill"    ? "killed (SIGKILL)"
                     : action == "pause" ? "paused (SIGSTOP)"
                                         : "resumed (SIGCONT)";
  if (as_json) {
    cli::print_json({{"node", node.name}, {"pid", before.pid}, {"action", action}});
  } else {
    std::printf("%s %s (pid %d)\n", node.name.c_str(), what.c_str(), before.pid);
    if (action == "kill")
      std::printf("bring it back with: synod-testnet restart --dir %s %s\n", dir.c_str(),
                  node.name.c_str());
    if (action == "pause")
      std::printf("resume it with: synod-testnet resume --dir %s %s\n", dir.c_str(),
                  node.name.c_str());
  }
  return Status::success();
}

Status cmd_restart(const std::string& dir, const std::string& node_text,
                   const std::string& byzantine, std::uint64_t timeout_s, bool as_json) {
  auto testnet = load_testnet(dir);
  if (!testnet)
    return testnet.error();
  auto index = find_node(*testnet, node_text);
  if (!index)
    return index.error();
  if (!byzantine.empty()) {
    if (auto status = refuse_byzantine_pow(*testnet); !status)
      return status;
    if (auto status = refuse_byzantine_full_node(testnet->nodes[*index]); !status)
      return status;
  }
  Cluster cluster(std::move(*testnet));
  const auto& node = cluster.node(*index);
  if (auto status = cluster.stop(*index); !status)
    return status;
  if (auto status = cluster.start(*index, byzantine); !status)
    return status;
  if (auto status = cluster.wait_healthy({*index}, 0, false, std::chrono::seconds(timeout_s),
                                         "waiting for " + node.name);
      !status) {
    return status;
  }
  auto heights = cluster.heights(cluster.running());
  std::uint64_t own = heights.count(*index) ? heights[*index] : 0;
  std::uint64_t highest = 0;
  for (const auto& [i, height] : heights)
    highest = std::max(highest, height);
  auto pid = cluster.process(*index).pid;
  if (as_json) {
    cli::print_json({{"node", node.name},
                     {"pid", pid},
                     {"height", own},
                     {"highest", highest},
                     {"byzantine", byzantine}});
    return Status::success();
  }
  std::printf("restarted %s (pid %d)%s at height %llu; highest height in the testnet %llu\n",
              node.name.c_str(), pid,
              byzantine.empty() ? "" : (" as BYZANTINE: " + byzantine).c_str(),
              static_cast<unsigned long long>(own), static_cast<unsigned long long>(highest));
  return Status::success();
}

Status cmd_down(const std::string& dir, std::uint64_t grace_s, bool as_json) {
  auto testnet = load_testnet(dir);
  if (!testnet)
    return testnet.error();
  nlohmann::json stopped = nlohmann::json::array();
  // Full nodes first, so they do not spend their last moments on unreachable upstreams.
  std::vector<const NodeInfo*> order;
  for (const auto& node : testnet->nodes) {
    if (!node.is_validator())
      order.push_back(&node);
  }
  for (const auto& node : testnet->nodes) {
    if (node.is_validator())
      order.push_back(&node);
  }
  for (const NodeInfo* entry : order) {
    const NodeInfo& node = *entry;
    auto process = find_process(node);
    if (process.state == ProcessState::kDown)
      continue;
    cli::Progress progress("stopping " + node.name);
    auto status = stop_node(node, std::chrono::seconds(grace_s), [&] {
      progress.update("SIGTERM sent; SIGKILL after " + std::to_string(grace_s) + " s");
    });
    progress.finish();
    if (!status)
      return status;
    stopped.push_back(node.name);
    if (!as_json)
      std::printf("stopped %s (pid %d)\n", node.name.c_str(), process.pid);
  }
  if (as_json) {
    cli::print_json({{"stopped", stopped}});
  } else if (stopped.empty()) {
    std::printf("no node of the testnet in %s was running\n", dir.c_str());
  } else {
    std::printf(
        "testnet in %s is down; its data stays (start again with: synod-testnet up "
        "--dir %s)\n",
        dir.c_str(), dir.c_str());
  }
  return Status::success();
}

Status cmd_logs(const std::string& dir, const std::string& node_text, std::size_t lines,
                bool follow, bool as_json) {
  auto named = load_named_node(dir, node_text);
  if (!named)
    return named.error();
  const NodeInfo& node = named->node();
  std::string path = node.log_file();
  if (access(path.c_str(), R_OK) != 0)
    return make_error("no log yet for " + node.name + " (" + path + ")");
  if (follow && as_json)
    return make_error("--follow and --json do not combine");
  if (as_json) {
    cli::print_json(
        {{"node", node.name}, {"file", path}, {"lines", client::tail_lines(path, lines)}});
    return Status::success();
  }
  if (follow) {
    std::fflush(stdout);
    std::string count = std::to_string(lines);
    signal(SIGPIPE, SIG_DFL);  // main() ignores it; tail should stop when its reader does
    execlp("tail", "tail", "-n", count.c_str(), "-F", path.c_str(), static_cast<char*>(nullptr));
    return make_error("cannot run tail to follow " + path);
  }
  for (const auto& line : client::tail_lines(path, lines))
    std::printf("%s\n", line.c_str());
  return Status::success();
}

}  // namespace synod::testnet
