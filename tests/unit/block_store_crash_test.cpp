// Crash safety of chain::BlockStore: a child process (store_crash_writer) appends blocks of
// signed transfers, and at random also reorgs, stores side blocks and indexes transactions,
// and is SIGKILLed at random moments. After each kill the store must reopen with an intact
// head block and a best chain that links from block 0; no block the writer reported may have
// been lost; replaying the best chain from genesis must reproduce each block's stored undo
// data and the head's state root, which must also be the root of the stored accounts; side
// blocks must hang off stored parents; and the transaction index must cover exactly the best
// chain up to the indexed height. A reorg cut short by a kill must leave either the old best
// chain or the new one, which these checks tell apart from any mixture.
//
// The kill schedule comes from a seeded generator; SYNOD_CRASH_SEED and SYNOD_CRASH_KILLS
// override the seed and the number of kills (a soak run uses more).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>  // mkdtemp
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "chain/block_store.h"
#include "chain/genesis.h"
#include "chain/state.h"
#include "crypto/hex.h"
#include "tests/support/temp_dir.h"

#ifndef SYNOD_STORE_CRASH_WRITER
#error "SYNOD_STORE_CRASH_WRITER must name the store_crash_writer executable"
#endif

using namespace synod;
using namespace synod::chain;

namespace {

constexpr std::uint64_t kDefaultSeed = 0x5eed'c0de'2024;
constexpr int kDefaultKills = 200;
constexpr int kKillsPerStore = 20;  // a fresh store every so many kills bounds replay cost
constexpr int kMinRunUs = 2'000;    // kill this long after the start...
constexpr int kMaxRunUs = 40'000;
constexpr int kMaxExtraUs = 20'000;  // ...or up to this long after the awaited blocks

// Must match make_keys() and make_genesis() in store_crash_writer.cpp (checked by
// BlockStore::initialize, which refuses a different genesis).
Genesis crash_test_genesis() {
  auto key_from = [](std::uint8_t tag, std::size_t index) {
    crypto::Seed seed;
    seed.data[0] = tag;
    seed.data[1] = static_cast<std::uint8_t>(index);
    seed.data[2] = static_cast<std::uint8_t>(index >> 8);
    return crypto::KeyPair::from_seed(seed);
  };
  Genesis genesis;
  genesis.chain_id = "store-crash-test";
  genesis.genesis_time_ms = 1'700'000'000'000;
  std::vector<ValidatorInfo> validators;
  for (std::size_t i = 0; i < 4; ++i) {
    validators.push_back(ValidatorInfo{"validator-" + std::to_string(i),
                                       key_from(0xc1, i).public_key(),
                                       "127.0.0.1:" + std::to_string(27000 + i), 1});
  }
  genesis.validators = ValidatorSet(std::move(validators));
  for (std::size_t i = 0; i < 32; ++i) {
    genesis.accounts.push_back(
        GenesisAccount{address_of(key_from(0xc2, i).public_key()), 1'000'000'000'000'000, 0});
  }
  return genesis;
}

std::uint64_t env_number(const char* name, std::uint64_t fallback) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0')
    return fallback;
  return std::strtoull(text, nullptr, 0);
}

// Temporary directories: tests/support/temp_dir.h.
struct TempDir : synod::testing::TempDir {
  TempDir() : synod::testing::TempDir("synod-store-crash") {}
};

// A running store_crash_writer with its stdout on a pipe to us. It reports "ready H HASH",
// "appended H HASH", "reorged H HASH", "side H HASH" and "indexed H" lines (see
// store_crash_writer.cpp); each names something already committed.
class WriterProcess {
 public:
  explicit WriterProcess(const std::string& db_path, std::vector<std::string> flags = {}) {
    int fds[2];
    REQUIRE(pipe2(fds, O_CLOEXEC) == 0);
    std::vector<std::string> args{SYNOD_STORE_CRASH_WRITER, db_path};
    args.insert(args.end(), flags.begin(), flags.end());
    std::vector<char*> argv;
    for (auto& arg : args)
      argv.push_back(arg.data());
    argv.push_back(nullptr);
    pid_ = fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      // Only async-signal-safe calls between fork and exec.
      if (dup2(fds[1], STDOUT_FILENO) < 0)
        _exit(126);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(fds[1]);
    fd_ = fds[0];
  }
  ~WriterProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    close(fd_);
  }
  WriterProcess(const WriterProcess&) = delete;
  WriterProcess& operator=(const WriterProcess&) = delete;

  // The head the writer started from, once it has said so.
  std::optional<std::uint64_t> start_height() const { return start_height_; }
  // The highest head height the writer reported as stored.
  std::optional<std::uint64_t> committed_height() const { return committed_height_; }
  // Every block the writer reported as stored (heads and side blocks).
  const std::vector<crypto::Hash256>& reported_blocks() const { return reported_blocks_; }
  std::size_t reorgs() const { return reorgs_; }

  // Reads reports until `done()` holds. False when the writer closed its output first or
  // nothing came for `timeout_ms` (a hang guard, far above any normal pause).
  bool read_until(const std::function<bool()>& done, int timeout_ms = 60'000) {
    while (!done()) {
      pollfd readable{fd_, POLLIN, 0};
      if (poll(&readable, 1, timeout_ms) <= 0)
        return false;
      if (!read_some())
        return false;
    }
    return true;
  }

  // Ends the writer with SIGKILL and reads what it reported before dying. Returns the wait
  // status.
  int kill_and_reap() {
    REQUIRE(kill(pid_, SIGKILL) == 0);
    return reap();
  }
  // Waits for the writer to end by itself and reads what it reported. Returns the wait status.
  int reap() {
    int wait_status = 0;
    REQUIRE(waitpid(pid_, &wait_status, 0) == pid_);
    pid_ = -1;
    while (read_some()) {
    }
    return wait_status;
  }

 private:
  // One read(); false at end of output.
  bool read_some() {
    char buffer[4096];
    ssize_t n = read(fd_, buffer, sizeof buffer);
    if (n <= 0)
      return false;
    partial_.append(buffer, static_cast<std::size_t>(n));
    for (std::size_t end; (end = partial_.find('\n')) != std::string::npos;) {
      parse(partial_.substr(0, end));
      partial_.erase(0, end + 1);
    }
    return true;
  }
  void parse(const std::string& line) {
    std::istringstream in(line);
    std::string what;
    std::uint64_t height = 0;
    std::string hash_hex;
    in >> what >> height;
    INFO("writer said: " << line);
    REQUIRE(!in.fail());
    if (what == "indexed")
      return;
    REQUIRE((what == "ready" || what == "appended" || what == "reorged" || what == "side"));
    in >> hash_hex;
    auto hash = crypto::fixed_from_hex<crypto::Hash256>(hash_hex, "reported hash");
    REQUIRE(hash.ok());
    reported_blocks_.push_back(*hash);
    if (what == "side")
      return;
    if (what == "ready")
      start_height_ = height;
    if (what == "reorged")
      ++reorgs_;
    // Appends and reorgs both raise the head.
    REQUIRE((!committed_height_ || height >= *committed_height_));
    committed_height_ = height;
  }

  pid_t pid_ = -1;
  int fd_ = -1;
  std::string partial_;
  std::optional<std::uint64_t> start_height_;
  std::optional<std::uint64_t> committed_height_;
  std::vector<crypto::Hash256> reported_blocks_;
  std::size_t reorgs_ = 0;
};

// The hash of every best-chain block by height, read with SQLite directly, so that the check
// does not rest on the code under test.
std::map<std::uint64_t, crypto::Hash256> raw_block_hashes(const std::string& db_path) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* query = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "SELECT height, hash FROM blocks WHERE best = 1 ORDER BY height",
                             -1, &query, nullptr) == SQLITE_OK);
  std::map<std::uint64_t, crypto::Hash256> hashes;
  int rc;
  while ((rc = sqlite3_step(query)) == SQLITE_ROW) {
    const auto* data = static_cast<const std::uint8_t*>(sqlite3_column_blob(query, 1));
    int size = sqlite3_column_bytes(query, 1);
    CHECK(size == static_cast<int>(crypto::Hash256::kSize));
    hashes[static_cast<std::uint64_t>(sqlite3_column_int64(query, 0))] =
        crypto::Hash256::from(ByteView(data, static_cast<std::size_t>(size)));
  }
  CHECK(rc == SQLITE_DONE);
  sqlite3_finalize(query);
  sqlite3_close(db);
  return hashes;
}

