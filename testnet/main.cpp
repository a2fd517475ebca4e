// synod-testnet: make, run, inspect, break and measure a local Synod testnet.
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdlib>
#include <optional>
#include <tuple>

#include "testnet/bench.h"
#include "testnet/control.h"
#include "testnet/hosts.h"
#include "testnet/link_emulator.h"
#include "testnet/netns.h"
#include "testnet/netns_commands.h"
#include "testnet/scenarios.h"
#include "testnet/soak.h"
#include "testnet/web_server.h"
#include "wallet/cli_support.h"

namespace {

using synod::make_error;
using synod::Result;
using synod::Status;
namespace testnet = synod::testnet;

struct Globals {
  std::string dir;
  bool json = false;
};

std::string default_dir() {
  const char* env = std::getenv("SYNOD_TESTNET_DIR");
  return env && *env ? env : "./testnet-data";
}

void add_globals(CLI::App& app, Globals& globals) {
  app.add_option("--dir", globals.dir,
                 "Testnet directory (default: $SYNOD_TESTNET_DIR, else ./testnet-data)")
      ->type_name("DIR");
  app.add_flag("--json", globals.json, "Print one JSON object instead of text");
}

// Strict unsigned option values ("--nodes -1" or "--duration 1.5x" are errors).
Result<std::uint64_t> number(const std::string& text, const std::string& what, std::uint64_t low,
                             std::uint64_t high) {
  auto value = synod::cli::parse_unsigned(text, what);
  if (!value)
    return value.error();
  if (*value < low || *value > high) {
    return make_error(what + ": must be " + std::to_string(low) + " to " + std::to_string(high) +
                      ", got " + text);
  }
  return value;
}

// The command line as typed. Option values stay text until the chosen command checks them,
// so that a bad value ends like any other failure: one line, exit code 1.
struct InitArgs {
  CLI::App* command = nullptr;
  std::string nodes = "4", full_nodes = "0", consensus = "pbft", accounts = "8",
              base_port = std::to_string(testnet::kDefaultBasePort);
  std::string block_interval_ms, hash_rate;  // PoW only; empty: the defaults
  std::string hosts_file;                    // empty: every node on 127.0.0.1
  CLI::Option* nodes_option = nullptr;       // to tell "--nodes 4" from the default
  bool force = false;
};

// --delay, --jitter and --loss of `up --netns` and `shape`.
struct ShapeArgs {
  std::string delay, jitter, loss;
  bool given() const { return !delay.empty() || !jitter.empty() || !loss.empty(); }
};

// The commands of a testnet in network namespaces, beyond `up --netns`.
struct NetnsArgs {
  CLI::App *shape = nullptr, *partition = nullptr, *heal = nullptr, *daemon = nullptr;
  ShapeArgs shape_args;
  std::string groups;
  std::string link;  // links-daemon: the host's device, which names the process
};

// The commands that start, stop, signal and inspect nodes.
struct NodeArgs {
  CLI::App *up = nullptr, *status = nullptr, *kill = nullptr, *pause = nullptr, *resume = nullptr,
           *restart = nullptr, *down = nullptr, *logs = nullptr;
  std::string node;  // NODE of kill, pause, resume, restart and logs
  std::vector<std::string> byzantine_items;
  std::string restart_byzantine;
  std::string timeout = "60";  // up, restart
  bool netns = false;          // up
  ShapeArgs shape;             // up --netns
  std::string grace = "10";
  std::string lines = "50";
  bool follow = false;
  CLI::App* web = nullptr;
  bool up_web = false;  // up --web: serve the page once the testnet is up
  std::string web_port = std::to_string(synod::testnet::kDefaultWebPort);
};

struct BenchArgs {
  CLI::App* command = nullptr;
  testnet::BenchOptions options;
  std::string duration = "10", rate = "max", senders = "4", batch = "100";
};

struct SoakArgs {
  CLI::App* command = nullptr;
  std::string minutes, seconds, rate = "50", seed, kill_every = "5-30";
};

struct ScenarioArgs {
  CLI::App* command = nullptr;
  std::string name;
};

struct CommandLine {
  Globals globals;
  InitArgs init;
  NodeArgs nodes;
  BenchArgs bench;
  ScenarioArgs scenario;
  SoakArgs soak;
  NetnsArgs netns;
};

void add_init(CLI::App& app, InitArgs& args) {
  auto* init = app.add_subcommand("init", "Write keys, genesis and node configs for a testnet");
  args.nodes_option =
      init->add_option("--nodes", args.nodes,
                       "Number of validators (PBFT: at least 4; default 4, or with --hosts the "
                       "file's lines less the full nodes)")
          ->type_name("N");
  init->add_option("--hosts", args.hosts_file,
                   "Put each node on its own host: FILE has one IPv4 address per line, "
                   "validators then full nodes ('#' comments); each node listens on its address, "
                   "peers on the base port and RPC on the next")
      ->type_name("FILE");
  init->add_option("--full-nodes", args.full_nodes,
                   "Number of full nodes full-0..full-(K-1) (default 0): non-validating nodes "
                   "that follow the validators over RPC, verify every certificate and block, "
                   "serve read-only RPC and relay transactions")
      ->type_name("K");
  init->add_option("--consensus", args.consensus, "pbft (default), pow or pos")
      ->type_name("pbft|pow|pos");
  init->add_option("--accounts", args.accounts, "Number of funded accounts (default 8)")
      ->type_name("N");
  init->add_option("--base-port", args.base_port,
                   "Validator i listens on base+2i (peers) and base+2i+1 (RPC); full node j "
                   "comes after the N validators, on RPC port base+2(N+j)+1; default 26656")
      ->type_name("PORT");
  init->add_option("--block-interval-ms", args.block_interval_ms,
                   "PoW / PoS: the mean block interval the genesis target or difficulty aims "
                   "at (default " +
                       std::to_string(testnet::kDefaultPowBlockIntervalMs) + " / " +
                       std::to_string(testnet::kDefaultPosBlockIntervalMs) + ")")
      ->type_name("MS");
  init->add_option("--hash-rate", args.hash_rate,
                   "PoW: each miner's hash-rate cap in hashes/s (default " +
                       std::to_string(testnet::kDefaultPowHashRate) +
                       "); the initial target makes all miners together find a block per "
                       "interval")
      ->type_name("H/S");
  init->add_flag("--force", args.force, "Replace an existing testnet in the directory");
  args.command = init;
}

void add_shape_options(CLI::App& command, ShapeArgs& args) {
  command
      .add_option("--delay", args.delay,
                  "One-way delay on every link between two nodes, like 50ms (default 0)")
      ->type_name("DURATION");
  command
      .add_option("--jitter", args.jitter,
                  "Each packet's delay varies by up to this, like 5ms (default 0)")
      ->type_name("DURATION");
  command
      .add_option("--loss", args.loss, "Share of packets lost on those links, like 1% (default 0)")
      ->type_name("PERCENT");
}

void add_up_and_status(CLI::App& app, NodeArgs& args) {
  args.up = app.add_subcommand(
      "up", "Start every node (validators, then full nodes) and wait until the testnet commits");
  args.up
      ->add_option("--byzantine", args.byzantine_items,
                   "NODE=KIND[,KIND]: start validator NODE as a malicious node (FOR TESTS; "
                   "kinds: silent, equivocate, forge-signature, wrong-digest, replay, "
                   "double-vote, invalid-block, slow-primary, flood); repeatable")
      ->type_name("NODE=KIND[,KIND]");
  args.up->add_option("--timeout", args.timeout, "Seconds to wait for the testnet (default 60)")
      ->type_name("SECONDS");
  args.up->add_flag("--netns", args.netns,
                    "Run each node in its own Linux network namespace with its own address (from "
                    "init --hosts, one /24), linked through a user-space link emulator; needs "
                    "root");
  add_shape_options(*args.up, args.shape);
  args.up->add_flag("--web", args.up_web, "Then serve the live web view (as `web`)");
  args.up->add_option("--port", args.web_port, "With --web: the page's port on 127.0.0.1")
      ->type_name("PORT");
  args.web = app.add_subcommand(
      "web", "Serve a live web view of the testnet on 127.0.0.1 (nodes, blocks, buttons)");
  args.web
      ->add_option(
          "--port", args.web_port,
          "Port on 127.0.0.1 (default " + std::to_string(synod::testnet::kDefaultWebPort) + ")")
      ->type_name("PORT");
  args.status = app.add_subcommand(
      "status", "One row per node (validators and full nodes) and whether they agree");
}

void add_netns_commands(CLI::App& app, NetnsArgs& args) {
  args.shape = app.add_subcommand(
      "shape", "Set delay, jitter and loss on the links between nodes (up --netns testnets)");
  add_shape_options(*args.shape, args.shape_args);
  args.partition = app.add_subcommand(
      "partition", "Cut the links between groups of nodes, like 0,1/2,3 (up --netns testnets)");
  args.partition
      ->add_option("groups", args.groups,
                   "Groups separated by '/', nodes by ','; nodes not named are cut off alone")
      ->required();
  args.heal = app.add_subcommand("heal", "Restore every link a partition cut");
  // Started by up --netns; carries the links until down. Not for people.
  args.daemon = app.add_subcommand("links-daemon", "")->group("");
  args.daemon->add_option("--link", args.link)->required();
}

void add_node_commands(CLI::App& app, NodeArgs& args) {
  // Node arguments: a validator by index (2) or name (node-2), or a full node by name.
  const std::string node_help = "Validator index (2) or name (node-2), or full node name (full-0)";
  args.kill = app.add_subcommand("kill", "Crash a node with SIGKILL");
  args.kill->add_option("node", args.node, node_help)->required();
  args.pause = app.add_subcommand("pause", "Freeze a node with SIGSTOP");
  args.pause->add_option("node", args.node, node_help)->required();
  args.resume = app.add_subcommand("resume", "Unfreeze a paused node with SIGCONT");
  args.resume->add_option("node", args.node, node_help)->required();

  args.restart = app.add_subcommand("restart", "Stop a node (if running) and start it again");
  args.restart->add_option("node", args.node, node_help)->required();
  args.restart
      ->add_option("--byzantine", args.restart_byzantine,
                   "KIND[,KIND]: restart it as a malicious node (FOR TESTS; validators only)")
      ->type_name("KIND[,KIND]");
  args.restart->add_option("--timeout", args.timeout, "Seconds to wait for it (default 60)")
      ->type_name("SECONDS");

  args.down = app.add_subcommand("down",
                                 "Stop every node: SIGTERM, then SIGKILL after --grace; remove the "
                                 "network namespaces of up --netns");
  args.down->add_option("--grace", args.grace, "Seconds before SIGKILL (default 10)")
      ->type_name("SECONDS");

  args.logs = app.add_subcommand("logs", "Show a node's log");
  args.logs->add_option("node", args.node, node_help)->required();
  args.logs->add_option("--lines", args.lines, "How many of the last lines (default 50)")
      ->type_name("N");
  args.logs->add_flag("-f,--follow", args.follow, "Keep printing new lines");
}

void add_bench(CLI::App& app, BenchArgs& args) {
  auto* bench = app.add_subcommand(
      "bench", "Load benchmark on the validators: committed tx/s, latency, node CPU/RSS");
  bench->add_option("--duration", args.duration, "Seconds of load (default 10)")
      ->type_name("SECONDS");
  bench->add_option("--rate", args.rate, "Transfers per second offered, or max (default max)")
      ->type_name("R|max");
  bench->add_option("--senders", args.senders, "Sender threads (default 4)")->type_name("K");
  bench->add_option("--batch", args.batch, "Most transfers per JSON-RPC batch (default 100)")
      ->type_name("N");
  bench
      ->add_option("--node", args.options.target,
                   "Submit everything to this validator (default: spread over all validators; "
                   "bench drives validators only)")
      ->type_name("NODE");
  args.command = bench;
}

void add_scenario(CLI::App& app, ScenarioArgs& args) {
  std::string names;
  for (const auto& name : testnet::scenario_names())
    names += (names.empty() ? "" : ", ") + name;
  args.command = app.add_subcommand(
      "scenario",
      "Run a narrated fault scenario on the running testnet's validators; ends with PASS "
      "or FAIL");
  args.command->add_option("name", args.name, names)->required();
}

void add_soak(CLI::App& app, SoakArgs& args) {
  args.command = app.add_subcommand(
      "soak",
      "Crash soak of a PBFT testnet: kill -9 a random validator every few seconds under a "
      "steady load, restart it; at the end every acknowledged transfer must be in the ledger, "
      "all validators must agree and each restarted one must have caught up within 20 s. Ends "
      "with PASS or FAIL. Starts (and stops) the testnet if none of it is running");
  args.command->add_option("--minutes", args.minutes, "How long to run (default 10)")
      ->type_name("M");
  args.command->add_option("--seconds", args.seconds, "How long to run, in seconds instead")
      ->type_name("S");
  args.command->add_option("--rate", args.rate, "Transfers per second offered (default 50)")
      ->type_name("R");
  args.command
      ->add_option("--kill-every", args.kill_every,
                   "Seconds between a validator's recovery and the next kill, drawn from "
                   "MIN-MAX (default 5-30)")
      ->type_name("MIN-MAX");
  args.command
      ->add_option("--seed", args.seed, "Seed of the kill schedule (default: random, printed)")
      ->type_name("N");
}

// Every subcommand, in the order --help lists them, each also taking --dir and --json.
void add_commands(CLI::App& app, CommandLine& line) {
  add_init(app, line.init);
  add_up_and_status(app, line.nodes);
  add_node_commands(app, line.nodes);
  add_bench(app, line.bench);
  add_scenario(app, line.scenario);
  add_soak(app, line.soak);
  add_netns_commands(app, line.netns);
  const NodeArgs& n = line.nodes;
  const NetnsArgs& net = line.netns;
  for (CLI::App* sub : {line.init.command, n.up, n.status, n.kill, n.pause, n.resume, n.restart,
                        n.down, n.logs, line.bench.command, line.scenario.command,
                        line.soak.command, net.shape, net.partition, net.heal, net.daemon, n.web})
    add_globals(*sub, line.globals);
}

// --block-interval-ms (pow and pos) and --hash-rate (pow): checked here for their form, by
// init for their range.
Result<testnet::PowInitOptions> pow_init_options(const InitArgs& args,
                                                 synod::chain::ConsensusMode mode) {
  testnet::PowInitOptions pow;
  for (const auto& [text, name, out] :
       {std::tuple{&args.block_interval_ms, "--block-interval-ms", &pow.block_interval_ms},
        std::tuple{&args.hash_rate, "--hash-rate", &pow.hash_rate}}) {
    if (text->empty())
      continue;
    const bool pos_interval =
        mode == synod::chain::ConsensusMode::kPos && out == &pow.block_interval_ms;
    if (mode != synod::chain::ConsensusMode::kPow && !pos_interval)
      return make_error(std::string(name) + ": only for --consensus pow" +
                        (out == &pow.block_interval_ms ? " or pos" : ""));
    auto value = synod::cli::parse_unsigned(*text, name);
    if (!value)
      return value.error();
    *out = *value;
  }
  return pow;
}

Status run_init(const InitArgs& args, const Globals& globals) {
  testnet::InitOptions options;
  options.dir = globals.dir;
  options.force = args.force;
  auto mode = synod::chain::parse_consensus_mode(args.consensus);
  if (!mode)
    return make_error("--consensus: " + mode.message());
  options.mode = *mode;
  auto n = number(args.nodes, "--nodes", 1, 64);
  auto full = number(args.full_nodes, "--full-nodes", 0, 64);
  auto a = number(args.accounts, "--accounts", 1, 10000);
  auto base = number(args.base_port, "--base-port", 1024, 65535);
  for (const auto* parsed : {&n, &full, &a, &base}) {
    if (!*parsed)
      return parsed->error();
  }
  options.nodes = *n;
  options.full_nodes = *full;
  if (!args.hosts_file.empty()) {
    auto text = synod::cli::read_file(args.hosts_file);
    if (!text)
      return make_error("--hosts " + args.hosts_file + ": cannot read the file");
    auto hosts = testnet::parse_hosts(*text);
    if (!hosts)
      return make_error("--hosts " + args.hosts_file + ": " + hosts.message());
    options.hosts = *hosts;
    if (args.nodes_option->count() == 0)
      options.nodes = hosts->size() > options.full_nodes ? hosts->size() - options.full_nodes : 0;
  }
  options.accounts = *a;
  options.base_port = static_cast<std::uint32_t>(*base);
  auto pow = pow_init_options(args, options.mode);
  if (!pow)
    return pow.error();
  options.pow = *pow;
  if (options.mode == synod::chain::ConsensusMode::kPos && !args.block_interval_ms.empty())
    options.pos.block_interval_ms = pow->block_interval_ms;
  return testnet::cmd_init(options, globals.json);
}

Status run_node_command(const NodeArgs& args, const Globals& globals) {
  const std::string& dir = globals.dir;
  auto port = number(args.web_port, "--port", 1, 65535);
  if (!port)
    return port.error();
  if (*args.web)
    return testnet::cmd_web(dir, static_cast<std::uint16_t>(*port));
  if (*args.up || *args.restart) {
    auto seconds = number(args.timeout, "--timeout", 1, 3600);
    if (!seconds)
      return seconds.error();
    if (*args.restart)
      return testnet::cmd_restart(dir, args.node, args.restart_byzantine, *seconds, globals.json);
    if (args.netns) {
      auto shape = testnet::parse_shape(args.shape.delay, args.shape.jitter, args.shape.loss);
      if (!shape)
        return shape.error();
      return testnet::cmd_up_netns(dir, args.byzantine_items, *seconds, globals.json, *shape);
    }
    if (args.shape.given())
      return make_error("--delay, --jitter and --loss shape the links of up --netns");
    if (auto status = testnet::refuse_broken_network(dir); !status)
      return status;
    auto up = testnet::cmd_up(dir, args.byzantine_items, *seconds, globals.json);
    if (!up || !args.up_web)
      return up;
    return testnet::cmd_web(dir, static_cast<std::uint16_t>(*port));
  }
  if (*args.status)
    return testnet::cmd_status(dir, globals.json);
  if (*args.kill || *args.pause || *args.resume) {
    const char* action = *args.kill ? "kill" : *args.pause ? "pause" : "resume";
    return testnet::cmd_signal(dir, args.node, action, globals.json);
  }
  if (*args.down) {
    auto seconds = number(args.grace, "--grace", 0, 3600);
    if (!seconds)
      return seconds.error();
    Status stopped = testnet::cmd_down(dir, *seconds, globals.json);
    // The namespaces go too, also after a failed or interrupted up --netns.
    Status removed = testnet::cmd_remove_network(dir, globals.json);
    return stopped ? removed : stopped;
  }
  if (*args.logs) {
    auto count = number(args.lines, "--lines", 1, 1'000'000);
    if (!count)
      return count.error();
    return testnet::cmd_logs(dir, args.node, *count, args.follow, globals.json);
  }
  return Status::success();
}

Status run_bench(BenchArgs& args, const Globals& globals) {
  testnet::BenchOptions& options = args.options;
  options.dir = globals.dir;
  options.json = globals.json;
  auto d = number(args.duration, "--duration", 1, 3600);
  auto k = number(args.senders, "--senders", 1, 64);
  auto b = number(args.batch, "--batch", 1, 100);
  for (const auto* parsed : {&d, &k, &b}) {
    if (!*parsed)
      return parsed->error();
  }
  options.duration_s = static_cast<double>(*d);
  options.senders = *k;
  options.batch_max = *b;
  if (args.rate != "max") {
    auto r = number(args.rate, "--rate", 1, 10'000'000);
    if (!r)
      return make_error(r.message() + " (or max)");
    options.rate = *r;
  }
  return testnet::cmd_bench(options);
}

// --kill-every MIN-MAX.
Status parse_kill_every(const std::string& text, testnet::SoakOptions& options) {
  auto dash = text.find('-');
  if (dash == std::string::npos)
    return make_error("--kill-every: expected MIN-MAX seconds, like 5-30, got " + text);
  auto low = number(text.substr(0, dash), "--kill-every MIN", 1, 86'400);
  auto high = number(text.substr(dash + 1), "--kill-every MAX", 1, 86'400);
  for (const auto* parsed : {&low, &high}) {
    if (!*parsed)
      return parsed->error();
  }
  if (*low > *high)
    return make_error("--kill-every: MIN above MAX in " + text);
  options.kill_every_min_s = *low;
  options.kill_every_max_s = *high;
  return Status::success();
}

Result<int> run_soak(const SoakArgs& args, const Globals& globals) {
  testnet::SoakOptions options;
  options.dir = globals.dir;
  options.json = globals.json;
  if (!args.minutes.empty() && !args.seconds.empty())
    return make_error("soak: give --minutes or --seconds, not both");
  if (!args.seconds.empty()) {
    auto s = number(args.seconds, "--seconds", 1, 7 * 86'400);
    if (!s)
      return s.error();
    options.duration_s = *s;
  } else if (!args.minutes.empty()) {
    auto m = number(args.minutes, "--minutes", 1, 7 * 1'440);
    if (!m)
      return m.error();
    options.duration_s = *m * 60;
  }
  auto rate = number(args.rate, "--rate", 1, 100'000);
  if (!rate)
    return rate.error();
  options.rate_per_s = static_cast<double>(*rate);
  if (!args.seed.empty()) {
    auto seed = number(args.seed, "--seed", 0, UINT64_MAX);
    if (!seed)
      return seed.error();
    options.seed = *seed;
  }
  if (auto parsed = parse_kill_every(args.kill_every, options); !parsed)
    return parsed.error();
  return testnet::cmd_soak(options);
}

Status run_netns_command(const NetnsArgs& args, const Globals& globals) {
  if (*args.daemon)
    return testnet::run_link_emulator(globals.dir);
  if (*args.partition)
    return testnet::cmd_partition(globals.dir, args.groups, globals.json);
  if (*args.heal)
    return testnet::cmd_heal(globals.dir, globals.json);
  auto shape =
      testnet::parse_shape(args.shape_args.delay, args.shape_args.jitter, args.shape_args.loss);
  if (!shape)
    return shape.error();
  return testnet::cmd_shape(globals.dir, *shape, globals.json);
}

// up --netns, and the commands that change a netns testnet's links: where namespaces
// cannot be made they say so in one line and exit with kExitNetnsUnavailable.
std::optional<int> refuse_without_netns(const CommandLine& line) {
  const NetnsArgs& net = line.netns;
  bool wants = (*line.nodes.up && line.nodes.netns) || *net.shape || *net.partition || *net.heal ||
               *net.daemon;
  if (!wants)
    return std::nullopt;
  auto available = testnet::netns_available();
  if (available)
    return std::nullopt;
  synod::cli::print_failure("synod-testnet", line.globals.json, available.message());
  return testnet::kExitNetnsUnavailable;
}

// The chosen command's exit code: a scenario's own (PASS 0, FAIL 1), else 0 on success.
Result<int> run(CommandLine& line) {
  if (auto refused = refuse_without_netns(line))
    return *refused;
  if (*line.scenario.command)
    return testnet::run_scenario(line.scenario.name, line.globals.dir, line.globals.json);
  if (*line.soak.command)
    return run_soak(line.soak, line.globals);
  Status result;
  if (*line.init.command)
    result = run_init(line.init, line.globals);
  else if (*line.bench.command)
    result = run_bench(line.bench, line.globals);
  else if (*line.netns.shape || *line.netns.partition || *line.netns.heal || *line.netns.daemon)
    result = run_netns_command(line.netns, line.globals);
  else
    result = run_node_command(line.nodes, line.globals);
  if (!result)
    return result.error();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // A reader that stops early (`| grep -q`, `| head`) must not kill a command halfway, say
  // `down` between two nodes: with SIGPIPE ignored, output to a closed pipe is just lost.
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"synod-testnet: a local Synod testnet — make it, run it, break it, measure it",
               "synod-testnet"};
  app.require_subcommand(1);
  CommandLine line;
  add_globals(app, line.globals);
  add_commands(app, line);
  if (auto exit_code = synod::cli::parse_command_line(app, argc, argv))
    return *exit_code;
  if (line.globals.dir.empty())
    line.globals.dir = default_dir();
  return synod::cli::run_command("synod-testnet", line.globals.json,
                                 "a node sent an answer synod-testnet cannot read",
                                 [&] { return run(line); });
}
