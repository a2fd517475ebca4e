// Behaviours that corrupt votes and signatures: silent, forge-signature, wrong-digest,
// double-vote.
#include "pbft/adversary_stage.h"

namespace synod::pbft::adversary_detail {
namespace {

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

}  // namespace

std::unique_ptr<Stage> make_silent_stage() {
  return std::make_unique<SilentStage>();
}

std::unique_ptr<Stage> make_forge_signature_stage(Context& context) {
  return std::make_unique<ForgeSignatureStage>(context);
}

std::unique_ptr<Stage> make_wrong_digest_stage(Context& context) {
  return std::make_unique<WrongDigestStage>(context);
}

std::unique_ptr<Stage> make_double_vote_stage(Context& context) {
  return std::make_unique<DoubleVoteStage>(context);
}

}  // namespace synod::pbft::adversary_detail
