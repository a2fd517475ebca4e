// fuzz-smoke: a plain driver for one fuzz target, so every build (not only clang with
// libFuzzer) runs each decoder over a deterministic set of hostile inputs:
//
//   - the target's valid seed inputs,
//   - every truncation of each seed,
//   - single-byte mutations of each seed (bit flips and a few telling byte values),
//   - a few thousand buffers from a seeded generator: random bytes, seeds with several
//     random edits, and seed prefixes with random tails.
//
// A crash or a broken property aborts, which CTest reports as a failure. Usage:
//   fuzz_smoke_NAME                     run the smoke set
//   fuzz_smoke_NAME --corpus DIR        run the smoke set, then every file in DIR
//   fuzz_smoke_NAME FILE...             run the target on the given files (replay a crash)
//   fuzz_smoke_NAME --write-seeds DIR   write the seed inputs as a libFuzzer corpus
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <string_view>

#include "tests/fuzz/fuzz_target.h"

using namespace synod;

namespace {

constexpr std::uint64_t kRandomSeed = 0x5eed'f00d'cafe'0001;
constexpr int kRandomInputs = 3000;
constexpr std::size_t kMaxRandomSize = 1024;

// Byte values that tend to matter: bit flips, extremes, and JSON/hex structure characters.
constexpr std::uint8_t kInterestingBytes[] = {0x00, 0x01, 0x02, 0x7f, 0x80, 0xff, '"',
                                              '\\', '0',  '9',  '-',  '.',  'e',  '{',
                                              '}',  ']',  ',',  ':',  'a',  'A',  'g'};

class Runner {
 public:
  void run(ByteView input) {
    // A copy in its own allocation, so reads past the end are caught by sanitizers.
    Bytes copy(input.begin(), input.end());
    LLVMFuzzerTestOneInput(copy.data(), copy.size());
    ++count_;
  }
  std::size_t count() const { return count_; }

