#include "pbft/adversary.h"

#include <algorithm>
#include <cassert>
#include <deque>
#include <optional>
#include <random>
#include <string>
#include <type_traits>
#include <utility>

#include "chain/state.h"
#include "pbft/messages.h"
#include "pbft/replica.h"

namespace synod::pbft {
namespace {

using chain::Action;
using chain::Actions;
using chain::BroadcastAction;
using chain::SendAction;
using chain::TimeMs;

constexpr std::size_t kSlotsRemembered = 64;       // (view, sequence) slots a kind recalls
constexpr std::size_t kReplayRingSize = 256;       // past outgoing messages kept for replay
constexpr std::size_t kReplaysPerCall = 2;         // old messages re-sent per call
constexpr std::size_t kFloodMessagesPerCall = 20;  // junk messages sent per call
constexpr std::size_t kFloodGarbageBytesMax = 512;
constexpr std::size_t kHeldGroupsMax = 64;  // slow-primary: pre-prepare groups held at once

struct KindName {
  AdversaryKind kind;
  const char* name;
};
constexpr KindName kKindNames[] = {
    {AdversaryKind::kSilent, "silent"},
    {AdversaryKind::kEquivocate, "equivocate"},
    {AdversaryKind::kForgeSignature, "forge-signature"},
    {AdversaryKind::kWrongDigest, "wrong-digest"},
    {AdversaryKind::kReplay, "replay"},
    {AdversaryKind::kDoubleVote, "double-vote"},
    {AdversaryKind::kInvalidBlock, "invalid-block"},
    {AdversaryKind::kSlowPrimary, "slow-primary"},
    {AdversaryKind::kFlood, "flood"},
    {AdversaryKind::kTamperViewChange, "tamper-view-change"},
};

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
    text.remove_suffix(1);
  return text;
}

std::string valid_kind_names() {
  std::string out;
  for (const auto& entry : kKindNames) {
    if (!out.empty())
      out += ", ";
    out += entry.name;
  }
  return out;
}

// ---- what every kind of one wrapper shares ------------------------------------------------

struct Context {
  std::shared_ptr<const chain::Genesis> genesis;
  crypto::KeyPair key;
  ReplicaIndex index = 0;
  std::uint64_t slow_delay_ms = 0;
  std::vector<ReplicaIndex> others;  // every validator but this one, ascending
  std::mt19937_64 rng;
  std::uint32_t next_timer_id = kAdversaryTimerBase;
  const chain::Engine* honest = nullptr;
  chain::SigningDomain domain;  // of `genesis`

  const std::string& chain_id() const { return genesis->chain_id; }
  std::size_t validator_count() const { return genesis->validators.size(); }
  bool mine(const Message& message) const { return sender_of(message) == index; }

