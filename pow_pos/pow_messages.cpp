#include "pow_pos/pow_messages.h"

#include "chain/limits.h"

namespace synod::pow_pos {

std::size_t max_message_bytes() {
  return 1 + chain::kMaxBlockBytes;
}

Bytes encode_block_message(const chain::Block& block) {
  chain::Writer out;
  out.u8(static_cast<std::uint8_t>(MessageType::kBlock));
  chain::write(out, block);
  return out.take();
}

Result<chain::Block> decode_block_message(ByteView message) {
  if (message.empty())
    return make_error("pow message: empty");
  if (message.size() > max_message_bytes()) {
    return make_error("pow message: " + std::to_string(message.size()) + " bytes exceeds " +
                      std::to_string(max_message_bytes()));
  }
  if (message[0] != static_cast<std::uint8_t>(MessageType::kBlock))
    return make_error("pow message: unknown type " + std::to_string(message[0]));
  auto block = chain::decode_block(message.subspan(1));
  if (!block)
    return make_error("pow message: " + block.message());
  if (block->certificate)
    return make_error("pow message: a block carries no certificate");
  return block;
}

std::string message_type_name(ByteView message) {
  if (!message.empty() && message[0] == static_cast<std::uint8_t>(MessageType::kBlock))
    return "block";
  return "unknown";
}

}  // namespace synod::pow_pos
