// Helper for block_store_crash_test: appends blocks of real signed transfers to a block
// store until it is killed.
//
//   store_crash_writer DB_PATH [--max-blocks N] [--transactions N]
//
// It opens (or creates) the store with a fixed genesis, reloads the ledger with load_state,
// checks it against the head block, and then appends block after block on top of the stored
// head. The blocks are a deterministic function of the stored state, so a writer restarted
// after a kill carries on the same chain.
//
// On stdout it reports "ready H" once the store is open at head H, and "appended H" each time
// append() has returned for block H (so the block is committed). The test uses these lines
// to time some kills and to check that no reported block is lost.
//
// Exit codes: 0 after --max-blocks blocks, 2 for bad arguments, 3 when the stored data is
// inconsistent, 4 when a store call fails.
//
// The genesis here must match crash_test_genesis() in block_store_crash_test.cpp; the test
// checks that it does by initialising the store with its own copy.
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "chain/block_store.h"
#include "chain/genesis.h"
#include "chain/state.h"
#include "chain/transaction.h"

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

// The signed transfers of block `height`: senders in a rotating order, most paying another
// sender, every fourth paying an address from the recipient pool.
std::vector<Transaction> transfers(const Keys& keys, const Genesis& genesis, const State& state,
                                   std::uint64_t height, std::size_t count) {
  std::vector<std::uint64_t> nonces;
  for (const auto& sender : keys.senders)
    nonces.push_back(state.account(address_of(sender.public_key())).nonce);
  std::vector<Transaction> out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    std::size_t from = (height * 7 + i) % keys.senders.size();
    Address to = i % 4 == 3
                     ? recipient(height * 13 + i)
                     : address_of(keys.senders[(from + 1 + i % 5) % kSenderCount].public_key());
    std::uint64_t amount = 1 + (height * 1'000 + i) % 997;
    out.push_back(
        make_transfer(keys.senders[from], genesis.chain_id, to, amount, 1, nonces[from]++));
  }
  return out;
}

// Executes the next block on `state`, advancing it, and returns the block.
Block next_block(const Keys& keys, const Genesis& genesis, State& state, const Block& parent,
                 std::size_t count, StateDiff& diff) {
  Block block;
  block.header.height = parent.header.height + 1;
  block.header.prev_hash = parent.hash();
  block.header.timestamp_ms = parent.header.timestamp_ms + 500;
  std::size_t primary = block.header.height % keys.validators.size();
  block.header.proposer = keys.validators[primary].public_key();
  block.header.seal = PbftSeal{0, block.header.height};
  block.transactions = transfers(keys, genesis, state, block.header.height, count);
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
  Bytes message =
      commit_signing_bytes(genesis.chain_id, 0, certificate.sequence, certificate.block_hash);
  for (std::uint32_t i = 0; i < genesis.validators.quorum(); ++i)
    certificate.signatures.push_back(CommitSignature{i, keys.validators[i].sign(message)});
  block.certificate = std::move(certificate);

  state.apply(execution.diff);
  diff = std::move(execution.diff);
  return block;
}

// One line on stdout, flushed at once: the test reads it while the writer still runs.
void report(const char* what, std::uint64_t height) {
  std::printf("%s %llu\n", what, static_cast<unsigned long long>(height));
  std::fflush(stdout);
}

struct Options {
  std::string path;
  std::optional<std::uint64_t> max_blocks;
  std::size_t transactions = kDefaultTransactions;
};

Options parse_options(int argc, char** argv) {
  if (argc < 2)
    fail(2, "usage: store_crash_writer DB_PATH [--max-blocks N] [--transactions N]");
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
    } else {
      fail(2, "unknown flag or bad value: " + flag);
    }
  }
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  Options options = parse_options(argc, argv);
  Keys keys = make_keys();
  Genesis genesis = make_genesis(keys);

  auto opened = BlockStore::open(options.path);
  if (!opened)
    fail(4, opened.message());
  BlockStore& store = **opened;
  if (auto status = store.initialize(genesis); !status)
    fail(4, status.message());
  auto head = store.head();
  if (!head)
    fail(3, head.message());
  auto loaded = store.load_state(genesis.chain_id);
  if (!loaded)
    fail(3, loaded.message());
  State state = std::move(*loaded);
  if (state.root() != head->header.state_root)
    fail(3, "stored accounts do not match the head block's state root");

  Block parent = std::move(*head);
  report("ready", parent.header.height);
  for (std::uint64_t appended = 0; !options.max_blocks || appended < *options.max_blocks;
       ++appended) {
    StateDiff diff;
    Block block = next_block(keys, genesis, state, parent, options.transactions, diff);
    if (auto status = store.append(block, diff); !status)
      fail(4, status.message());
    report("appended", block.header.height);
    parent = std::move(block);
  }
  return 0;
}
