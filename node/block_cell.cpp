#include "node/block_cell.h"

#include "crypto/hex.h"

namespace synod::node {
namespace {

thread_local std::uint64_t encodes_here = 0;
std::atomic<std::uint64_t> encodes_everywhere{0};

}  // namespace

BlockCell::BlockCell(std::shared_ptr<const chain::Block> block, const crypto::Hash256& hash)
    : block_(std::move(block)),
      height_(block_->header.height),
      hash_(hash),
      prev_hash_(block_->header.prev_hash) {}

BlockCell::BlockCell(std::uint64_t height, const crypto::Hash256& hash,
                     const crypto::Hash256& prev_hash, Bytes bytes)
    : height_(height), hash_(hash), prev_hash_(prev_hash), bytes_(std::move(bytes)) {
  std::call_once(encoded_, [] {});  // the bytes are here already
}

const Bytes& BlockCell::bytes() const {
  std::call_once(encoded_, [this] {
    bytes_ = block_->encode();
    ++encodes_here;
    encodes_everywhere.fetch_add(1, std::memory_order_relaxed);
  });
  return bytes_;
}

const std::string& BlockCell::hex() const {
  std::call_once(hexed_, [this] { hex_ = crypto::to_hex(bytes()); });
  return hex_;
}

std::uint64_t BlockCell::encodes_on_this_thread() {
  return encodes_here;
}

std::uint64_t BlockCell::encodes_total() {
  return encodes_everywhere.load(std::memory_order_relaxed);
}

}  // namespace synod::node
