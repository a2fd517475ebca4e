// The canonical binary codec. Everything that is hashed or signed is encoded with it.
//
// Rules: integers are fixed-width little-endian; booleans are one byte, 0 or 1; byte
// strings and lists carry a u32 length prefix that is checked against an explicit limit
// (and against the bytes actually left) before anything is allocated. Decoding is strict:
// truncated input, trailing bytes, lengths over a limit, unknown tags and non-canonical
// values are errors. Because every value has exactly one encoding, equal objects have
// equal bytes and equal hashes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"

namespace synod::chain {

class Writer {
 public:
  void u8(std::uint8_t value) { out_.push_back(value); }
  void u16(std::uint16_t value) { little_endian(value, 2); }
  void u32(std::uint32_t value) { little_endian(value, 4); }
  void u64(std::uint64_t value) { little_endian(value, 8); }
  void boolean(bool value) { u8(value ? 1 : 0); }
  // Raw bytes with no length prefix: only for values whose size the reader knows.
  void raw(ByteView bytes) { append(out_, bytes); }
  template <std::size_t N, typename Tag>
  void fixed(const FixedBytes<N, Tag>& value) {
    raw(value.view());
  }
  // Length-prefixed (u32) bytes and text.
  void bytes(ByteView bytes);
  void string(std::string_view text) { bytes(as_bytes(text)); }
  // A u32 element count that precedes a list.
  void count(std::size_t n);

  const Bytes& data() const { return out_; }
  Bytes take() { return std::move(out_); }
  void reserve(std::size_t n) { out_.reserve(n); }

 private:
  void little_endian(std::uint64_t value, int width);
  Bytes out_;
};

// Reads a buffer it does not own; the buffer must outlive the Reader. After the first
// error every read returns a zero value and the first error is kept, so a decoder can read
// a whole structure and check once at the end.
class Reader {
 public:
  explicit Reader(ByteView input) : input_(input) {}

  std::uint8_t u8();
  std::uint16_t u16() { return static_cast<std::uint16_t>(little_endian(2)); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(little_endian(4)); }
  std::uint64_t u64() { return little_endian(8); }
  bool boolean();
  template <typename T>
  T fixed() {
    T out;
    ByteView bytes = take(T::kSize);
    if (ok())
      out = T::from(bytes);
    return out;
  }
  Bytes bytes(std::size_t max_size);
  std::string string(std::size_t max_size);
  // A list length, at most `max_count`, and small enough that `min_element_size` bytes per
  // element still fit in what is left (so a forged count cannot force a huge allocation).
  std::size_t count(std::size_t max_count, std::size_t min_element_size);

  void fail(std::string message);
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  std::size_t remaining() const { return input_.size() - position_; }
  // ok() and every byte consumed; otherwise an error naming `what`.
  Status finish(std::string_view what);

 private:
  ByteView take(std::size_t n);
  std::uint64_t little_endian(int width);

  ByteView input_;
  std::size_t position_ = 0;
  std::string error_;
};

// Decodes a whole buffer with `read` (a function Reader& -> T) and requires that every byte
// was used.
template <typename T, typename ReadFn>
Result<T> decode_all(ByteView input, std::string_view what, ReadFn read) {
  Reader reader(input);
  T value = read(reader);
  if (auto status = reader.finish(what); !status)
    return status.error();
  return value;
}

}  // namespace synod::chain
