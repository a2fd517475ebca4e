// Behaviours that add traffic: replay and flood.
#include "pbft/adversary_stage.h"

namespace synod::pbft::adversary_detail {
namespace {

constexpr std::size_t kReplayRingSize = 256;       // past outgoing messages kept for replay
constexpr std::size_t kReplaysPerCall = 2;         // old messages re-sent per call
constexpr std::size_t kFloodMessagesPerCall = 20;  // junk messages sent per call
constexpr std::size_t kFloodGarbageBytesMax = 512;

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

}  // namespace

std::unique_ptr<Stage> make_replay_stage(Context& context) {
  return std::make_unique<ReplayStage>(context);
}

std::unique_ptr<Stage> make_flood_stage(Context& context) {
  return std::make_unique<FloodStage>(context);
}

}  // namespace synod::pbft::adversary_detail
