// What every fuzz target file provides, for libFuzzer and for the fuzz-smoke driver.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "base/bytes.h"

// libFuzzer's entry point: must accept any input without crashing, hanging or leaking.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace synod::fuzz {

// Valid inputs for this target: the smoke driver starts from them, and `--write-seeds DIR`
// writes them out as a libFuzzer seed corpus.
std::vector<Bytes> seed_inputs();

// A broken property is a crash, so both libFuzzer and the smoke driver report it.
inline void require(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "fuzz property violated: %s\n", what);
    std::abort();
  }
}

inline ByteView input_view(const std::uint8_t* data, std::size_t size) {
  return size == 0 ? ByteView{} : ByteView(data, size);
}

}  // namespace synod::fuzz