  // Uniform enough in [0, bound) for test traffic; bound > 0.
  std::size_t below(std::size_t bound) { return static_cast<std::size_t>(rng() % bound); }
  template <typename Fixed>
  Fixed random_fixed() {
    Fixed out;
    for (auto& byte : out.data)
      byte = static_cast<std::uint8_t>(rng());
    return out;
  }
  template <typename Body>
  Message sign_own(Body body) const {
    return sign(key, index, domain, std::move(body));
  }
  std::uint32_t allocate_timer_id() {
    std::uint32_t id = next_timer_id;
    next_timer_id = next_timer_id == UINT32_MAX ? kAdversaryTimerBase : next_timer_id + 1;
    return id;
  }
  // The ledger state `block` would be applied to, when the honest engine can tell.
  const chain::State* state_before(const chain::Block& block) const {
    if (honest->head().hash != block.header.prev_hash)
      return nullptr;
    return &honest->state();
  }
};

// ---- message plumbing ----------------------------------------------------------------------

// One outgoing protocol message: to one validator, or to every other one when `to` is empty.
struct Outgoing {
  std::optional<ReplicaIndex> to;
  Message message;
};

Action make_action(std::optional<ReplicaIndex> to, Bytes bytes) {
  if (to)
    return SendAction{*to, std::move(bytes)};
  return BroadcastAction{std::move(bytes)};
}

const Bytes* message_bytes(const Action& action) {
  if (const auto* send = std::get_if<SendAction>(&action))
    return &send->message;
  if (const auto* broadcast = std::get_if<BroadcastAction>(&action))
    return &broadcast->message;
  return nullptr;
}

bool is_message(const Action& action) {
  return message_bytes(action) != nullptr;
}

void pass(const Outgoing& outgoing, Actions& out) {
  out.push_back(make_action(outgoing.to, encode(outgoing.message)));
}

// Calls `rewrite(outgoing, out)` for every Send/Broadcast of `actions` whose bytes decode;
// every other action (and undecodable bytes) stays where it was.
template <typename Rewrite>
void rewrite_messages(Actions& actions, Rewrite&& rewrite) {
  Actions out;
  out.reserve(actions.size());
  for (Action& action : actions) {
    const Bytes* bytes = message_bytes(action);
    if (bytes == nullptr) {
      out.push_back(std::move(action));
      continue;
    }
    Result<Message> decoded = decode_message(*bytes);
    if (!decoded) {
      out.push_back(std::move(action));
      continue;
    }
    std::optional<ReplicaIndex> to;
    if (const auto* send = std::get_if<SendAction>(&action))
      to = send->to;
    rewrite(Outgoing{to, std::move(decoded).value()}, out);
  }
  actions = std::move(out);
}

crypto::Signature& signature_of(Message& message) {
  return std::visit([](auto& m) -> crypto::Signature& { return m.signature; }, message);
}

struct VoteRef {
  MessageType type = MessageType::kPrepare;
  std::uint64_t view = 0;
  std::uint64_t sequence = 0;
  crypto::Hash256 digest;
};

// The slot and digest of a PREPARE or COMMIT; nullopt for any other message.
std::optional<VoteRef> vote_of(const Message& message) {
  if (const auto* prepare = std::get_if<Signed<Prepare>>(&message)) {
    return VoteRef{MessageType::kPrepare, prepare->body.view, prepare->body.sequence,
                   prepare->body.digest};
  }
  if (const auto* commit = std::get_if<Signed<Commit>>(&message)) {
    return VoteRef{MessageType::kCommit, commit->body.view, commit->body.sequence,
                   commit->body.digest};
  }
  return std::nullopt;
}

// `vote` (a PREPARE or COMMIT) for `digest` instead, signed by this node.
Message with_digest(const Context& context, const Message& vote, const crypto::Hash256& digest) {
  return std::visit(
      [&](const auto& m) -> Message {
        using Body = std::decay_t<decltype(m.body)>;
        if constexpr (std::is_same_v<Body, Prepare> || std::is_same_v<Body, Commit>) {
          Body body = m.body;
          body.digest = digest;
          return context.sign_own(std::move(body));
        } else {
          assert(false && "with_digest needs a PREPARE or COMMIT");
          return m;
        }
      },
      vote);
}

// A small memory keyed by (view, sequence); the oldest entry goes first.
template <typename Value>
class SlotMemory {
 public:
  Value* find(std::uint64_t view, std::uint64_t sequence) {
    for (auto& entry : entries_) {
      if (entry.view == view && entry.sequence == sequence)
        return &entry.value;
    }
    return nullptr;
  }
  Value& put(std::uint64_t view, std::uint64_t sequence, Value value) {
    if (Value* existing = find(view, sequence)) {
      *existing = std::move(value);
      return *existing;
    }
    if (entries_.size() == kSlotsRemembered)
      entries_.pop_front();
    entries_.push_back(Entry{view, sequence, std::move(value)});
    return entries_.back().value;
  }

