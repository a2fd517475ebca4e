#include "pbft/follower.h"

#include "chain/certificate.h"
#include "crypto/merkle.h"

namespace synod::pbft {

struct Follower::Impl {
  FollowerConfig config;
  chain::SigningDomain domain;  // of config.genesis: certificates and transactions are signed in it
  chain::State state;
  chain::BlockHeader head;
  crypto::Hash256 head_hash;
  std::uint64_t head_view = 0;
  std::uint64_t stored_height = 0;

  ReplicaIndex upstream = 0;
  bool fetching = false;
  bool syncing = false;
  bool waiting_for_storage = false;
  std::string last_rejection;
  FollowerCounters counters;

  Impl(FollowerConfig follower_config, FollowerRecovery recovery)
      : config(std::move(follower_config)),
        domain(chain::SigningDomain::of(*config.genesis)),
        state(std::move(recovery.state)),
        head(recovery.head.header),
        head_hash(recovery.head.hash()),
        head_view(recovery.head.certificate ? recovery.head.certificate->view : 0),
        stored_height(recovery.head.header.height) {}

  void fetch(Actions& out, TimeMs now) {
    if (head.height >= stored_height + config.max_unstored_blocks) {
      waiting_for_storage = true;  // on_block_stored resumes
      return;
    }
    fetching = true;
    ++counters.fetches;
    out.push_back(chain::FetchBlocksAction{upstream, head.height + 1, config.fetch_batch_blocks});
    out.push_back(chain::SetTimerAction{kFetchTimer, now + config.fetch_timeout_ms});
  }

  void next_upstream() {
    if (config.upstreams > 1) {
      upstream = (upstream + 1) % config.upstreams;
      ++counters.upstream_switches;
    }
  }

  void poll_later(Actions& out, TimeMs now) {
    out.push_back(chain::SetTimerAction{kFetchTimer, now + config.poll_interval_ms});
  }

