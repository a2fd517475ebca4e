#include "node/stored_chain.h"

namespace synod::node {

Result<std::vector<chain::Block>> StoredChain::side_blocks(std::uint64_t min_height) const {
  return blocks_.side_blocks(min_height);
}

}  // namespace synod::node
