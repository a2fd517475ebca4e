#include "chain/codec.h"

#include <cassert>
#include <limits>

namespace synod::chain {

void Writer::little_endian(std::uint64_t value, int width) {
  for (int i = 0; i < width; ++i)
    out_.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
}

void Writer::bytes(ByteView bytes) {
  count(bytes.size());
  raw(bytes);
}

void Writer::count(std::size_t n) {
  assert(n <= std::numeric_limits<std::uint32_t>::max());
  u32(static_cast<std::uint32_t>(n));
}

void Reader::fail(std::string message) {
  if (error_.empty())
    error_ = std::move(message);
}

ByteView Reader::take(std::size_t n) {
  if (!ok())
    return {};
  if (n > remaining()) {
    fail("truncated input: needed " + std::to_string(n) + " bytes at offset " +
         std::to_string(position_) + ", have " + std::to_string(remaining()));
    return {};
  }
  ByteView out = input_.subspan(position_, n);
  position_ += n;
  return out;
}

std::uint64_t Reader::little_endian(int width) {
  ByteView bytes = take(static_cast<std::size_t>(width));
  if (!ok())
    return 0;
  std::uint64_t value = 0;
  for (int i = 0; i < width; ++i)
    value |= static_cast<std::uint64_t>(bytes[i]) << (8 * i);
  return value;
}

std::uint8_t Reader::u8() {
  ByteView bytes = take(1);
  return ok() ? bytes[0] : 0;
}

bool Reader::boolean() {
  std::uint8_t value = u8();
  if (value > 1)
    fail("non-canonical boolean " + std::to_string(value));
  return value == 1;
}

std::size_t Reader::count(std::size_t max_count, std::size_t min_element_size) {
  std::size_t n = u32();
  if (!ok())
    return 0;
  if (n > max_count) {
    fail("length " + std::to_string(n) + " exceeds limit " + std::to_string(max_count));
    return 0;
  }
  if (min_element_size > 0 && n > remaining() / min_element_size) {
    fail("length " + std::to_string(n) + " exceeds the remaining input");
    return 0;
  }
  return n;
}

Bytes Reader::bytes(std::size_t max_size) {
  std::size_t n = count(max_size, 1);
  ByteView view = take(n);
  return ok() ? Bytes(view.begin(), view.end()) : Bytes{};
}

std::string Reader::string(std::size_t max_size) {
  std::size_t n = count(max_size, 1);
  ByteView view = take(n);
  return ok() ? std::string(view.begin(), view.end()) : std::string{};
}

Status Reader::finish(std::string_view what) {
  if (!ok())
    return make_error(std::string(what) + ": " + error_);
  if (remaining() != 0) {
    return make_error(std::string(what) + ": " + std::to_string(remaining()) + " trailing bytes");
  }
  return Status::success();
}

}  // namespace synod::chain
