// Shared by the block store's unit tests: a PBFT test chain whose blocks are made by really
// executing signed transfers, and helpers that open stores and read them back.
#pragma once

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "chain/block_store.h"
#include "chain/certificate.h"
#include "chain/genesis.h"
#include "chain/state.h"
#include "chain/transaction.h"
#include "tests/support/temp_dir.h"

namespace synod::store_test {

using namespace synod::chain;

inline constexpr std::uint64_t kFunding = 1'000'000'000;
inline constexpr std::size_t kValidatorCount = 4;
inline constexpr std::size_t kFundedCount = 8;

inline crypto::KeyPair key_from(std::uint8_t tag, std::uint8_t index) {
  crypto::Seed seed;
  seed.data[0] = tag;
  seed.data[1] = index;
  return crypto::KeyPair::from_seed(seed);
}

// A deleted-on-destruction directory under the system temp dir.
// Temporary directories: tests/support/temp_dir.h.
struct TempDir : synod::testing::TempDir {
  TempDir() : synod::testing::TempDir("synod-block-store") {}
};

// A PBFT chain with validators and funded accounts, and a builder for its next blocks.
// `state` is the in-memory ledger after the newest block built (and applied) so far.
struct TestChain {
  std::vector<crypto::KeyPair> validators;
  std::vector<crypto::KeyPair> users;
  Genesis genesis;
  State state{SigningDomain{}};
  Block tip;

  explicit TestChain(std::string chain_id = "store-test") {
    genesis.chain_id = std::move(chain_id);
    genesis.genesis_time_ms = 1'700'000'000'000;
    std::vector<ValidatorInfo> infos;
    for (std::size_t i = 0; i < kValidatorCount; ++i) {
      validators.push_back(key_from(1, static_cast<std::uint8_t>(i)));
      infos.push_back(ValidatorInfo{"v" + std::to_string(i), validators.back().public_key(),
                                    "127.0.0.1:" + std::to_string(26000 + i), 1});
    }
    genesis.validators = ValidatorSet(std::move(infos));
    for (std::size_t i = 0; i < kFundedCount; ++i) {
      users.push_back(key_from(2, static_cast<std::uint8_t>(i)));
      genesis.accounts.push_back(
          GenesisAccount{address_of(users.back().public_key()), kFunding, 0});
    }
    state = State::from_genesis(genesis);
    tip = make_genesis_block(genesis);
  }

  // `count` signed transfers: user i % n pays the next user, every `fresh_every`-th one
  // pays a brand-new address instead (so blocks also create accounts).
  std::vector<Transaction> transfers(std::size_t count, std::size_t salt = 0,
                                     std::size_t fresh_every = 5) const {
    std::vector<std::uint64_t> nonces;
    for (const auto& user : users)
      nonces.push_back(state.account(address_of(user.public_key())).nonce);
    std::vector<Transaction> out;
    for (std::size_t i = 0; i < count; ++i) {
      std::size_t from = (i + salt) % users.size();
      Address to = address_of(users[(from + 1) % users.size()].public_key());
      if (fresh_every != 0 && i % fresh_every == fresh_every - 1) {
        to = address_of(key_from(3, static_cast<std::uint8_t>((i + salt * 7) % 251)).public_key());
      }
      out.push_back(make_transfer(users[from], state.domain(), to, 10 + i, 1, nonces[from]++));
    }
    return out;
  }

  // The next block over `txs`, its header filled in by executing them on a copy of the
  // state. Does not advance the chain.
  Block build(const std::vector<Transaction>& txs, std::size_t proposer = 0) const {
    Block block;
    block.header.height = tip.header.height + 1;
    block.header.prev_hash = tip.hash();
    block.header.tx_root = transactions_root(txs);
    block.header.timestamp_ms = tip.header.timestamp_ms + 1000;
    block.header.proposer = validators.at(proposer).public_key();
    block.header.seal = PbftSeal{0, block.header.height};
    block.transactions = txs;
    State scratch = state;
    Execution execution = scratch.execute(txs, address_of(block.header.proposer));
    REQUIRE(execution.ok());
    block.header.state_root = scratch.root_after(execution.diff);
    block.certificate = certify(block);
    return block;
  }

