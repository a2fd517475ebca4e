#include "tests/fuzz/fuzz_samples.h"

#include <cstdlib>

#include "crypto/hex.h"

namespace synod::fuzz {

crypto::KeyPair sample_key(std::uint8_t fill) {
  crypto::Seed seed;
  seed.data.fill(fill);
  return crypto::KeyPair::from_seed(seed);
}

namespace {

chain::Address sample_address(std::uint8_t fill) {
  return chain::address_of(sample_key(fill).public_key());
}

crypto::Hash256 sample_hash(std::string_view text) {
  return crypto::sha256(as_bytes(text));
}

}  // namespace

std::vector<chain::Transaction> sample_transactions() {
  const chain::SigningDomain& domain = sample_domain();
  return {
      chain::make_transfer(sample_key(1), domain, sample_address(2), 100, 1, 0),
      chain::make_transfer(sample_key(1), domain, sample_address(3), 250, 0, 1),
      chain::make_transfer(sample_key(2), chain::SigningDomain{"", domain.genesis_hash},
                           sample_address(1), ~std::uint64_t{0}, 5, 7),
  };
}

std::vector<chain::BlockHeader> sample_headers() {
  chain::BlockHeader header;
  header.height = 5;
  header.prev_hash = sample_hash("prev");
  header.tx_root = sample_hash("txs");
  header.state_root = sample_hash("state");
  header.timestamp_ms = 1'700'000'001'000;
  header.proposer = sample_key(0x20).public_key();
  std::vector<chain::BlockHeader> headers;
  header.seal = chain::PbftSeal{1, 5};
  headers.push_back(header);
  header.seal = chain::PowSeal{123456789, sample_hash("target")};
  headers.push_back(header);
  header.seal = chain::PosSeal{1'700'000'001, sample_hash("difficulty"), {}};
  headers.push_back(header);
  return headers;
}

chain::ValidatorSet sample_validators() {
  std::vector<chain::ValidatorInfo> validators;
  for (std::uint8_t i = 0; i < 4; ++i) {
    validators.push_back({"validator-" + std::to_string(i),
                          sample_key(static_cast<std::uint8_t>(0x20 + i)).public_key(),
                          "127.0.0.1:" + std::to_string(26600 + i), 1});
  }
  return chain::ValidatorSet(validators);
}

chain::Genesis sample_genesis(chain::ConsensusMode mode) {
  chain::Genesis genesis;
  genesis.chain_id = kSampleChainId;
  genesis.mode = mode;
  genesis.genesis_time_ms = 1'700'000'000'000;
  genesis.validators = sample_validators();
  if (mode != chain::ConsensusMode::kPbft)
    genesis.validators = chain::ValidatorSet({genesis.validators.at(0)});
  genesis.accounts.push_back({sample_address(1), 1'000'000, 0});
  genesis.accounts.push_back({sample_address(2), 500, 25});
  genesis.accounts.push_back({sample_address(3), 0, 1000});
  return genesis;
}

const chain::SigningDomain& sample_domain() {
  static const chain::SigningDomain domain =
      chain::SigningDomain::of(sample_genesis(chain::ConsensusMode::kPbft));
  return domain;
}

namespace {

chain::CommitCertificate certify(const chain::Block& block,
                                 const std::vector<std::uint32_t>& indices) {
  const auto& seal = std::get<chain::PbftSeal>(block.header.seal);
  chain::CommitCertificate certificate{seal.view, seal.sequence, block.hash(), {}};
  const Bytes message =
      chain::commit_signing_bytes(sample_domain(), seal.view, seal.sequence, block.hash());
  for (std::uint32_t index : indices) {
    certificate.signatures.push_back(
        {index, sample_key(static_cast<std::uint8_t>(0x20 + index)).sign(message)});
  }
  return certificate;
}

chain::Block pbft_block_with_transactions() {
  chain::Block block;
  block.header = sample_headers()[0];
  block.transactions = sample_transactions();
  block.header.tx_root = chain::transactions_root(block.transactions);
  return block;
}

}  // namespace

std::vector<chain::CommitCertificate> sample_certificates() {
  const chain::Block block = pbft_block_with_transactions();
  chain::CommitCertificate empty = certify(block, {});
  return {certify(block, {0, 1, 3}), certify(block, {0, 1, 2, 3}), empty};
}

std::vector<chain::Block> sample_blocks() {
  std::vector<chain::Block> blocks;
  chain::Block certified = pbft_block_with_transactions();
  certified.certificate = certify(certified, {0, 2, 3});
  blocks.push_back(certified);
  blocks.push_back(pbft_block_with_transactions());
  chain::Block pow;
  pow.header = sample_headers()[1];
  pow.transactions = {sample_transactions()[0]};
  pow.header.tx_root = chain::transactions_root(pow.transactions);
  blocks.push_back(pow);
  blocks.push_back(chain::make_genesis_block(sample_genesis(chain::ConsensusMode::kPbft)));
  return blocks;
}

std::vector<chain::StateDiff> sample_state_diffs() {
  const chain::State state =
      chain::State::from_genesis(sample_genesis(chain::ConsensusMode::kPbft));
  std::vector<chain::Transaction> transactions = sample_transactions();
  transactions.pop_back();  // the last one is for another chain
  transactions.push_back(
      chain::make_transfer(sample_key(2), sample_domain(), sample_address(4), 10, 2, 0));
  chain::Execution execution = state.execute(transactions, sample_address(9));
  if (!execution.ok())
    std::abort();  // the samples themselves are wrong
  chain::StateDiff all_existing;
  all_existing.changes.push_back({sample_address(1), chain::Account{1, 2, 3}, {4, 5, 6}});
  return {execution.diff, all_existing, chain::StateDiff{}};
}

std::vector<std::string> sample_genesis_json() {
  return {
      chain::genesis_to_json(sample_genesis(chain::ConsensusMode::kPbft)),
      chain::genesis_to_json(sample_genesis(chain::ConsensusMode::kPos)),
      R"({"chain_id": "c", "consensus": "pow", "validators": [{"name": "v", "public_key": ")" +
          crypto::to_hex(sample_key(7).public_key().view()) + R"(", "peer_address": "h:1"}]})",
  };
}

}  // namespace synod::fuzz
