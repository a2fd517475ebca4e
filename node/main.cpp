// synod-node: runs one validator from DIR/config.json, DIR/genesis.json and
// DIR/node_key.json, with its data under DIR/data/.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>

#include "node/node.h"

int main(int argc, char** argv) {
  CLI::App app{"synod-node: a Synod node (PBFT, proof-of-work)"};
  std::string home;
  std::string byzantine;
  std::uint64_t byzantine_seed = 1;
  std::string log_level;
  app.add_option("--home", home, "Node home: config.json, genesis.json, node_key.json, data/")
      ->required();
  app.add_option("--byzantine", byzantine,
                 "FOR TESTS ONLY: behave maliciously (silent, equivocate, forge-signature, "
                 "wrong-digest, replay, double-vote, invalid-block, slow-primary, flood, "
                 "tamper-view-change; "
                 "proof of work: private-mining; proof of stake: double-sign; comma-separated)");
  app.add_option("--byzantine-seed", byzantine_seed, "Seed of the Byzantine behaviours");
  std::optional<std::uint64_t> hash_rate_limit;
  app.add_option("--hash-rate-limit", hash_rate_limit,
                 "Proof of work: at most this many hashes a second (overrides config.json)");
  app.add_option("--log-level", log_level, "trace, debug, info, warn or error (overrides config)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error);
  }

  synod::node::NodeOptions options;
  options.home = home;
  options.adversary_seed = byzantine_seed;
  options.hash_rate_limit = hash_rate_limit;
  // Each name is checked by the engine's factory, which knows its mode's behaviours.
  for (std::size_t start = 0; !byzantine.empty() && start <= byzantine.size();) {
    std::size_t comma = std::min(byzantine.find(',', start), byzantine.size());
    std::string name = byzantine.substr(start, comma - start);
    name.erase(0, name.find_first_not_of(' '));
    name.erase(name.find_last_not_of(' ') + 1);
    options.byzantine.push_back(name);
    start = comma + 1;
  }

  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  auto node = synod::node::Node::create(options);
  if (!node) {
    std::fprintf(stderr, "synod-node: %s\n", node.message().c_str());
    return 1;
  }
  if (!log_level.empty()) {
    auto level = spdlog::level::from_str(log_level);
    if (level == spdlog::level::off && log_level != "off") {
      std::fprintf(stderr, "synod-node: --log-level: unknown level %s\n", log_level.c_str());
      return 2;
    }
    spdlog::set_level(level);
  }
  if (!options.byzantine.empty()) {
    spdlog::warn("BYZANTINE MODE ({}): this node deliberately breaks the protocol. For tests only.",
                 byzantine);
  }
  return (*node)->run();
}
