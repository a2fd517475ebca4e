// Helper for block_store_crash_test: appends blocks of real signed transfers to a block
// store until it is killed.
//
//   store_crash_writer DB_PATH [--max-blocks N] [--transactions N] [--seed S]
//
// It opens (or creates) the store with a fixed genesis, reloads the ledger with load_state,
// checks it against the head block, and then appends block after block on top of the stored
// head. The blocks it appends are a deterministic function of the stored state, so a writer
// restarted after a kill carries on the same chain.
//
// With --seed, each step is instead drawn from a generator seeded with S and the starting
// head: mostly an append, otherwise a reorg (undo the top 1 to 3 blocks and append a branch
// one block longer, whose first block may be a side block stored before), a side block (a
// rival of the head), or bulk transaction indexing. Reorgs and appends both raise the head by
// one; --max-blocks counts them.
//
// On stdout it reports, once each call has returned (so what it names is committed):
//   ready H HASH      the store is open at head H
//   appended H HASH   append() stored block H
//   reorged H HASH    reorg() made H the head
//   side H HASH       store_side_block() stored a block at height H
//   indexed H         index_transactions() indexed the best chain through H
// The test uses these lines to time some kills and to check that no reported block is lost.
//
// Exit codes: 0 after --max-blocks blocks, 2 for bad arguments, 3 when the stored data is
// inconsistent, 4 when a store call fails.
//
// The genesis here must match crash_test_genesis() in block_store_crash_test.cpp; the test
// checks that it does by initialising the store with its own copy.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "chain/block_store.h"
#include "chain/genesis.h"
#include "chain/state.h"
#include "chain/transaction.h"
#include "crypto/hex.h"

using namespace synod;
using namespace synod::chain;

