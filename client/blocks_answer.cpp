#include "client/blocks_answer.h"

#include "crypto/hex.h"

namespace synod::client {

BlocksAnswer decode_blocks_answer(const nlohmann::json& result, std::size_t max_blocks) {
  BlocksAnswer answer;
  if (!result.is_object() || !result.contains("blocks") || !result["blocks"].is_array()) {
    answer.problem = "get_blocks: the answer has no \"blocks\" array";
    return answer;
  }
  const auto& list = result["blocks"];
  if (list.size() > max_blocks) {
    answer.problem = "get_blocks: more blocks than asked for";
    return answer;
  }
  for (const auto& item : list) {
    if (!item.is_string()) {
      answer.problem = "get_blocks: a block that is not a hex string";
      break;
    }
    auto bytes = crypto::from_hex(item.get_ref<const std::string&>());
    if (!bytes) {
      answer.problem = "get_blocks: " + bytes.message();
      break;
    }
    auto block = chain::decode_block(*bytes);
    if (!block) {
      answer.problem = "get_blocks: " + block.message();
      break;
    }
    answer.blocks.push_back(std::move(*block));
  }
  return answer;
}

}  // namespace synod::client
