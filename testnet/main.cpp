// synod-testnet: make, run, inspect, break and measure a local Synod testnet.
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <nlohmann/json.hpp>

#include "testnet/bench.h"
#include "testnet/control.h"
#include "testnet/scenarios.h"
#include "wallet/cli_support.h"

namespace {

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

int fail(const Globals& globals, const std::string& message) {
  std::fprintf(stderr, "synod-testnet: error: %s\n", message.c_str());
  if (globals.json)
    std::printf("%s\n", nlohmann::json{{"error", message}}.dump().c_str());
  return 1;
}

// Strict unsigned option values ("--nodes -1" or "--duration 1.5x" are errors).
synod::Result<std::uint64_t> number(const std::string& text, const std::string& what,
                                    std::uint64_t low, std::uint64_t high) {
  auto value = synod::cli::parse_unsigned(text, what);
  if (!value)
    return value.error();
  if (*value < low || *value > high) {
    return synod::make_error(what + ": must be " + std::to_string(low) + " to " +
                             std::to_string(high) + ", got " + text);
  }
  return value;
}

}  // namespace

int main(int argc, char** argv) {
  // A reader that stops early (`| grep -q`, `| head`) must not kill a command halfway, say
  // `down` between two nodes: with SIGPIPE ignored, output to a closed pipe is just lost.
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"synod-testnet: a local Synod testnet — make it, run it, break it, measure it",
               "synod-testnet"};
  app.require_subcommand(1);
  Globals globals;
  add_globals(app, globals);

  std::string nodes = "4", full_nodes = "0", consensus = "pbft", accounts = "8",
              base_port = std::to_string(synod::testnet::kDefaultBasePort);
  bool force = false;
  auto* init = app.add_subcommand("init", "Write keys, genesis and node configs for a testnet");
  init->add_option("--nodes", nodes, "Number of validators (PBFT: at least 4; default 4)")
      ->type_name("N");
  init->add_option("--full-nodes", full_nodes,
                   "Number of full nodes full-0..full-(K-1) (default 0): non-validating nodes "
                   "that follow the validators over RPC, verify every certificate and block, "
                   "serve read-only RPC and relay transactions")
      ->type_name("K");
  init->add_option("--consensus", consensus, "pbft (default), pow or pos")
      ->type_name("pbft|pow|pos");
  init->add_option("--accounts", accounts, "Number of funded accounts (default 8)")->type_name("N");
  init->add_option("--base-port", base_port,
                   "Validator i listens on base+2i (peers) and base+2i+1 (RPC); full node j "
                   "comes after the N validators, on RPC port base+2(N+j)+1; default 26656")
      ->type_name("PORT");
  init->add_flag("--force", force, "Replace an existing testnet in the directory");

  std::vector<std::string> byzantine_items;
  std::string timeout = "60";
  auto* up = app.add_subcommand(
      "up", "Start every node (validators, then full nodes) and wait until the testnet commits");
  up->add_option("--byzantine", byzantine_items,
                 "NODE=KIND[,KIND]: start validator NODE as a malicious node (FOR TESTS; kinds: "
                 "silent, equivocate, forge-signature, wrong-digest, replay, double-vote, "
                 "invalid-block, slow-primary, flood); repeatable")
      ->type_name("NODE=KIND[,KIND]");
  up->add_option("--timeout", timeout, "Seconds to wait for the testnet (default 60)")
      ->type_name("SECONDS");

  auto* status = app.add_subcommand(
      "status", "One row per node (validators and full nodes) and whether they agree");

  // Node arguments: a validator by index (2) or name (node-2), or a full node by name.
  const std::string node_help = "Validator index (2) or name (node-2), or full node name (full-0)";
  std::string node;
  auto* kill = app.add_subcommand("kill", "Crash a node with SIGKILL");
  kill->add_option("node", node, node_help)->required();
  auto* pause = app.add_subcommand("pause", "Freeze a node with SIGSTOP");
  pause->add_option("node", node, node_help)->required();
  auto* resume = app.add_subcommand("resume", "Unfreeze a paused node with SIGCONT");
  resume->add_option("node", node, node_help)->required();

  std::string restart_byzantine;
  auto* restart = app.add_subcommand("restart", "Stop a node (if running) and start it again");
  restart->add_option("node", node, node_help)->required();
  restart
      ->add_option("--byzantine", restart_byzantine,
                   "KIND[,KIND]: restart it as a malicious node (FOR TESTS; validators only)")
      ->type_name("KIND[,KIND]");
  restart->add_option("--timeout", timeout, "Seconds to wait for it (default 60)")
      ->type_name("SECONDS");

  std::string grace = "10";
  auto* down = app.add_subcommand("down", "Stop every node: SIGTERM, then SIGKILL after --grace");
  down->add_option("--grace", grace, "Seconds before SIGKILL (default 10)")->type_name("SECONDS");

  std::string lines = "50";
  bool follow = false;
  auto* logs = app.add_subcommand("logs", "Show a node's log");
  logs->add_option("node", node, node_help)->required();
  logs->add_option("--lines", lines, "How many of the last lines (default 50)")->type_name("N");
  logs->add_flag("-f,--follow", follow, "Keep printing new lines");

  synod::testnet::BenchOptions bench_options;
  std::string duration = "10", rate = "max", senders = "4", batch = "100";
  auto* bench = app.add_subcommand(
      "bench", "Load benchmark on the validators: committed tx/s, latency, node CPU/RSS");
  bench->add_option("--duration", duration, "Seconds of load (default 10)")->type_name("SECONDS");
  bench->add_option("--rate", rate, "Transfers per second offered, or max (default max)")
      ->type_name("R|max");
  bench->add_option("--senders", senders, "Sender threads (default 4)")->type_name("K");
  bench->add_option("--batch", batch, "Most transfers per JSON-RPC batch (default 100)")
      ->type_name("N");
  bench
      ->add_option("--node", bench_options.target,
                   "Submit everything to this validator (default: spread over all validators; "
                   "bench drives validators only)")
      ->type_name("NODE");

  std::string scenario_name;
  std::string names;
  for (const auto& name : synod::testnet::scenario_names())
    names += (names.empty() ? "" : ", ") + name;
  auto* scenario = app.add_subcommand(
      "scenario",
      "Run a narrated fault scenario on the running testnet's validators; ends with PASS "
      "or FAIL");
  scenario->add_option("name", scenario_name, names)->required();

  for (CLI::App* sub :
       {init, up, status, kill, pause, resume, restart, down, logs, bench, scenario})
    add_globals(*sub, globals);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "synod-testnet: error: %s (see synod-testnet --help)\n", e.what());
    return 2;
  }
  if (globals.dir.empty())
    globals.dir = default_dir();
  const std::string& dir = globals.dir;

  try {
    synod::Status result;
    if (*init) {
      synod::testnet::InitOptions options;
      options.dir = dir;
      options.force = force;
      auto mode = synod::chain::parse_consensus_mode(consensus);
      if (!mode)
        return fail(globals, "--consensus: " + mode.message());
      options.mode = *mode;
      auto n = number(nodes, "--nodes", 1, 64);
      auto full = number(full_nodes, "--full-nodes", 0, 64);
      auto a = number(accounts, "--accounts", 1, 10000);
      auto base = number(base_port, "--base-port", 1024, 65535);
      for (const auto* parsed : {&n, &full, &a, &base}) {
        if (!*parsed)
          return fail(globals, parsed->message());
      }
      options.nodes = *n;
      options.full_nodes = *full;
      options.accounts = *a;
      options.base_port = static_cast<std::uint32_t>(*base);
      result = synod::testnet::cmd_init(options, globals.json);
    } else if (*up || *restart) {
      auto seconds = number(timeout, "--timeout", 1, 3600);
      if (!seconds)
        return fail(globals, seconds.message());
      result =
          *up ? synod::testnet::cmd_up(dir, byzantine_items, *seconds, globals.json)
              : synod::testnet::cmd_restart(dir, node, restart_byzantine, *seconds, globals.json);
    } else if (*status) {
      result = synod::testnet::cmd_status(dir, globals.json);
    } else if (*kill || *pause || *resume) {
      result = synod::testnet::cmd_signal(dir, node,
                                          *kill    ? "kill"
                                          : *pause ? "pause"
                                                   : "resume",
                                          globals.json);
    } else if (*down) {
      auto seconds = number(grace, "--grace", 0, 3600);
      if (!seconds)
        return fail(globals, seconds.message());
      result = synod::testnet::cmd_down(dir, *seconds, globals.json);
    } else if (*logs) {
      auto count = number(lines, "--lines", 1, 1'000'000);
      if (!count)
        return fail(globals, count.message());
      result = synod::testnet::cmd_logs(dir, node, *count, follow, globals.json);
    } else if (*bench) {
      bench_options.dir = dir;
      bench_options.json = globals.json;
      auto d = number(duration, "--duration", 1, 3600);
      auto k = number(senders, "--senders", 1, 64);
      auto b = number(batch, "--batch", 1, 100);
      for (const auto* parsed : {&d, &k, &b}) {
        if (!*parsed)
          return fail(globals, parsed->message());
      }
      bench_options.duration_s = static_cast<double>(*d);
      bench_options.senders = *k;
      bench_options.batch_max = *b;
      if (rate != "max") {
        auto r = number(rate, "--rate", 1, 10'000'000);
        if (!r)
          return fail(globals, r.message() + " (or max)");
        bench_options.rate = *r;
      }
      result = synod::testnet::cmd_bench(bench_options);
    } else if (*scenario) {
      return synod::testnet::run_scenario(scenario_name, dir, globals.json);
    }
    if (!result)
      return fail(globals, result.message());
  } catch (const nlohmann::json::exception&) {
    return fail(globals, "a node sent an answer synod-testnet cannot read");
  } catch (const std::exception& e) {
    return fail(globals, e.what());
  }
  return 0;
}