namespace {

constexpr std::size_t kValidatorCount = 4;
constexpr std::size_t kSenderCount = 32;
constexpr std::size_t kRecipientPoolSize = 256;  // bounds the number of accounts
constexpr std::uint64_t kFunding = 1'000'000'000'000'000;
constexpr std::size_t kDefaultTransactions = 200;

crypto::KeyPair key_from(std::uint8_t tag, std::size_t index) {
  crypto::Seed seed;
  seed.data[0] = tag;
  seed.data[1] = static_cast<std::uint8_t>(index);
  seed.data[2] = static_cast<std::uint8_t>(index >> 8);
  return crypto::KeyPair::from_seed(seed);
}

struct Keys {
  std::vector<crypto::KeyPair> validators;
  std::vector<crypto::KeyPair> senders;
};

Keys make_keys() {
  Keys keys;
  for (std::size_t i = 0; i < kValidatorCount; ++i)
    keys.validators.push_back(key_from(0xc1, i));
  for (std::size_t i = 0; i < kSenderCount; ++i)
    keys.senders.push_back(key_from(0xc2, i));
  return keys;
}

Genesis make_genesis(const Keys& keys) {
  Genesis genesis;
  genesis.chain_id = "store-crash-test";
  genesis.genesis_time_ms = 1'700'000'000'000;
  std::vector<ValidatorInfo> validators;
  for (std::size_t i = 0; i < keys.validators.size(); ++i) {
    validators.push_back(ValidatorInfo{"validator-" + std::to_string(i),
                                       keys.validators[i].public_key(),
                                       "127.0.0.1:" + std::to_string(27000 + i), 1});
  }
  genesis.validators = ValidatorSet(std::move(validators));
  for (const auto& sender : keys.senders)
    genesis.accounts.push_back(GenesisAccount{address_of(sender.public_key()), kFunding, 0});
  return genesis;
}

// An address nobody holds a key for, from a fixed pool.
Address recipient(std::size_t index) {
  std::string name = "store-crash-test/recipient/" + std::to_string(index % kRecipientPoolSize);
  return Address::from(crypto::sha256(as_bytes(name)).view().first(Address::kSize));
}

[[noreturn]] void fail(int code, const std::string& message) {
  std::fprintf(stderr, "store_crash_writer: %s\n", message.c_str());
  std::exit(code);
}

// The signed transfers of block `height`: senders in a rotating order (shifted by `variant`,
// which tells rival blocks at one height apart), most paying another sender, every fourth
// paying an address from the recipient pool.
std::vector<Transaction> transfers(const Keys& keys, const Genesis& genesis, const State& state,
                                   std::uint64_t height, std::size_t count, std::uint64_t variant) {
  std::vector<std::uint64_t> nonces;
  for (const auto& sender : keys.senders)
    nonces.push_back(state.account(address_of(sender.public_key())).nonce);
  const SigningDomain domain = SigningDomain::of(genesis);
  std::vector<Transaction> out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    std::size_t from = (height * 7 + variant * 5 + i) % keys.senders.size();
    Address to = i % 4 == 3
                     ? recipient(height * 13 + variant + i)
                     : address_of(keys.senders[(from + 1 + i % 5) % kSenderCount].public_key());
    std::uint64_t amount = 1 + (height * 1'000 + variant * 100 + i) % 997;
    out.push_back(make_transfer(keys.senders[from], domain, to, amount, 1, nonces[from]++));
  }
  return out;
}

// Executes the next block on `state`, advancing it, and returns the block. Appends use
// variant 0; rival blocks at the same height use others.
Block next_block(const Keys& keys, const Genesis& genesis, State& state, const Block& parent,
                 std::size_t count, std::uint64_t variant, StateDiff& diff) {
  Block block;
  block.header.height = parent.header.height + 1;
  block.header.prev_hash = parent.hash();
  block.header.timestamp_ms = parent.header.timestamp_ms + 500 + variant;
  std::size_t primary = (block.header.height + variant) % keys.validators.size();
  block.header.proposer = keys.validators[primary].public_key();
  block.header.seal = PbftSeal{0, block.header.height};
  block.transactions = transfers(keys, genesis, state, block.header.height, count, variant);
  block.header.tx_root = transactions_root(block.transactions);
  // The transfers were signed just above; the test is about storage, not signatures.
  Execution execution = state.execute(block.transactions, address_of(block.header.proposer),
                                      SignaturePolicy::kAlreadyVerified);
  if (!execution.ok())
    fail(3, "own block rejected: " + execution.rejection->message());
  block.header.state_root = state.root_after(execution.diff);

  CommitCertificate certificate;
  certificate.sequence = block.header.height;
  certificate.block_hash = block.hash();
  Bytes message = commit_signing_bytes(chain::SigningDomain::of(genesis), 0, certificate.sequence,
                                       certificate.block_hash);
  for (std::uint32_t i = 0; i < genesis.validators.quorum(); ++i)
    certificate.signatures.push_back(CommitSignature{i, keys.validators[i].sign(message)});
  block.certificate = std::move(certificate);

  state.apply(execution.diff);
  diff = std::move(execution.diff);
  return block;
}

// One line on stdout, flushed at once: the test reads it while the writer still runs.
void report(const char* what, std::uint64_t height, const Block* block = nullptr) {
  std::string hash = block ? " " + crypto::to_hex(block->hash().view()) : "";
  std::printf("%s %llu%s\n", what, static_cast<unsigned long long>(height), hash.c_str());
  std::fflush(stdout);
}

struct Options {
  std::string path;
  std::optional<std::uint64_t> max_blocks;
  std::size_t transactions = kDefaultTransactions;
  std::optional<std::uint64_t> seed;
};

Options parse_options(int argc, char** argv) {
  if (argc < 2)
    fail(2, "usage: store_crash_writer DB_PATH [--max-blocks N] [--transactions N] [--seed S]");
  Options options;
  options.path = argv[1];
  for (int i = 2; i < argc; i += 2) {
    std::string flag = argv[i];
    if (i + 1 >= argc)
      fail(2, flag + " needs a value");
    char* end = nullptr;
    unsigned long long value = std::strtoull(argv[i + 1], &end, 10);
    if (end == argv[i + 1] || *end != '\0')
      fail(2, flag + ": not a number: " + argv[i + 1]);
    if (flag == "--max-blocks") {
      options.max_blocks = value;
    } else if (flag == "--transactions" && value >= 1 && value <= 5000) {
      options.transactions = static_cast<std::size_t>(value);
    } else if (flag == "--seed") {
      options.seed = value;
    } else {
      fail(2, "unknown flag or bad value: " + flag);
    }
  }
  return options;
}

template <typename T>
T must(Result<T> result, int code = 4) {
  if (!result)
    fail(code, result.message());
  return std::move(*result);
}

void must(const Status& status) {
  if (!status)
    fail(4, status.message());
}

// The writer's view of the store: the head block and the ledger after it.
class ChainWriter {
 public:
  ChainWriter(const Options& options, BlockStore& store)
      : options_(options), keys_(make_keys()), genesis_(make_genesis(keys_)), store_(store) {}