// How many rows the transaction index holds for each height, read with SQLite directly.
std::map<std::uint64_t, std::size_t> raw_index_counts(const std::string& db_path) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* query = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "SELECT height, count(*) FROM transactions GROUP BY height", -1,
                             &query, nullptr) == SQLITE_OK);
  std::map<std::uint64_t, std::size_t> counts;
  int rc;
  while ((rc = sqlite3_step(query)) == SQLITE_ROW) {
    counts[static_cast<std::uint64_t>(sqlite3_column_int64(query, 0))] =
        static_cast<std::size_t>(sqlite3_column_int64(query, 1));
  }
  CHECK(rc == SQLITE_DONE);
  sqlite3_finalize(query);
  sqlite3_close(db);
  return counts;
}

struct Observed {
  std::optional<std::uint64_t> head_height;
  crypto::Hash256 head_hash;
};

// What the writer reported before a kill.
struct Reported {
  std::optional<std::uint64_t> height;  // the highest head
  std::vector<crypto::Hash256> blocks;  // every block it stored, best or side
};

// Replays the best chain (whose hashes by height are `hashes`) from genesis: each block must
// link to the one before, apply to the replayed ledger and have the replay's diff as its undo
// data, and the ledger must end at the head's state root, as the stored accounts must.
// Returns each block's transaction count by height. Signatures are checked in `head` only.
std::vector<std::size_t> check_best_chain(const BlockStore& store, const Genesis& genesis,
                                          const std::map<std::uint64_t, crypto::Hash256>& hashes,
                                          const Block& head, bool verify_head) {
  State replayed = State::from_genesis(genesis);
  crypto::Hash256 previous = genesis.hash();
  std::vector<std::size_t> tx_counts;
  for (std::uint64_t h = 0; h <= head.header.height; ++h) {
    auto block = store.block_at(h);
    REQUIRE(block.ok());
    REQUIRE(block->has_value());
    const Block& stored = **block;
    REQUIRE(stored.header.height == h);
    REQUIRE(stored.hash() == hashes.at(h));
    REQUIRE(stored.header.prev_hash == previous);
    previous = stored.hash();
    tx_counts.push_back(stored.transactions.size());
    if (h == 0) {
      REQUIRE(stored == make_genesis_block(genesis));
      continue;
    }
    // Signatures cost more than everything else here and the test is about storage.
    bool verify = verify_head && h == head.header.height;
    auto applied = replayed.apply_block(
        stored, verify ? SignaturePolicy::kVerify : SignaturePolicy::kAlreadyVerified);
    INFO("best block " << h << ": " << (applied ? std::string() : applied.message()));
    REQUIRE(applied.ok());
    auto undo = store.undo_at(h);
    REQUIRE(undo.ok());
    REQUIRE(*undo == std::optional<StateDiff>(*applied));
  }
  REQUIRE(replayed.root() == head.header.state_root);
  auto loaded = store.load_state(SigningDomain::of(genesis));
  REQUIRE(loaded.ok());
  REQUIRE(loaded->root() == head.header.state_root);
  REQUIRE(loaded->accounts() == replayed.accounts());
  return tx_counts;
}