 private:
  struct Entry {
    std::uint64_t view;
    std::uint64_t sequence;
    Value value;
  };
  std::deque<Entry> entries_;
};

// ---- the kinds -----------------------------------------------------------------------------

class Stage {
 public:
  virtual ~Stage() = default;
  // Rewrites the actions of one call in place. `honest_traffic`: the honest engine sent
  // something in this call (extra traffic is only added then).
  virtual void rewrite(Actions& actions, TimeMs now, bool honest_traffic) = 0;
  // One of the wrapper's timers fired: what this kind held for it, or nullopt when the
  // timer is not this kind's.
  virtual std::optional<Actions> on_timer(std::uint32_t /*id*/, TimeMs /*now*/) {
    return std::nullopt;
  }
  // Adds what this kind has done so far to `out` (under its name), so that a test can
  // check that the attack really happened before it checks that the others survived it.
  virtual void report(nlohmann::json& /*out*/) const {}
};

class SilentStage final : public Stage {
 public:
  void rewrite(Actions& actions, TimeMs, bool) override { std::erase_if(actions, is_message); }
};

class ForgeSignatureStage final : public Stage {
 public:
  explicit ForgeSignatureStage(Context& context) : context_(context) {}
  void rewrite(Actions& actions, TimeMs, bool) override {
    rewrite_messages(actions, [&](Outgoing outgoing, Actions& out) {
      // One flipped bit is enough: an Ed25519 signature either verifies or it does not.
      crypto::Signature& signature = signature_of(outgoing.message);
      signature.data[context_.below(signature.data.size())] ^=
          static_cast<std::uint8_t>(1u << context_.below(8));
      pass(outgoing, out);
    });
  }

 private:
  Context& context_;
};

class WrongDigestStage final : public Stage {
 public:
  explicit WrongDigestStage(Context& context) : context_(context) {}
  void rewrite(Actions& actions, TimeMs, bool) override {
    rewrite_messages(actions, [&](Outgoing outgoing, Actions& out) {
      if (!context_.mine(outgoing.message) || !vote_of(outgoing.message))
        return pass(outgoing, out);
      Message wrong =
          with_digest(context_, outgoing.message, context_.random_fixed<crypto::Hash256>());
      out.push_back(make_action(outgoing.to, encode(wrong)));
    });
  }

 private:
  Context& context_;
};

// Each PREPARE/COMMIT goes out as sent, followed by a second vote for the same slot with
// another digest, to the same recipients (so everyone sees both).
class DoubleVoteStage final : public Stage {
 public:
  explicit DoubleVoteStage(Context& context) : context_(context) {}
  void rewrite(Actions& actions, TimeMs, bool) override {
    rewrite_messages(actions, [&](Outgoing outgoing, Actions& out) {
      std::optional<VoteRef> vote = vote_of(outgoing.message);
      pass(outgoing, out);
      if (!vote || !context_.mine(outgoing.message))
        return;
      auto& memory = vote->type == MessageType::kPrepare ? prepares_ : commits_;
      const crypto::Hash256* other = memory.find(vote->view, vote->sequence);
      if (other == nullptr || *other == vote->digest) {
        other = &memory.put(vote->view, vote->sequence, context_.random_fixed<crypto::Hash256>());
      }
      out.push_back(
          make_action(outgoing.to, encode(with_digest(context_, outgoing.message, *other))));
    });
  }

 private:
  Context& context_;
  SlotMemory<crypto::Hash256> prepares_;  // the conflicting digest used per slot
  SlotMemory<crypto::Hash256> commits_;
};

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
    return chain::make_transfer(context_.key, context_.chain_id(), self, 1, 0, nonce);
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
};

// Alongside its own traffic, re-sends messages it sent in earlier calls (older views and
// sequences) to everyone.
class ReplayStage final : public Stage {
 public:
  explicit ReplayStage(Context& context) : context_(context) {}
  void rewrite(Actions& actions, TimeMs, bool honest_traffic) override {
    Actions replays;
    if (honest_traffic && !ring_.empty()) {
      for (std::size_t i = 0; i < kReplaysPerCall; ++i) {
        replays.push_back(BroadcastAction{ring_[context_.below(ring_.size())]});
      }
    }
    for (const Action& action : actions) {
      const Bytes* bytes = message_bytes(action);
      if (bytes == nullptr)
        continue;
      if (ring_.size() == kReplayRingSize)
        ring_.pop_front();
      ring_.push_back(*bytes);
    }
    for (Action& replay : replays)
      actions.push_back(std::move(replay));
  }