 private:
  std::size_t count_ = 0;
};

void run_truncations(Runner& runner, const Bytes& seed) {
  for (std::size_t length = 0; length < seed.size(); ++length)
    runner.run(ByteView(seed).first(length));
}

void run_single_byte_mutations(Runner& runner, const Bytes& seed) {
  Bytes mutated = seed;
  for (std::size_t i = 0; i < seed.size(); ++i) {
    for (int bit = 0; bit < 8; bit += 3) {
      mutated[i] = static_cast<std::uint8_t>(seed[i] ^ (1u << bit));
      runner.run(mutated);
    }
    for (std::uint8_t value : kInterestingBytes) {
      if (value == seed[i])
        continue;
      mutated[i] = value;
      runner.run(mutated);
    }
    mutated[i] = seed[i];
  }
}

Bytes random_bytes(std::mt19937_64& random, std::size_t size) {
  Bytes out(size);
  for (auto& byte : out)
    byte = static_cast<std::uint8_t>(random());
  return out;
}

// A seed with a handful of random edits: overwrite, insert, delete, duplicate a slice.
Bytes random_edits(std::mt19937_64& random, Bytes input) {
  const int edits = 1 + static_cast<int>(random() % 8);
  for (int e = 0; e < edits; ++e) {
    const std::size_t at = input.empty() ? 0 : random() % input.size();
    switch (random() % 4) {
      case 0:
        if (!input.empty())
          input[at] = static_cast<std::uint8_t>(random());
        break;
      case 1:
        input.insert(input.begin() + static_cast<std::ptrdiff_t>(at),
                     static_cast<std::uint8_t>(random()));
        break;
      case 2:
        if (!input.empty())
          input.erase(input.begin() + static_cast<std::ptrdiff_t>(at));
        break;
      default: {
        if (input.empty() || input.size() > 4 * kMaxRandomSize)
          break;
        const std::size_t length = 1 + random() % std::min<std::size_t>(32, input.size() - at);
        Bytes slice(input.begin() + static_cast<std::ptrdiff_t>(at),
                    input.begin() + static_cast<std::ptrdiff_t>(at + length));
        input.insert(input.begin() + static_cast<std::ptrdiff_t>(random() % input.size()),
                     slice.begin(), slice.end());
        break;
      }
    }
  }
  return input;
}

void run_random(Runner& runner, const std::vector<Bytes>& seeds) {
  std::mt19937_64 random(kRandomSeed);
  for (int i = 0; i < kRandomInputs; ++i) {
    const std::size_t size = random() % (kMaxRandomSize + 1);
    switch (seeds.empty() ? 0 : i % 3) {
      case 0:
        runner.run(random_bytes(random, random() % 4 == 0 ? size % 16 : size));
        break;
      case 1:
        runner.run(random_edits(random, seeds[random() % seeds.size()]));
        break;
      default: {
        const Bytes& seed = seeds[random() % seeds.size()];
        Bytes input(seed.begin(),
                    seed.begin() + static_cast<std::ptrdiff_t>(random() % (seed.size() + 1)));
        append(input, random_bytes(random, size % 64));
        runner.run(input);
        break;
      }
    }
  }
}

bool read_file(const std::string& path, Bytes& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return false;
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

int write_seeds(const std::string& directory) {
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  const std::vector<Bytes> seeds = fuzz::seed_inputs();
  for (std::size_t i = 0; i < seeds.size(); ++i) {
    const auto path = std::filesystem::path(directory) / ("seed-" + std::to_string(i));
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(seeds[i].data()),
              static_cast<std::streamsize>(seeds[i].size()));
    if (!out) {
      std::fprintf(stderr, "cannot write %s\n", path.string().c_str());
      return 1;
    }
  }
  std::printf("wrote %zu seeds to %s\n", seeds.size(), directory.c_str());
  return 0;
}

int run_files(Runner& runner, const std::vector<std::string>& paths) {
  for (const std::string& path : paths) {
    Bytes input;
    if (!read_file(path, input)) {
      std::fprintf(stderr, "cannot read %s\n", path.c_str());
      return 1;
    }
    runner.run(input);
  }
  return 0;
}

// The files of a corpus directory, sorted so runs are repeatable; empty with an error
// message when the directory cannot be read.
bool corpus_files(const std::string& directory, std::vector<std::string>& out) {
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(directory, error)) {
    if (entry.is_regular_file())
      out.push_back(entry.path().string());
  }
  if (error) {
    std::fprintf(stderr, "cannot read corpus %s: %s\n", directory.c_str(), error.message().c_str());
    return false;
  }
  std::sort(out.begin(), out.end());
  return true;
}

void run_smoke_set(Runner& runner, const std::vector<Bytes>& seeds) {
  for (const Bytes& seed : seeds) {
    runner.run(seed);
    run_truncations(runner, seed);
    run_single_byte_mutations(runner, seed);
  }
  run_random(runner, seeds);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::string_view(argv[1]) == "--write-seeds")
    return write_seeds(argv[2]);

  Runner runner;
  const bool corpus = argc == 3 && std::string_view(argv[1]) == "--corpus";
  if (argc > 1 && !corpus) {
    if (run_files(runner, std::vector<std::string>(argv + 1, argv + argc)) != 0)
      return 1;
    std::printf("ran %zu inputs\n", runner.count());
    return 0;
  }

  const auto start = std::chrono::steady_clock::now();
  const std::vector<Bytes> seeds = fuzz::seed_inputs();
  if (seeds.empty()) {
    std::fprintf(stderr, "the target has no seed inputs\n");
    return 1;
  }
  run_smoke_set(runner, seeds);
  std::vector<std::string> files;
  if (corpus && (!corpus_files(argv[2], files) || run_files(runner, files) != 0))
    return 1;
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  std::printf("fuzz-smoke: %zu inputs from %zu seeds and %zu corpus files, no failures (%lld ms)\n",
              runner.count(), seeds.size(), files.size(), static_cast<long long>(elapsed.count()));
  return 0;
}