  // Everything a full node checks before it believes a block: position in the chain,
  // finality (the certificate), and contents (signatures, Merkle root, execution, state
  // root). On success the state has moved to the block.
  Status accept(const chain::Block& block, chain::StateDiff& diff,
                std::vector<crypto::Hash256>& tx_hashes) {
    const auto& header = block.header;
    if (header.height != head.height + 1)
      return make_error("wrong height " + std::to_string(header.height));
    if (header.prev_hash != head_hash)
      return make_error("does not extend the head");
    const auto& genesis = *config.genesis;
    if (auto status = chain::verify_block_certificate(block, genesis.validators, domain); !status) {
      return make_error("certificate: " + status.message());
    }
    if (block.transactions.size() > genesis.pbft.max_block_transactions)
      return make_error("too many transactions");
    tx_hashes.clear();
    tx_hashes.reserve(block.transactions.size());
    for (const auto& tx : block.transactions)
      tx_hashes.push_back(tx.hash());
    // Hashing is cheap and signatures are not: transactions that are not the ones the
    // certified header commits to are refused before a single signature is checked.
    if (crypto::merkle_root(tx_hashes) != header.tx_root)
      return make_error("tx_root does not match its transactions");
    for (std::size_t i = 0; i < block.transactions.size(); ++i) {
      const auto& tx = block.transactions[i];
      bool valid = config.signature_check ? config.signature_check(tx, tx_hashes[i])
                                          : tx.signature_valid(domain);
      if (!valid)
        return make_error("transaction " + std::to_string(i) + " has a bad signature");
    }
    auto applied = state.apply_block(block, tx_hashes, chain::SignaturePolicy::kAlreadyVerified);
    if (!applied)
      return applied.error();
    diff = std::move(*applied);
    return Status::success();
  }
};

Result<std::unique_ptr<Follower>> Follower::create(FollowerConfig config,
                                                   FollowerRecovery recovery) {
  if (!config.genesis || config.genesis->mode != chain::ConsensusMode::kPbft)
    return make_error("a full node follows a PBFT chain");
  if (config.upstreams == 0)
    return make_error("a full node needs at least one upstream");
  if (config.fetch_batch_blocks == 0 || config.max_unstored_blocks == 0)
    return make_error("fetch_batch_blocks and max_unstored_blocks must be positive");
  if (recovery.state.root() != recovery.head.header.state_root)
    return make_error("the state does not match the head block's state root");
  return std::unique_ptr<Follower>(
      new Follower(std::make_unique<Impl>(std::move(config), std::move(recovery))));
}

Follower::Follower(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Follower::~Follower() = default;

Actions Follower::start(TimeMs now) {
  Actions out;
  impl_->fetch(out, now);
  return out;
}

Actions Follower::on_message(ReplicaIndex, ByteView, TimeMs) {
  return {};
}

Actions Follower::on_transactions(TimeMs) {
  return {};
}

Actions Follower::on_timer(std::uint32_t id, TimeMs now) {
  Actions out;
  if (id != kFetchTimer)
    return out;
  Impl& r = *impl_;
  if (r.fetching) {
    // The answer never came: treat the upstream as unreachable for now.
    ++r.counters.fetch_timeouts;
    r.fetching = false;
    r.syncing = false;
    r.next_upstream();
  }
  r.fetch(out, now);
  return out;
}

Actions Follower::on_block_stored(std::uint64_t height, TimeMs now) {
  Actions out;
  Impl& r = *impl_;
  r.stored_height = std::max(r.stored_height, height);
  if (r.waiting_for_storage && r.head.height < r.stored_height + r.config.max_unstored_blocks) {
    r.waiting_for_storage = false;
    r.fetch(out, now);
  }
  return out;
}

Actions Follower::on_blocks_fetched(ReplicaIndex upstream, std::vector<chain::Block> blocks,
                                    TimeMs now) {
  Actions out;
  Impl& r = *impl_;
  // Only the answer to the request in flight counts; a late answer to one that timed out
  // is dropped (its blocks will be asked for again).
  if (!r.fetching || upstream != r.upstream)
    return out;
  r.fetching = false;
  out.push_back(chain::CancelTimerAction{kFetchTimer});

  std::size_t accepted = 0;
  bool rejected = false;
  for (auto& block : blocks) {
    if (block.header.height <= r.head.height)
      continue;  // already have it
    chain::StateDiff diff;
    std::vector<crypto::Hash256> tx_hashes;
    if (auto status = r.accept(block, diff, tx_hashes); !status) {
      ++r.counters.blocks_rejected;
      r.last_rejection = "block " + std::to_string(block.header.height) + " from upstream " +
                         std::to_string(upstream) + ": " + status.message();
      out.push_back(
          chain::LogAction{chain::LogAction::Level::kWarn, "rejected " + r.last_rejection});
      rejected = true;
      break;
    }
    r.head = block.header;
    r.head_hash = block.hash();
    r.head_view = block.certificate->view;
    ++r.counters.blocks_fetched;
    ++accepted;
    out.push_back(
        chain::AppendBlockAction{std::move(block), std::move(diff), std::move(tx_hashes)});
  }

  // Progress means more may be waiting (an upstream may also cut a batch short to bound
  // its answer), so ask again at once; nothing new means caught up with this upstream.
  // Only a full batch says for sure that the follower is behind.
  r.syncing = !rejected && accepted >= r.config.fetch_batch_blocks;
  if (!rejected && accepted > 0) {
    r.fetch(out, now);
    return out;
  }
  // Caught up with this upstream (or it failed us): ask the next one after a pause.
  r.next_upstream();
  r.poll_later(out, now);
  return out;
}

const chain::Genesis& Follower::genesis() const {
  return *impl_->config.genesis;
}

std::uint64_t Follower::head_height() const {
  return impl_->head.height;
}
const crypto::Hash256& Follower::head_hash() const {
  return impl_->head_hash;
}
std::uint64_t Follower::head_view() const {
  return impl_->head_view;
}
const chain::State& Follower::state() const {
  return impl_->state;
}
const FollowerCounters& Follower::counters() const {
  return impl_->counters;
}

FollowerSnapshot Follower::snapshot() const {
  const Impl& r = *impl_;
  return FollowerSnapshot{r.head.height, r.head_hash, r.head_view, r.stored_height,
                          r.upstream,    r.fetching,  r.syncing,   r.last_rejection};
}

}  // namespace synod::pbft