 private:
  Context& context_;
  std::deque<Bytes> ring_;
};

// Alongside its own traffic, sends every other validator junk: random bytes, truncated or
// absurdly sized messages, and well-formed messages with signatures that do not verify.
class FloodStage final : public Stage {
 public:
  explicit FloodStage(Context& context) : context_(context) {}
  void rewrite(Actions& actions, TimeMs, bool honest_traffic) override {
    if (!honest_traffic || context_.others.empty())
      return;
    std::size_t first = context_.below(context_.others.size());
    for (std::size_t i = 0; i < kFloodMessagesPerCall; ++i) {
      ReplicaIndex peer = context_.others[(first + i) % context_.others.size()];
      actions.push_back(SendAction{peer, junk()});
    }
  }

 private:
  Bytes junk() {
    switch (context_.below(6)) {
      case 0:
        return random_bytes(context_.below(kFloodGarbageBytesMax + 1));
      case 1: {  // a known type tag followed by noise
        Bytes out{static_cast<std::uint8_t>(1 + context_.below(6))};
        append(out, random_bytes(context_.below(128)));
        return out;
      }
      case 2:  // well formed, claiming any sender, with a random signature
        return encode(
            forged_vote(static_cast<ReplicaIndex>(context_.below(context_.validator_count() + 2))));
      case 3: {  // well formed, unsigned
        Signed<Checkpoint> checkpoint{
            context_.index, {context_.rng() % 64, context_.random_fixed<crypto::Hash256>()}, {}};
        return encode(checkpoint);
      }
      case 4: {  // a well-formed message cut short
        Bytes out = encode(forged_vote(context_.index));
        out.resize(context_.below(out.size()));
        return out;
      }
      default: {  // a NEW-VIEW announcing four billion view-changes
        chain::Writer out;
        out.u8(static_cast<std::uint8_t>(MessageType::kNewView));
        out.u32(context_.index);
        out.u64(context_.rng() % 64);
        out.u32(UINT32_MAX);
        return out.take();
      }
    }
  }

  Message forged_vote(ReplicaIndex sender) {
    std::uint64_t view = context_.rng() % 64;
    std::uint64_t sequence = context_.rng() % 64;
    crypto::Hash256 digest = context_.random_fixed<crypto::Hash256>();
    crypto::Signature signature = context_.random_fixed<crypto::Signature>();
    if (context_.below(2) == 0)
      return Signed<Prepare>{sender, {view, sequence, digest}, signature};
    return Signed<Commit>{sender, {view, sequence, digest}, signature};
  }

  Bytes random_bytes(std::size_t size) {
    Bytes out(size);
    for (auto& byte : out)
      byte = static_cast<std::uint8_t>(context_.rng());
    return out;
  }

  Context& context_;
};

// Each of its VIEW-CHANGEs carries its prepared blocks changed: the last transaction gone
// (or, for an empty block, a commit certificate attached). The header, and so the digest
// the primary and the backups signed, is unchanged, and the VIEW-CHANGE is re-signed: only
// a check of the whole block against its tx_root catches it.
class TamperViewChangeStage final : public Stage {
 public:
  explicit TamperViewChangeStage(Context& context) : context_(context) {}
  void rewrite(Actions& actions, TimeMs, bool) override {
    rewrite_messages(actions, [&](Outgoing outgoing, Actions& out) {
      const auto* view_change = std::get_if<Signed<ViewChange>>(&outgoing.message);
      if (view_change == nullptr || !context_.mine(outgoing.message) ||
          view_change->body.prepared.empty())
        return pass(outgoing, out);
      ViewChange body = view_change->body;
      for (auto& certificate : body.prepared) {
        chain::Block& block = certificate.pre_prepare.body.block;
        if (!block.transactions.empty())
          block.transactions.pop_back();
        else
          block.certificate = chain::CommitCertificate{certificate.pre_prepare.body.view,
                                                       certificate.pre_prepare.body.sequence,
                                                       block.hash(),
                                                       {}};
      }
      ++tampered_;
      out.push_back(make_action(outgoing.to, encode(context_.sign_own(std::move(body)))));
    });
  }
  void report(nlohmann::json& out) const override {
    out["tamper-view-change"] = {{"view_changes_tampered", tampered_}};
  }

