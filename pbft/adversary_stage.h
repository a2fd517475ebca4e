// The parts every Byzantine behaviour of pbft/adversary.h is built from: the state one
// wrapper's behaviours share (Context), the plumbing that decodes and re-encodes outgoing
// messages, and the Stage interface each behaviour implements. Internal to the adversary
// files; nothing outside pbft/adversary*.cpp includes it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "pbft/adversary.h"
#include "pbft/messages.h"

namespace synod::pbft::adversary_detail {

using chain::Action;
using chain::Actions;
using chain::BroadcastAction;
using chain::SendAction;
using chain::TimeMs;

inline constexpr std::size_t kSlotsRemembered = 64;  // (view, sequence) slots a kind recalls

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

Action make_action(std::optional<ReplicaIndex> to, Bytes bytes);
// The bytes of a Send or Broadcast; nullptr for any other action.
const Bytes* message_bytes(const Action& action);
bool is_message(const Action& action);
// Puts `outgoing` back unchanged.
void pass(const Outgoing& outgoing, Actions& out);

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
crypto::Signature& signature_of(Message& message);

struct VoteRef {
  MessageType type = MessageType::kPrepare;
  std::uint64_t view = 0;
  std::uint64_t sequence = 0;
  crypto::Hash256 digest;
};

// The slot and digest of a PREPARE or COMMIT; nullopt for any other message.
std::optional<VoteRef> vote_of(const Message& message);

// `vote` (a PREPARE or COMMIT) for `digest` instead, signed by this node.
Message with_digest(const Context& context, const Message& vote, const crypto::Hash256& digest);

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
// One factory per kind; each kind lives in an adversary_*.cpp file of its own topic.
std::unique_ptr<Stage> make_silent_stage();
std::unique_ptr<Stage> make_forge_signature_stage(Context& context);
std::unique_ptr<Stage> make_wrong_digest_stage(Context& context);
std::unique_ptr<Stage> make_double_vote_stage(Context& context);
std::unique_ptr<Stage> make_equivocate_stage(Context& context);
std::unique_ptr<Stage> make_invalid_block_stage(Context& context);
std::unique_ptr<Stage> make_slow_primary_stage(Context& context);
std::unique_ptr<Stage> make_replay_stage(Context& context);
std::unique_ptr<Stage> make_flood_stage(Context& context);
std::unique_ptr<Stage> make_tamper_view_change_stage(Context& context);

}  // namespace synod::pbft::adversary_detail
