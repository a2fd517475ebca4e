// Decoding an answer to get_blocks ({"blocks": [hex of a canonical block, ...],
// "head_height": N}), shared by the full node and the load benchmark. The answer came over
// the wire: anything unexpected is a problem reported, never a crash.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "chain/block.h"

namespace synod::client {

struct BlocksAnswer {
  std::vector<chain::Block> blocks;  // in the answer's order, up to the first bad entry
  std::string problem;               // empty when the whole answer decoded
};

// `max_blocks`: how many were asked for; an answer with more is refused whole.
BlocksAnswer decode_blocks_answer(const nlohmann::json& result, std::size_t max_blocks);

}  // namespace synod::client