 private:
  Context& context_;
  std::uint64_t tampered_ = 0;
};

std::unique_ptr<Stage> make_stage(AdversaryKind kind, Context& context) {
  switch (kind) {
    case AdversaryKind::kSilent:
      return std::make_unique<SilentStage>();
    case AdversaryKind::kEquivocate:
      return std::make_unique<EquivocateStage>(context);
    case AdversaryKind::kForgeSignature:
      return std::make_unique<ForgeSignatureStage>(context);
    case AdversaryKind::kWrongDigest:
      return std::make_unique<WrongDigestStage>(context);
    case AdversaryKind::kReplay:
      return std::make_unique<ReplayStage>(context);
    case AdversaryKind::kDoubleVote:
      return std::make_unique<DoubleVoteStage>(context);
    case AdversaryKind::kInvalidBlock:
      return std::make_unique<InvalidBlockStage>(context);
    case AdversaryKind::kSlowPrimary:
      return std::make_unique<SlowPrimaryStage>(context);
    case AdversaryKind::kFlood:
      return std::make_unique<FloodStage>(context);
    case AdversaryKind::kTamperViewChange:
      return std::make_unique<TamperViewChangeStage>(context);
  }
  assert(false && "unknown adversary kind");
  return nullptr;
}

// ---- the wrapper ---------------------------------------------------------------------------

class AdversaryEngine final : public chain::Engine {
 public:
  AdversaryEngine(std::unique_ptr<chain::Engine> honest, AdversaryOptions options)
      : honest_(std::move(honest)),
        context_{std::move(options.genesis),
                 std::move(options.key),
                 options.index,
                 options.slow_delay_ms,
                 {},
                 std::mt19937_64(options.seed),
                 kAdversaryTimerBase,
                 honest_.get(),
                 {}} {
    context_.domain = chain::SigningDomain::of(*context_.genesis);
    for (ReplicaIndex i = 0; i < context_.validator_count(); ++i) {
      if (i != context_.index)
        context_.others.push_back(i);
    }
    for (AdversaryKind kind : options.kinds)
      stages_.push_back(make_stage(kind, context_));
  }
  AdversaryEngine(const AdversaryEngine&) = delete;
  AdversaryEngine& operator=(const AdversaryEngine&) = delete;

  Actions start(TimeMs now) override { return rewrite(honest_->start(now), now); }
  Actions on_message(ReplicaIndex from, ByteView message, TimeMs now) override {
    return rewrite(honest_->on_message(from, message, now), now);
  }
  Actions on_transactions(TimeMs now) override {
    return rewrite(honest_->on_transactions(now), now);
  }
  Actions on_timer(std::uint32_t id, TimeMs now) override {
    if (id < kAdversaryTimerBase)
      return rewrite(honest_->on_timer(id, now), now);
    for (std::size_t i = 0; i < stages_.size(); ++i) {
      if (std::optional<Actions> released = stages_[i]->on_timer(id, now)) {
        return run_stages(std::move(*released), i + 1, now, true);
      }
    }
    return {};  // a timer of ours whose messages already went out
  }
  Actions on_block_stored(std::uint64_t height, TimeMs now) override {
    return rewrite(honest_->on_block_stored(height, now), now);
  }
  Actions on_blocks_fetched(ReplicaIndex peer, std::vector<chain::Block> blocks,
                            TimeMs now) override {
    return rewrite(honest_->on_blocks_fetched(peer, std::move(blocks), now), now);
  }
  Actions on_block_mined(std::uint64_t job, std::uint64_t nonce, TimeMs now) override {
    return rewrite(honest_->on_block_mined(job, nonce, now), now);
  }

