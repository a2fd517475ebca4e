// Behaviours of a Byzantine primary's proposals: invalid-block and slow-primary.
#include "pbft/adversary_stage.h"

#include <algorithm>

#include "chain/state.h"

namespace synod::pbft::adversary_detail {
namespace {

constexpr std::size_t kHeldGroupsMax = 64;  // slow-primary: pre-prepare groups held at once

// Primary: each proposal is replaced by an invalid block, the defects taken in turn. The
// PRE-PREPARE itself is correctly signed, so only block validation can catch it.
class InvalidBlockStage final : public Stage {
 public:
  explicit InvalidBlockStage(Context& context) : context_(context) {}
  void rewrite(Actions& actions, TimeMs, bool) override {
    rewrite_messages(actions, [&](Outgoing outgoing, Actions& out) {
      const auto* pre_prepare = std::get_if<Signed<PrePrepare>>(&outgoing.message);
      if (pre_prepare == nullptr || !context_.mine(outgoing.message))
        return pass(outgoing, out);
      const PrePrepare& body = pre_prepare->body;
      // Retransmissions of one slot carry the same invalid block.
      const Bytes* invalid = proposals_.find(body.view, body.sequence);
      if (invalid == nullptr) {
        chain::Block block = invalid_block(body.block, next_defect_);
        next_defect_ = (next_defect_ + 1) % kDefects;
        invalid = &proposals_.put(
            body.view, body.sequence,
            encode(context_.sign_own(PrePrepare{body.view, body.sequence, std::move(block)})));
      }
      out.push_back(make_action(outgoing.to, *invalid));
    });
  }

 private:
  static constexpr std::size_t kDefects = 5;

  chain::Block invalid_block(const chain::Block& proposed, std::size_t defect) {
    chain::Block block = proposed;
    block.certificate.reset();
    auto& txs = block.transactions;
    switch (defect) {
      case 0: {  // a transaction whose signature does not verify
        if (txs.empty())
          txs.push_back(own_transfer(proposed));
        txs[context_.below(txs.size())].signature.data[0] ^= 0x01;
        block.header.tx_root = chain::transactions_root(txs);
        break;
      }
      case 1: {  // a double spend: one transaction twice
        if (txs.empty())
          txs.push_back(own_transfer(proposed));
        std::size_t i = context_.below(txs.size());
        chain::Transaction copy = txs[i];
        txs.insert(txs.begin() + static_cast<std::ptrdiff_t>(i) + 1, std::move(copy));
        block.header.tx_root = chain::transactions_root(txs);
        break;
      }
      case 2:  // a Merkle root that does not match the transactions
        block.header.tx_root = context_.random_fixed<crypto::Hash256>();
        break;
      case 3:  // a height that does not follow the parent's
        block.header.height += 1;
        break;
      default:  // a parent that is not the head
        block.header.prev_hash = context_.random_fixed<crypto::Hash256>();
        break;
    }
    return block;
  }

  // A correctly signed transfer from this node's own account, for empty proposals.
  chain::Transaction own_transfer(const chain::Block& proposed) const {
    const chain::Address self = chain::address_of(context_.key.public_key());
    const chain::State* state = context_.state_before(proposed);
    std::uint64_t nonce = state != nullptr ? state->account(self).nonce : 0;
    return chain::make_transfer(context_.key, context_.domain, self, 1, 0, nonce);
  }

  Context& context_;
  std::size_t next_defect_ = 0;
  SlotMemory<Bytes> proposals_;
};

// Primary: holds its PRE-PREPAREs until just before the backups would suspect it, then
// sends them from a timer of the wrapper's own.
class SlowPrimaryStage final : public Stage {
 public:
  explicit SlowPrimaryStage(Context& context) : context_(context) {}
  void rewrite(Actions& actions, TimeMs now, bool) override {
    Actions kept;
    Actions hold;
    for (Action& action : actions) {
      (is_own_pre_prepare(action) ? hold : kept).push_back(std::move(action));
    }
    if (!hold.empty()) {
      if (held_.size() == kHeldGroupsMax) {  // bounded: the oldest group goes out now
        kept.push_back(chain::CancelTimerAction{held_.front().timer_id});
        for (Action& action : held_.front().actions)
          kept.push_back(std::move(action));
        held_.pop_front();
      }
      std::uint32_t id = context_.allocate_timer_id();
      kept.push_back(chain::SetTimerAction{id, now + delay_ms()});
      held_.push_back(Held{id, std::move(hold)});
      ++groups_held_;
    }
    actions = std::move(kept);
  }

  std::optional<Actions> on_timer(std::uint32_t id, TimeMs) override {
    auto it = std::find_if(held_.begin(), held_.end(),
                           [&](const Held& held) { return held.timer_id == id; });
    if (it == held_.end())
      return std::nullopt;
    Actions released = std::move(it->actions);
    held_.erase(it);
    return released;
  }

  void report(nlohmann::json& out) const override {
    out["slow-primary"] = {{"pre_prepares_held", groups_held_}, {"delay_ms", delay_ms()}};
  }

 private:
  struct Held {
    std::uint32_t timer_id;
    Actions actions;
  };

  std::uint64_t delay_ms() const {
    if (context_.slow_delay_ms != 0)
      return context_.slow_delay_ms;
    return context_.genesis->pbft.view_change_timeout_ms * 9 / 10;
  }

  bool is_own_pre_prepare(const Action& action) const {
    const Bytes* bytes = message_bytes(action);
    if (bytes == nullptr || bytes->empty() ||
        (*bytes)[0] != static_cast<std::uint8_t>(MessageType::kPrePrepare)) {
      return false;
    }
    Result<Message> decoded = decode_message(*bytes);
    return decoded.ok() && context_.mine(*decoded);
  }

  Context& context_;
  std::deque<Held> held_;
  std::uint64_t groups_held_ = 0;  // calls whose own PRE-PREPAREs were held back
};

}  // namespace

std::unique_ptr<Stage> make_invalid_block_stage(Context& context) {
  return std::make_unique<InvalidBlockStage>(context);
}

std::unique_ptr<Stage> make_slow_primary_stage(Context& context) {
  return std::make_unique<SlowPrimaryStage>(context);
}

}  // namespace synod::pbft::adversary_detail
