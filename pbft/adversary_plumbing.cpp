// The message plumbing the adversary's behaviours share (see adversary_stage.h).
#include <cassert>
#include <type_traits>

#include "pbft/adversary_stage.h"

namespace synod::pbft::adversary_detail {

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

crypto::Signature& signature_of(Message& message) {
  return std::visit([](auto& m) -> crypto::Signature& { return m.signature; }, message);
}

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

}  // namespace synod::pbft::adversary_detail
