// Lowercase hex encoding; strict decoding (odd length or a non-hex character is an error).
#pragma once

#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"

namespace synod::crypto {

std::string to_hex(ByteView bytes);
Result<Bytes> from_hex(std::string_view text);

// Decodes exactly T::kSize bytes into a FixedBytes type, naming `what` in the error.
template <typename T>
Result<T> fixed_from_hex(std::string_view text, std::string_view what) {
  auto bytes = from_hex(text);
  if (!bytes)
    return make_error(std::string(what) + ": " + bytes.message());
  if (bytes->size() != T::kSize) {
    return make_error(std::string(what) + ": expected " + std::to_string(T::kSize) +
                      " bytes, got " + std::to_string(bytes->size()));
  }
  return T::from(*bytes);
}

}  // namespace synod::crypto