  // Initialises the store and loads the head and the ledger, checking that they agree.
  void load() {
    must(store_.initialize(genesis_));
    parent_ = must(store_.head(), 3);
    state_ = must(store_.load_state(SigningDomain::of(genesis_)), 3);
    if (state_.root() != parent_.header.state_root)
      fail(3, "stored accounts do not match the head block's state root");
    report("ready", height(), &parent_);
  }

  std::uint64_t height() const { return parent_.header.height; }

  void append() {
    StateDiff diff;
    Block block = next_block(keys_, genesis_, state_, parent_, options_.transactions, 0, diff);
    must(store_.append(block, diff));
    parent_ = std::move(block);
    report("appended", height(), &parent_);
  }

  // Undoes the top `depth` blocks and appends a branch of depth + 1 blocks.
  void reorg(std::uint64_t depth, std::uint64_t variant) {
    std::uint64_t fork_height = height() - depth;
    State state = ledger_at(fork_height);
    Block parent = best_block(fork_height);
    if (state.root() != parent.header.state_root)
      fail(3, "undo data does not lead back to block " + std::to_string(fork_height));
    const crypto::Hash256 fork_hash = parent.hash();
    std::vector<BranchBlock> branch;
    for (std::uint64_t i = 0; i <= depth; ++i) {
      StateDiff diff;
      Block block =
          next_block(keys_, genesis_, state, parent, options_.transactions, variant, diff);
      parent = block;
      branch.push_back(BranchBlock{std::move(block), std::move(diff), {}});
    }
    must(store_.reorg(fork_height, fork_hash, branch));
    state_ = std::move(state);
    parent_ = std::move(parent);
    report("reorged", height(), &parent_);
  }

  // Stores a rival of the head block as a side block.
  void store_rival(std::uint64_t variant) {
    State state = ledger_at(height() - 1);
    Block parent = best_block(height() - 1);
    StateDiff diff;
    Block block = next_block(keys_, genesis_, state, parent, options_.transactions, variant, diff);
    must(store_.store_side_block(block));
    report("side", block.header.height, &block);
  }

  void index() {
    must(store_.index_transactions());
    report("indexed", store_.indexed_height());
  }

 private:
  Block best_block(std::uint64_t height) const {
    auto block = must(store_.block_at(height), 3);
    if (!block)
      fail(3, "best block " + std::to_string(height) + " missing");
    return std::move(*block);
  }

  // The ledger after best block `fork_height`, from the head's by the stored undo data.
  State ledger_at(std::uint64_t fork_height) const {
    State state = state_;
    for (std::uint64_t h = height(); h > fork_height; --h) {
      auto undo = must(store_.undo_at(h), 3);
      if (!undo)
        fail(3, "no undo data for best block " + std::to_string(h));
      state.revert(*undo);
    }
    return state;
  }

  const Options& options_;
  Keys keys_;
  Genesis genesis_;
  BlockStore& store_;
  Block parent_;
  State state_{SigningDomain{}};
};

// One step drawn from `rng`: 55% append, 20% reorg, 15% side block, 10% indexing. Returns
// whether the head grew.
bool random_step(ChainWriter& writer, std::mt19937_64& rng) {
  std::uint64_t roll = rng() % 100;
  std::uint64_t variant = 1 + rng() % 3;
  if (roll < 55 || writer.height() == 0) {
    writer.append();
    return true;
  }
  if (roll < 75) {
    writer.reorg(1 + rng() % std::min<std::uint64_t>(3, writer.height()), variant);
    return true;
  }
  if (roll < 90) {
    writer.store_rival(variant);
  } else {
    writer.index();
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  Options options = parse_options(argc, argv);
  auto store = must(BlockStore::open(options.path));
  ChainWriter writer(options, *store);
  writer.load();
  std::mt19937_64 rng(options.seed.value_or(0) ^ writer.height());
  for (std::uint64_t grown = 0; !options.max_blocks || grown < *options.max_blocks;) {
    if (!options.seed) {
      writer.append();
      ++grown;
    } else if (random_step(writer, rng)) {
      ++grown;
    }
  }
  return 0;
}
