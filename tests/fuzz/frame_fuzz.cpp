// Fuzz target: the transport's frame decoder, fed a peer's byte stream in arbitrary chunks.
//
// Input: byte 0 picks the chunk size, byte 1 the frame size limit, the rest is the stream.
// Properties: the frames re-encode to the start of the stream, no frame is empty or over
// the limit, chunking does not change the result, and an error is final.
#include <algorithm>

#include "node/transport/frame.h"
#include "tests/fuzz/fuzz_target.h"

using namespace synod;

namespace {

constexpr std::size_t kLimits[] = {1, 7, 64, 512, 1 << 20};

struct Decoded {
  std::vector<Bytes> frames;
  transport::FrameError error = transport::FrameError::kNone;
  std::size_t buffered_bytes = 0;
};

// Feeds `stream` in chunks of `chunk_bytes`, draining after each feed as the transport does.
Decoded decode(ByteView stream, std::size_t chunk_bytes, std::size_t limit) {
  transport::FrameDecoder decoder(limit);
  Decoded out;
  for (std::size_t at = 0; at < stream.size(); at += chunk_bytes) {
    decoder.feed(stream.subspan(at, std::min(chunk_bytes, stream.size() - at)));
    while (auto frame = decoder.next()) {
      fuzz::require(!frame->empty() && frame->size() <= limit, "frame size within 1..limit");
      out.frames.push_back(std::move(*frame));
    }
  }
  out.error = decoder.error();
  out.buffered_bytes = decoder.buffered_bytes();
  if (decoder.failed()) {
    fuzz::require(!decoder.error_message().empty(), "a failed decoder says why");
    fuzz::require(out.buffered_bytes == 0, "a failed decoder holds nothing");
    decoder.feed(stream);
    fuzz::require(!decoder.next().has_value(), "a failed decoder stays failed");
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2)
    return 0;
  const std::size_t chunk_bytes = 1 + data[0] % 64;
  const std::size_t limit = kLimits[data[1] % std::size(kLimits)];
  const ByteView stream = fuzz::input_view(data + 2, size - 2);

  const Decoded chunked = decode(stream, chunk_bytes, limit);
  const Decoded whole = decode(stream, std::max<std::size_t>(stream.size(), 1), limit);
  fuzz::require(chunked.frames == whole.frames && chunked.error == whole.error,
                "chunking does not change the frames");

  Bytes reencoded;
  for (const Bytes& frame : chunked.frames)
    transport::append_frame(reencoded, frame);
  fuzz::require(reencoded.size() <= stream.size() &&
                    std::equal(reencoded.begin(), reencoded.end(), stream.begin()),
                "frames re-encode to the start of the stream");
  if (chunked.error == transport::FrameError::kNone)
    fuzz::require(reencoded.size() + chunked.buffered_bytes == stream.size(),
                  "every byte fed is in a frame or buffered");
  return 0;
}

std::vector<Bytes> synod::fuzz::seed_inputs() {
  std::vector<Bytes> seeds;
  const Bytes hello(70, 0x11);
  for (std::uint8_t chunk : {0, 3, 63}) {
    Bytes seed{chunk, 3};  // limit 512
    transport::append_frame(seed, hello);
    transport::append_frame(seed, Bytes{0x02});
    transport::append_frame(seed, Bytes(300, 0x5a));
    seed.push_back(0x10);  // the start of a next header
    seeds.push_back(seed);
  }
  Bytes oversized{5, 2};  // limit 64
  transport::append_frame(oversized, Bytes(65, 0x01));
  seeds.push_back(oversized);
  seeds.push_back(Bytes{1, 4, 0, 0, 0, 0});  // an empty frame
  return seeds;
}