  // A commit certificate from the first 2f+1 validators.
  CommitCertificate certify(const Block& block) const {
    CommitCertificate certificate;
    certificate.sequence = block.header.height;
    certificate.block_hash = block.hash();
    Bytes message = commit_signing_bytes(chain::SigningDomain::of(genesis), 0, certificate.sequence,
                                         certificate.block_hash);
    for (std::uint32_t i = 0; i < genesis.validators.quorum(); ++i)
      certificate.signatures.push_back(CommitSignature{i, validators[i].sign(message)});
    return certificate;
  }

  // Applies `block` to the in-memory state with full checks and makes it the tip.
  StateDiff advance(const Block& block) {
    auto diff = state.apply_block(block, SignaturePolicy::kVerify);
    REQUIRE(diff.ok());
    tip = block;
    return *diff;
  }

  // Builds the next block, applies it and appends it to `store`.
  Block extend(BlockStore& store, std::size_t tx_count = 12, std::size_t salt = 0) {
    Block block = build(transfers(tx_count, salt));
    StateDiff diff = advance(block);
    Status status = store.append(block, diff);
    INFO(status.message());
    REQUIRE(status.ok());
    return block;
  }
};

inline void require_ok(const Status& status) {
  INFO(status.message());
  REQUIRE(status.ok());
}

inline std::unique_ptr<BlockStore> open_store(const std::string& path) {
  auto store = BlockStore::open(path);
  INFO((store ? std::string() : store.message()));
  REQUIRE(store.ok());
  return std::move(*store);
}

inline std::unique_ptr<BlockStore> open_initialized(const std::string& path,
                                                    const TestChain& chain) {
  auto store = open_store(path);
  Status status = store->initialize(chain.genesis);
  INFO(status.message());
  REQUIRE(status.ok());
  return store;
}

inline State stored_state(const BlockStore& store, const Genesis& genesis) {
  auto state = store.load_state(SigningDomain::of(genesis));
  INFO((state ? std::string() : state.message()));
  REQUIRE(state.ok());
  return std::move(*state);
}

inline Block stored_block(const BlockStore& store, std::uint64_t height) {
  auto block = store.block_at(height);
  REQUIRE(block.ok());
  REQUIRE(block->has_value());
  return **block;
}

// Where `store` finds each transaction of `blocks` (nullopt: not found).
inline void require_found(const BlockStore& store, const std::vector<Block>& blocks) {
  for (const Block& block : blocks) {
    for (std::uint32_t i = 0; i < block.transactions.size(); ++i) {
      auto found = store.find_transaction(block.transactions[i].hash());
      REQUIRE(found.ok());
      REQUIRE(found->has_value());
      CHECK((*found)->height == block.header.height);
      CHECK((*found)->index == i);
      CHECK((*found)->block_hash == block.hash());
    }
  }
}

inline void require_absent(const BlockStore& store, const Block& block) {
  for (const auto& tx : block.transactions) {
    auto found = store.find_transaction(tx.hash());
    REQUIRE(found.ok());
    CHECK_FALSE(found->has_value());
  }
}

// No transaction of `block` is reported in it: each is either not found or found in another
// block of the best chain (a reorg's branch may include a transaction of an undone block).
inline void require_not_at(const BlockStore& store, const Block& block) {
  for (const auto& tx : block.transactions) {
    auto found = store.find_transaction(tx.hash());
    REQUIRE(found.ok());
    if (!found->has_value())
      continue;
    CHECK((*found)->block_hash != block.hash());
    auto holder = store.block_at((*found)->height);
    REQUIRE(holder.ok());
    REQUIRE(holder->has_value());
    CHECK((*holder)->hash() == (*found)->block_hash);
    CHECK((*holder)->transactions.at((*found)->index) == tx);
  }
}

}  // namespace synod::store_test
