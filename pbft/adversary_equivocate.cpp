// The equivocating primary: two valid blocks for one slot.
#include "pbft/adversary_stage.h"

#include "chain/state.h"

namespace synod::pbft::adversary_detail {
namespace {

// Primary: one valid block to half of the others, a different valid block to the other
// half. Votes are split the same way: the real digest to one half, the other to the rest.
class EquivocateStage final : public Stage {
 public:
  explicit EquivocateStage(Context& context) : context_(context) {}
  void rewrite(Actions& actions, TimeMs, bool) override {
    rewrite_messages(actions, [&](Outgoing outgoing, Actions& out) {
      if (!context_.mine(outgoing.message))
        return pass(outgoing, out);
      if (const auto* pre_prepare = std::get_if<Signed<PrePrepare>>(&outgoing.message)) {
        return split_pre_prepare(*pre_prepare, outgoing.to, out);
      }
      if (std::optional<VoteRef> vote = vote_of(outgoing.message)) {
        return split_vote(outgoing, *vote, out);
      }
      pass(outgoing, out);
    });
  }

 private:
  struct Split {
    crypto::Hash256 digest_a;            // what the honest engine sent
    crypto::Hash256 digest_b;            // what the B half is told
    std::optional<Bytes> pre_prepare_b;  // when this node proposed the slot
    std::vector<bool> gets_b;            // by validator index
  };

  void split_pre_prepare(const Signed<PrePrepare>& pre_prepare, std::optional<ReplicaIndex> to,
                         Actions& out) {
    const PrePrepare& body = pre_prepare.body;
    const crypto::Hash256 digest_a = body.block.hash();
    Split* split = splits_.find(body.view, body.sequence);
    if (split == nullptr || split->digest_a != digest_a || !split->pre_prepare_b) {
      chain::Block block_b = alternative_block(body.block);
      crypto::Hash256 digest_b = block_b.hash();
      Bytes bytes_b =
          encode(context_.sign_own(PrePrepare{body.view, body.sequence, std::move(block_b)}));
      split = &splits_.put(body.view, body.sequence,
                           Split{digest_a, digest_b, std::move(bytes_b), random_halves()});
      ++proposals_split_;
    }
    send_split(to, encode(pre_prepare), *split->pre_prepare_b, *split, out);
  }

  void split_vote(const Outgoing& outgoing, const VoteRef& vote, Actions& out) {
    Split* split = splits_.find(vote.view, vote.sequence);
    if (split == nullptr) {
      split = &splits_.put(vote.view, vote.sequence,
                           Split{vote.digest, context_.random_fixed<crypto::Hash256>(),
                                 std::nullopt, random_halves()});
    }
    send_split(outgoing.to, encode(outgoing.message),
               encode(with_digest(context_, outgoing.message, split->digest_b)), *split, out);
    ++votes_split_;
  }

  void send_split(std::optional<ReplicaIndex> to, const Bytes& bytes_a, const Bytes& bytes_b,
                  const Split& split, Actions& out) const {
    auto version_for = [&](ReplicaIndex peer) -> const Bytes& {
      return peer < split.gets_b.size() && split.gets_b[peer] ? bytes_b : bytes_a;
    };
    if (to) {
      out.push_back(SendAction{*to, version_for(*to)});
      return;
    }
    for (ReplicaIndex peer : context_.others)
      out.push_back(SendAction{peer, version_for(peer)});
  }

  // A random half of the others (rounded down) is marked for version B. Fisher-Yates with
  // the engine's generator, so a seed replays the same split on every platform.
  std::vector<bool> random_halves() {
    std::vector<ReplicaIndex> order = context_.others;
    for (std::size_t i = order.size(); i > 1; --i)
      std::swap(order[i - 1], order[context_.below(i)]);
    std::vector<bool> gets_b(context_.validator_count(), false);
    for (std::size_t i = (order.size() + 1) / 2; i < order.size(); ++i)
      gets_b[order[i]] = true;
    return gets_b;
  }

  // A second block for the same slot that is just as valid: the same transactions but the
  // last one, with both roots recomputed, when the ledger state is known; otherwise the same
  // transactions one millisecond later.
  chain::Block alternative_block(const chain::Block& proposed) const {
    chain::Block block = proposed;
    block.certificate.reset();
    const chain::State* state = context_.state_before(proposed);
    if (state != nullptr && !block.transactions.empty()) {
      block.transactions.pop_back();
      chain::State scratch = *state;
      chain::Execution execution =
          scratch.execute(block.transactions, chain::address_of(block.header.proposer),
                          chain::SignaturePolicy::kAlreadyVerified);
      if (execution.ok()) {
        block.header.tx_root = chain::transactions_root(block.transactions);
        block.header.state_root = scratch.root_after(execution.diff);
        return block;
      }
      block.transactions = proposed.transactions;
    }
    block.header.timestamp_ms += 1;
    return block;
  }

  void report(nlohmann::json& out) const override {
    out["equivocate"] = {{"conflicting_proposals", proposals_split_},
                         {"conflicting_votes", votes_split_}};
  }

  Context& context_;
  SlotMemory<Split> splits_;
  std::uint64_t proposals_split_ = 0;  // slots this primary proposed two blocks for
  std::uint64_t votes_split_ = 0;      // votes sent with a second digest to half the others
};

}  // namespace

std::unique_ptr<Stage> make_equivocate_stage(Context& context) {
  return std::make_unique<EquivocateStage>(context);
}

}  // namespace synod::pbft::adversary_detail
