#include "tests/sim/toy_engine.h"

#include "chain/certificate.h"

namespace synod::sim {
namespace {

constexpr std::uint8_t kPropose = 1;
constexpr std::uint8_t kVote = 2;
constexpr chain::ReplicaIndex kLeader = 0;

}  // namespace

ToyEngine::ToyEngine(std::shared_ptr<const chain::Genesis> genesis, crypto::KeyPair key,
                     chain::ReplicaIndex index, chain::Mempool& mempool, chain::Block head,
                     chain::State state)
    : genesis_(std::move(genesis)),
      domain_(chain::SigningDomain::of(*genesis_)),
      key_(std::move(key)),
      index_(index),
      mempool_(mempool),
      head_(std::move(head)),
      state_(std::move(state)),
      stored_height_(head_.header.height) {}

chain::Actions ToyEngine::start(chain::TimeMs now) {
  chain::Actions out;
  maybe_propose(now, out);
  return out;
}

chain::Actions ToyEngine::on_transactions(chain::TimeMs now) {
  return start(now);
}

chain::Actions ToyEngine::on_timer(std::uint32_t, chain::TimeMs) {
  return {};
}

chain::Actions ToyEngine::on_block_stored(std::uint64_t height, chain::TimeMs now) {
  stored_height_ = std::max(stored_height_, height);
  return start(now);
}

void ToyEngine::maybe_propose(chain::TimeMs now, chain::Actions& out) {
  if (index_ != kLeader || proposal_ || stored_height_ != head_.header.height)
    return;
  auto batch = mempool_.select_batch(state_, genesis_->pbft.max_block_transactions,
                                     genesis_->pbft.max_block_bytes);
  if (batch.empty())
    return;
  auto execution =
      state_.execute(batch, chain::address_of(key_.public_key()), chain::SignaturePolicy::kVerify);
  if (!execution.ok())
    return;
  chain::Block block;
  block.header.height = head_.header.height + 1;
  block.header.prev_hash = head_.hash();
  block.header.tx_root = chain::transactions_root(batch);
  chain::State scratch = state_;
  block.header.state_root = scratch.root_after(execution.diff);
  block.header.timestamp_ms = now;
  block.header.proposer = key_.public_key();
  block.header.seal = chain::PbftSeal{0, block.header.height};
  block.transactions = std::move(batch);
  chain::Writer writer;
  writer.u8(kPropose);
  chain::write(writer, block);
  out.push_back(chain::BroadcastAction{writer.take()});
  accept(std::move(block), out);
}

chain::Actions ToyEngine::on_message(chain::ReplicaIndex from, ByteView message, chain::TimeMs) {
  chain::Actions out;
  chain::Reader reader(message);
  std::uint8_t type = reader.u8();
  if (type == kPropose && from == kLeader) {
    chain::Block block = chain::read_block(reader);
    if (reader.finish("proposal").ok())
      accept(std::move(block), out);
  } else if (type == kVote) {
    std::uint64_t height = reader.u64();
    auto hash = reader.fixed<crypto::Hash256>();
    auto signature = reader.fixed<crypto::Signature>();
    if (reader.finish("vote").ok())
      on_vote(from, height, hash, signature, out);
  }
  return out;
}

void ToyEngine::accept(chain::Block block, chain::Actions& out) {
  const std::uint64_t height = block.header.height;
  if (height > head_.header.height + 1) {
    // Ahead of us: keep it for later, and fetch what we miss in between.
    if (height <= head_.header.height + 64)
      future_.emplace(height, std::move(block));
    out.push_back(chain::FetchBlocksAction{kLeader, head_.header.height + 1, 16});
    return;
  }
  if (height != head_.header.height + 1 || proposal_ || block.header.prev_hash != head_.hash())
    return;
  chain::State scratch = state_;
  auto diff = scratch.apply_block(block);
  if (!diff.ok())
    return;
  const crypto::Hash256 hash = block.hash();
  proposal_ = Proposal{std::move(block), std::move(diff).value()};
  auto signature = key_.sign(chain::commit_signing_bytes(domain_, 0, height, hash));
  chain::Writer writer;
  writer.u8(kVote);
  writer.u64(height);
  writer.fixed(hash);
  writer.fixed(signature);
  out.push_back(chain::BroadcastAction{writer.take()});
  on_vote(index_, height, hash, signature, out);
}

void ToyEngine::on_vote(chain::ReplicaIndex from, std::uint64_t height, const crypto::Hash256& hash,
                        const crypto::Signature& signature, chain::Actions& out) {
  if (height <= head_.header.height || height > head_.header.height + 64 ||
      from >= genesis_->validators.size()) {
    return;
  }
  auto message = chain::commit_signing_bytes(domain_, 0, height, hash);
  if (!crypto::verify(genesis_->validators.at(from).public_key, message, signature))
    return;
  votes_[height][hash][from] = signature;
  try_commit(out);
}

void ToyEngine::try_commit(chain::Actions& out) {
  if (!proposal_)
    return;
  const std::uint64_t height = proposal_->block.header.height;
  const crypto::Hash256 hash = proposal_->block.hash();
  const auto& signers = votes_[height][hash];
  if (signers.size() < genesis_->validators.quorum())
    return;
  chain::CommitCertificate certificate{0, height, hash, {}};
  for (const auto& [index, signature] : signers) {
    if (certificate.signatures.size() < genesis_->validators.quorum())
      certificate.signatures.push_back(chain::CommitSignature{index, signature});
  }
  Proposal proposal = std::move(*proposal_);
  proposal_.reset();
  proposal.block.certificate = std::move(certificate);
  commit(std::move(proposal.block), std::move(proposal.diff), out);
}

void ToyEngine::commit(chain::Block block, chain::StateDiff diff, chain::Actions& out) {
  votes_.erase(votes_.begin(), votes_.upper_bound(block.header.height));
  state_.apply(diff);
  mempool_.remove_committed(block.transactions, state_);
  head_ = block;
  std::vector<crypto::Hash256> tx_hashes;
  for (const auto& tx : block.transactions)
    tx_hashes.push_back(tx.hash());
  out.push_back(chain::AppendBlockAction{std::move(block), std::move(diff), std::move(tx_hashes)});
  future_.erase(future_.begin(), future_.upper_bound(head_.header.height));
  if (auto next = future_.find(head_.header.height + 1); next != future_.end()) {
    chain::Block pending = std::move(next->second);
    future_.erase(next);
    accept(std::move(pending), out);
  }
}

chain::Actions ToyEngine::on_blocks_fetched(chain::ReplicaIndex, std::vector<chain::Block> blocks,
                                            chain::TimeMs now) {
  chain::Actions out;
  for (auto& block : blocks) {
    if (block.header.height != head_.header.height + 1 || block.header.prev_hash != head_.hash() ||
        !chain::verify_block_certificate(block, genesis_->validators, domain_).ok()) {
      continue;
    }
    chain::State scratch = state_;
    auto diff = scratch.apply_block(block);
    if (!diff.ok())
      break;
    proposal_.reset();
    commit(std::move(block), std::move(diff).value(), out);
  }
  maybe_propose(now, out);
  return out;
}

}  // namespace synod::sim