// Every side block hangs off a stored parent one height below it and is off the best chain;
// the only active tip is the head. Recent side blocks' transactions are not reported in them.
void check_side_blocks(const BlockStore& store, const Block& head) {
  auto side = store.side_blocks(0);
  REQUIRE(side.ok());
  for (const Block& block : *side) {
    auto parent = store.block_by_hash(block.header.prev_hash);
    REQUIRE(parent.ok());
    REQUIRE(parent->has_value());
    REQUIRE((*parent)->header.height + 1 == block.header.height);
    auto best = store.best_height_of(block.hash());
    REQUIRE(best.ok());
    REQUIRE_FALSE(best->has_value());
    if (block.header.height + 3 < head.header.height)
      continue;
    for (const auto& tx : block.transactions) {
      auto found = store.find_transaction(tx.hash());
      REQUIRE(found.ok());
      REQUIRE((!found->has_value() || (*found)->block_hash != block.hash()));
    }
  }
  auto tips = store.chain_tips();
  REQUIRE(tips.ok());
  std::size_t active = 0;
  for (const ChainTip& tip : *tips) {
    if (tip.active) {
      ++active;
      REQUIRE(tip.hash == head.hash());
    }
  }
  REQUIRE(active == 1);
}

// The SQL transaction index holds exactly the transactions of the best chain's blocks up to
// the indexed height, and the head block's transactions are found where they are.
void check_transaction_index(const BlockStore& store, const std::string& db_path,
                             const std::vector<std::size_t>& tx_counts, const Block& head) {
  REQUIRE(store.indexed_height() <= head.header.height);
  auto counts = raw_index_counts(db_path);
  for (const auto& [height, count] : counts) {
    INFO("index rows at height " << height << ", indexed through " << store.indexed_height());
    REQUIRE(height <= store.indexed_height());
    REQUIRE(count == tx_counts.at(height));
  }
  for (std::uint64_t h = 1; h <= store.indexed_height(); ++h)
    REQUIRE((tx_counts.at(h) == 0 || counts.count(h) == 1));
  for (std::uint32_t i = 0; i < head.transactions.size(); ++i) {
    auto found = store.find_transaction(head.transactions[i].hash());
    REQUIRE(found.ok());
    REQUIRE(found->has_value());
    REQUIRE((*found)->height == head.header.height);
    REQUIRE((*found)->index == i);
    REQUIRE((*found)->block_hash == head.hash());
  }
}

