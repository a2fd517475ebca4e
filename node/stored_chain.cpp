#include "node/stored_chain.h"

namespace synod::node {

Result<std::vector<chain::Block>> StoredChain::side_blocks(std::uint64_t) const {
  return std::vector<chain::Block>{};
}

}  // namespace synod::node
