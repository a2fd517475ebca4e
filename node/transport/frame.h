// Length-prefixed framing for the peer transport.
//
// A frame on the wire is a u32 little-endian payload length followed by that many payload
// bytes. Zero-length frames are reserved and rejected, so garbage cannot make a decoder loop
// on empty frames. Pure code: no sockets, no clocks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "base/bytes.h"

namespace synod::transport {

inline constexpr std::size_t kFrameHeaderBytes = 4;

// Appends the frame carrying `payload` to `out`. `payload` must be 1..2^32-1 bytes (our own
// callers check sizes before framing; violating it is a programmer error).
void append_frame(Bytes& out, ByteView payload);
Bytes encode_frame(ByteView payload);

enum class FrameError : std::uint8_t { kNone, kOversized, kEmpty };
const char* to_string(FrameError error);

// Splits a byte stream into frames. Feed it whatever the socket returned, then drain it with
// next() before feeding more; the decoder holds at most one fed chunk plus one partial frame.
//
// A length above the maximum is reported as soon as its 4 header bytes arrive, before any
// payload is buffered; a frame's buffer grows only as its bytes actually arrive, so a peer
// must send the bytes it claims before it costs us memory. After an error the decoder stays
// failed and yields nothing more. The maximum may be changed between frames (the transport
// uses a small one during the handshake and a large one afterwards).
//
// Thread safety: none; one owner.
class FrameDecoder {
 public:
  explicit FrameDecoder(std::size_t max_frame_bytes);

  void set_max_frame_bytes(std::size_t max_frame_bytes);
  std::size_t max_frame_bytes() const { return max_frame_bytes_; }

  // Buffers `chunk` for next(). Ignored after an error.
  void feed(ByteView chunk);
  // The next complete frame's payload, or nullopt when more bytes are needed or on error.
  std::optional<Bytes> next();

  bool failed() const { return error_ != FrameError::kNone; }
  FrameError error() const { return error_; }
  // One line describing the error (with the offending length), empty when not failed.
  const std::string& error_message() const { return error_message_; }
  // The length the peer claimed when error() == kOversized.
  std::uint32_t rejected_length() const { return rejected_length_; }
  // Bytes fed but not yet returned in a frame (pending input, partial header and body).
  std::size_t buffered_bytes() const;

 private:
  std::size_t take_into(std::uint8_t* out, std::size_t wanted);
  void fail(FrameError error, std::string message);

  std::size_t max_frame_bytes_;
  Bytes pending_;  // fed bytes not yet consumed
  std::size_t pending_offset_ = 0;
  std::uint8_t header_[kFrameHeaderBytes] = {};
  std::size_t header_filled_ = 0;
  bool have_length_ = false;
  std::uint32_t length_ = 0;  // valid when have_length_
  Bytes body_;                // the frame being assembled
  FrameError error_ = FrameError::kNone;
  std::string error_message_;
  std::uint32_t rejected_length_ = 0;
};

}  // namespace synod::transport