// Reopens the store after a kill and checks it in full. Returns what it saw.
Observed check_store(const std::string& db_path, const Genesis& genesis, const Observed& before,
                     const Reported& reported) {
  auto opened = BlockStore::open(db_path);
  INFO((opened ? std::string() : opened.message()));
  REQUIRE(opened.ok());
  BlockStore& store = **opened;
  if (!store.head_height()) {
    // Killed before the first initialise committed: nothing may have been there before.
    REQUIRE_FALSE(before.head_height.has_value());
    REQUIRE_FALSE(reported.height.has_value());
    return before;
  }
  Status same_genesis = store.initialize(genesis);
  INFO(same_genesis.message());
  REQUIRE(same_genesis.ok());

  std::uint64_t height = *store.head_height();
  auto head = store.head();
  INFO((head ? std::string() : head.message()));
  REQUIRE(head.ok());
  REQUIRE(head->header.height == height);
  auto hashes = raw_block_hashes(db_path);
  REQUIRE(hashes.size() == height + 1);  // heights 0..head, none missing
  REQUIRE(hashes.rbegin()->first == height);
  REQUIRE(hashes.at(height) == head->hash());

  // Durability: the head never goes down (appends and reorgs both raise it), and no block
  // committed before this kill has gone (a reorg keeps the blocks it undoes).
  if (reported.height)
    REQUIRE(height >= *reported.height);
  if (before.head_height)
    REQUIRE(height >= *before.head_height);
  for (const auto& hash : reported.blocks) {
    auto block = store.block_by_hash(hash);
    REQUIRE(block.ok());
    REQUIRE(block->has_value());
  }

  bool new_head = before.head_hash != head->hash();
  auto tx_counts = check_best_chain(store, genesis, hashes, *head, new_head);
  check_side_blocks(store, *head);
  check_transaction_index(store, db_path, tx_counts, *head);
  return Observed{height, head->hash()};
}

}  // namespace

