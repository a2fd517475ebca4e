#include "node/transport/frame.h"

#include <algorithm>
#include <cassert>
#include <limits>

namespace synod::transport {

namespace {
// A frame's buffer starts at most this big and then grows with the bytes that arrive.
constexpr std::size_t kInitialBodyReserveBytes = 64 * 1024;
}  // namespace

void append_frame(Bytes& out, ByteView payload) {
  assert(!payload.empty());
  assert(payload.size() <= std::numeric_limits<std::uint32_t>::max());
  auto length = static_cast<std::uint32_t>(payload.size());
  for (std::size_t i = 0; i < kFrameHeaderBytes; ++i)
    out.push_back(static_cast<std::uint8_t>(length >> (8 * i)));
  append(out, payload);
}

Bytes encode_frame(ByteView payload) {
  Bytes out;
  out.reserve(kFrameHeaderBytes + payload.size());
  append_frame(out, payload);
  return out;
}

const char* to_string(FrameError error) {
  switch (error) {
    case FrameError::kNone:
      return "none";
    case FrameError::kOversized:
      return "oversized frame";
    case FrameError::kEmpty:
      return "empty frame";
  }
  return "unknown frame error";
}

FrameDecoder::FrameDecoder(std::size_t max_frame_bytes) : max_frame_bytes_(max_frame_bytes) {}

void FrameDecoder::set_max_frame_bytes(std::size_t max_frame_bytes) {
  max_frame_bytes_ = max_frame_bytes;
}

void FrameDecoder::feed(ByteView chunk) {
  if (failed() || chunk.empty())
    return;
  if (pending_offset_ == pending_.size()) {
    pending_.clear();
    pending_offset_ = 0;
  } else if (pending_offset_ > 0) {
    pending_.erase(pending_.begin(),
                   pending_.begin() + static_cast<std::ptrdiff_t>(pending_offset_));
    pending_offset_ = 0;
  }
  append(pending_, chunk);
}

std::size_t FrameDecoder::take_into(std::uint8_t* out, std::size_t wanted) {
  std::size_t n = std::min(wanted, pending_.size() - pending_offset_);
  std::copy_n(pending_.begin() + static_cast<std::ptrdiff_t>(pending_offset_), n, out);
  pending_offset_ += n;
  return n;
}

void FrameDecoder::fail(FrameError error, std::string message) {
  error_ = error;
  error_message_ = std::move(message);
  pending_.clear();
  pending_offset_ = 0;
  header_filled_ = 0;
  have_length_ = false;
  body_ = Bytes();
}

std::optional<Bytes> FrameDecoder::next() {
  if (failed())
    return std::nullopt;
  if (!have_length_) {
    header_filled_ += take_into(header_ + header_filled_, kFrameHeaderBytes - header_filled_);
    if (header_filled_ < kFrameHeaderBytes)
      return std::nullopt;
    std::uint32_t length = 0;
    for (std::size_t i = 0; i < kFrameHeaderBytes; ++i)
      length |= static_cast<std::uint32_t>(header_[i]) << (8 * i);
    if (length == 0) {
      fail(FrameError::kEmpty, "empty frame (zero length is reserved)");
      return std::nullopt;
    }
    if (length > max_frame_bytes_) {
      rejected_length_ = length;
      fail(FrameError::kOversized, "frame length " + std::to_string(length) +
                                       " exceeds the maximum " + std::to_string(max_frame_bytes_));
      return std::nullopt;
    }
    have_length_ = true;
    length_ = length;
    body_.clear();
    body_.reserve(std::min<std::size_t>(length, kInitialBodyReserveBytes));
  }
  std::size_t available = pending_.size() - pending_offset_;
  std::size_t n = std::min<std::size_t>(length_ - body_.size(), available);
  auto begin = pending_.begin() + static_cast<std::ptrdiff_t>(pending_offset_);
  body_.insert(body_.end(), begin, begin + static_cast<std::ptrdiff_t>(n));
  pending_offset_ += n;
  if (body_.size() < length_)
    return std::nullopt;
  have_length_ = false;
  header_filled_ = 0;
  Bytes frame = std::move(body_);
  body_ = Bytes();
  return frame;
}

std::size_t FrameDecoder::buffered_bytes() const {
  return (pending_.size() - pending_offset_) + header_filled_ + body_.size();
}

}  // namespace synod::transport