  // Queries describe the honest engine underneath: the node's own view of its chain.
  chain::ChainHead head() const override { return honest_->head(); }
  const chain::State& state() const override { return honest_->state(); }
  chain::Finality finality() const override { return honest_->finality(); }
  nlohmann::json status(TimeMs now) const override { return honest_->status(now); }
  // The honest engine's dump, plus what each Byzantine kind has done ("adversary").
  nlohmann::json consensus_dump(TimeMs now) const override {
    nlohmann::json dump = honest_->consensus_dump(now);
    nlohmann::json acts = nlohmann::json::object();
    for (const auto& stage : stages_)
      stage->report(acts);
    dump["adversary"] = std::move(acts);
    return dump;
  }
  nlohmann::json validator_facts() const override { return honest_->validator_facts(); }
  std::vector<chain::MetricSample> metrics() const override { return honest_->metrics(); }
  std::string message_type(ByteView message) const override {
    return honest_->message_type(message);
  }
  std::string progress_note() const override { return honest_->progress_note(); }

 private:
  Actions rewrite(Actions actions, TimeMs now) {
    for (const Action& action : actions) {
      if (const auto* set = std::get_if<chain::SetTimerAction>(&action)) {
        assert(set->id < kAdversaryTimerBase && "engine timer ids clash with the adversary's");
      }
    }
    bool honest_traffic = std::any_of(actions.begin(), actions.end(), is_message);
    return run_stages(std::move(actions), 0, now, honest_traffic);
  }

  Actions run_stages(Actions actions, std::size_t first, TimeMs now, bool honest_traffic) {
    for (std::size_t i = first; i < stages_.size(); ++i) {
      stages_[i]->rewrite(actions, now, honest_traffic);
    }
    return actions;
  }

  std::unique_ptr<chain::Engine> honest_;
  Context context_;  // after honest_, which it points to; before stages_, which use it
  std::vector<std::unique_ptr<Stage>> stages_;
};

}  // namespace

const char* to_string(AdversaryKind kind) {
  for (const auto& entry : kKindNames) {
    if (entry.kind == kind)
      return entry.name;
  }
  return "unknown";
}

Result<std::vector<AdversaryKind>> parse_adversary_kinds(std::string_view comma_list) {
  if (trim(comma_list).empty()) {
    return make_error("no adversary kinds given (expected a comma-separated list of: " +
                      valid_kind_names() + ")");
  }
  std::vector<AdversaryKind> kinds;
  std::size_t start = 0;
  while (true) {
    std::size_t comma = comma_list.find(',', start);
    std::string_view item = trim(comma_list.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (item.empty()) {
      return make_error("empty adversary kind in '" + std::string(comma_list.substr(0, 200)) + "'");
    }
    auto entry = std::find_if(std::begin(kKindNames), std::end(kKindNames),
                              [&](const KindName& known) { return item == known.name; });
    if (entry == std::end(kKindNames)) {
      return make_error("unknown adversary kind '" + std::string(item.substr(0, 64)) +
                        "' (expected one of: " + valid_kind_names() + ")");
    }
    if (std::find(kinds.begin(), kinds.end(), entry->kind) != kinds.end()) {
      return make_error("adversary kind '" + std::string(item) + "' given twice");
    }
    kinds.push_back(entry->kind);
    if (comma == std::string_view::npos)
      break;
    start = comma + 1;
  }
  return kinds;
}

std::unique_ptr<chain::Engine> wrap_adversary(std::unique_ptr<chain::Engine> honest,
                                              AdversaryOptions options) {
  assert(honest != nullptr);
  assert(options.genesis != nullptr);
  assert(options.index < options.genesis->validators.size());
  assert(options.genesis->validators.at(options.index).public_key == options.key.public_key());
  return std::make_unique<AdversaryEngine>(std::move(honest), std::move(options));
}

}  // namespace synod::pbft