TEST_CASE("block store survives a writer SIGKILLed at random moments", "[store][crash]") {
  const std::uint64_t seed = env_number("SYNOD_CRASH_SEED", kDefaultSeed);
  const int kills = static_cast<int>(env_number("SYNOD_CRASH_KILLS", kDefaultKills));
  std::mt19937_64 rng(seed);
  std::bernoulli_distribution after_blocks(0.5);
  std::uniform_int_distribution<int> run_us(kMinRunUs, kMaxRunUs);
  std::uniform_int_distribution<std::uint64_t> blocks_first(1, 2);
  std::uniform_int_distribution<int> extra_us(0, kMaxExtraUs);
  const Genesis genesis = crash_test_genesis();

  auto started = std::chrono::steady_clock::now();
  std::uint64_t blocks_total = 0;
  int kills_while_empty = 0;  // before the genesis was committed
  int kills_after_blocks = 0;
  std::size_t reorgs = 0;
  std::optional<TempDir> dir;
  std::string db_path;
  Observed observed;
  Reported reported;  // over the current store's life
  for (int kill_number = 0; kill_number < kills; ++kill_number) {
    if (kill_number % kKillsPerStore == 0) {
      if (observed.head_height)
        blocks_total += *observed.head_height;
      dir.reset();
      dir.emplace();
      db_path = dir->file("chain.db");
      observed = Observed{};
      reported = Reported{};
    }
    // Half the kills come at a random time after the start (often during open, load_state
    // or initialise); the others a random time after the writer reported 1 or 2 new blocks
    // (usually while it builds or commits the next one).
    bool wait_for_blocks = after_blocks(rng);
    std::uint64_t blocks = blocks_first(rng);
    int delay_us = wait_for_blocks ? extra_us(rng) : run_us(rng);
    INFO("seed " << seed << ", kill " << kill_number << ": "
                 << (wait_for_blocks ? std::to_string(blocks) + " blocks, then " : "") << delay_us
                 << " us");

    // The writer draws its steps (appends, reorgs, side blocks, indexing) from this seed.
    std::uint64_t writer_seed = seed + static_cast<std::uint64_t>(kill_number);
    WriterProcess writer(db_path, {"--seed", std::to_string(writer_seed)});
    if (wait_for_blocks) {
      REQUIRE(writer.read_until([&] {
        return writer.start_height() &&
               *writer.committed_height() >= *writer.start_height() + blocks;
      }));
      ++kills_after_blocks;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(delay_us));
    int wait_status = writer.kill_and_reap();
    // The writer never stops by itself: an exit means it failed (its stderr says why).
    INFO("writer wait status " << wait_status);
    REQUIRE(WIFSIGNALED(wait_status));
    REQUIRE(WTERMSIG(wait_status) == SIGKILL);

    reported.height = writer.committed_height();
    const auto& blocks_reported = writer.reported_blocks();
    reported.blocks.insert(reported.blocks.end(), blocks_reported.begin(), blocks_reported.end());
    reorgs += writer.reorgs();
    observed = check_store(db_path, genesis, observed, reported);
    kills_while_empty += observed.head_height ? 0 : 1;
  }
  if (observed.head_height)
    blocks_total += *observed.head_height;
  auto elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - started)
                        .count();
  WARN(kills << " kills (" << kills_while_empty << " before the genesis was stored, "
             << kills_after_blocks << " after new blocks), " << blocks_total
             << " best-chain blocks replayed, " << reorgs << " reorgs reported, " << elapsed_ms
             << " ms, seed " << seed);
  CHECK(blocks_total >= static_cast<std::uint64_t>(kills_after_blocks));
}

TEST_CASE("store crash writer stops cleanly after --max-blocks", "[store][crash]") {
  TempDir dir;
  std::string db_path = dir.file("chain.db");
  const Genesis genesis = crash_test_genesis();
  Observed observed;
  for (std::uint64_t run = 1; run <= 2; ++run) {
    WriterProcess writer(db_path, {"--max-blocks", "3"});
    int wait_status = writer.reap();
    REQUIRE(WIFEXITED(wait_status));
    REQUIRE(WEXITSTATUS(wait_status) == 0);
    // The second run carried on from the stored head.
    CHECK(writer.start_height() == std::optional<std::uint64_t>(3 * (run - 1)));
    CHECK(writer.committed_height() == std::optional<std::uint64_t>(3 * run));
    observed = check_store(db_path, genesis, observed,
                           Reported{writer.committed_height(), writer.reported_blocks()});
    CHECK(observed.head_height == std::optional<std::uint64_t>(3 * run));
  }
}

TEST_CASE("store crash writer with --seed reorgs and stops cleanly after --max-blocks",
          "[store][crash]") {
  TempDir dir;
  std::string db_path = dir.file("chain.db");
  const Genesis genesis = crash_test_genesis();
  Observed observed;
  Reported reported;
  std::size_t reorgs = 0;
  for (std::uint64_t run = 1; run <= 3; ++run) {
    WriterProcess writer(
        db_path, {"--max-blocks", "15", "--seed", std::to_string(run), "--transactions", "40"});
    int wait_status = writer.reap();
    REQUIRE(WIFEXITED(wait_status));
    REQUIRE(WEXITSTATUS(wait_status) == 0);
    CHECK(writer.start_height() == std::optional<std::uint64_t>(15 * (run - 1)));
    CHECK(writer.committed_height() == std::optional<std::uint64_t>(15 * run));
    reported.height = writer.committed_height();
    const auto& blocks_reported = writer.reported_blocks();
    reported.blocks.insert(reported.blocks.end(), blocks_reported.begin(), blocks_reported.end());
    reorgs += writer.reorgs();
    observed = check_store(db_path, genesis, observed, reported);
    CHECK(observed.head_height == std::optional<std::uint64_t>(15 * run));
  }
  CHECK(reorgs > 0);
}
