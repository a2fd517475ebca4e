// Fuzz target: the node config parser (config.json).
#include <string>

#include "node/config.h"
#include "tests/fuzz/fuzz_target.h"

using namespace synod;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto config = node::parse_config(text);
  if (!config.ok()) {
    fuzz::require(!config.message().empty(), "a rejected config has a message");
    return 0;
  }
  const std::string json = node::config_to_json(*config);
  auto again = node::parse_config(json);
  fuzz::require(again.ok(), "config_to_json output parses");
  fuzz::require(node::config_to_json(*again) == json, "config JSON round trip is stable");
  return 0;
}

std::vector<Bytes> synod::fuzz::seed_inputs() {
  const std::string texts[] = {
      node::config_to_json(node::NodeConfig{}),
      R"({"moniker": "v0", "rpc_listen": "127.0.0.1:26657", "peer_listen": "0.0.0.0:26656",
          "verify_threads": 4, "log_level": "debug",
          "upstreams": ["127.0.0.1:26657", "localhost:1", "[::1]:80"], "follow_poll_ms": 500,
          "mining": {"enabled": false, "hash_rate_limit": 1000},
          "mempool": {"max_transactions": 10, "max_bytes": 4096, "nonce_window": 8,
                      "min_fee": 1}})",
      "{}",
  };
  std::vector<Bytes> seeds;
  for (const auto& text : texts)
    seeds.emplace_back(text.begin(), text.end());
  return seeds;
}
