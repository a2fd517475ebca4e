// Fuzz target: the get_blocks answer decoder, what a full node reads from its upstream.
#include <algorithm>
#include <string>

#include "client/blocks_answer.h"
#include "crypto/hex.h"
#include "tests/fuzz/fuzz_samples.h"
#include "tests/fuzz/fuzz_target.h"

using namespace synod;
using nlohmann::json;

namespace {
constexpr std::size_t kMaxBlocks = 16;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const json result = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (result.is_discarded())
    return 0;
  const client::BlocksAnswer answer = client::decode_blocks_answer(result, kMaxBlocks);
  fuzz::require(answer.blocks.size() <= kMaxBlocks, "no more blocks than asked for");
  if (!answer.problem.empty())
    return 0;
  const json& list = result["blocks"];
  fuzz::require(answer.blocks.size() == list.size(), "a clean answer decodes every block");
  for (std::size_t i = 0; i < list.size(); ++i) {
    std::string hex = list[i].get<std::string>();  // from_hex takes either case
    std::transform(hex.begin(), hex.end(), hex.begin(),
                   [](char c) { return c >= 'A' && c <= 'F' ? static_cast<char>(c + 32) : c; });
    fuzz::require(crypto::to_hex(answer.blocks[i].encode()) == hex,
                  "a decoded block re-encodes to its hex");
  }
  return 0;
}

std::vector<Bytes> synod::fuzz::seed_inputs() {
  const std::vector<chain::Block> samples = sample_blocks();
  json blocks = json::array();
  for (const auto& block : {samples[2], samples[3]})  // small ones: a PoW block and block 0
    blocks.push_back(crypto::to_hex(block.encode()));
  const std::string texts[] = {
      json{{"blocks", blocks}, {"head_height", 9}}.dump(),
      json{{"blocks", json::array()}, {"head_height", 0}}.dump(),
      R"({"blocks": ["00", 5]})",
  };
  std::vector<Bytes> seeds;
  for (const auto& text : texts)
    seeds.emplace_back(text.begin(), text.end());
  return seeds;
}
