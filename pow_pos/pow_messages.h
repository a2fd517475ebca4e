// Proof-of-work protocol messages and their canonical encoding.
//
// Wire form: u8 type | body. Types start at 0x21 so they never collide with PBFT's 1..6.
// There is one message: BLOCK (0x21), whose body is the block's canonical encoding
// (chain/block.h) with no certificate. A block needs no signature: it authenticates itself
// by its work, and the rules check everything else. Decoding is strict (chain/codec.h):
// size capped before anything is allocated, trailing bytes and unknown types rejected.
#pragma once

#include <cstdint>
#include <string>

#include "base/bytes.h"
#include "base/result.h"
#include "chain/block.h"

namespace synod::pow_pos {

enum class MessageType : std::uint8_t {
  kBlock = 0x21,
};

// The largest message: a type byte and the largest block the data model allows.
std::size_t max_message_bytes();

Bytes encode_block_message(const chain::Block& block);
Result<chain::Block> decode_block_message(ByteView message);
// "block", or "unknown" when the bytes do not start with a known type.
std::string message_type_name(ByteView message);

}  // namespace synod::pow_pos
