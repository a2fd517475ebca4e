#include "pbft/vote_log.h"

namespace synod::pbft {

bool VoteLog::allows(VoteKind kind, std::uint64_t view_number, std::uint64_t sequence,
                     const crypto::Hash256& digest) const {
  auto it = signed_votes.find({kind, view_number, sequence});
  return it == signed_votes.end() || it->second == digest;
}

void VoteLog::record(VoteKind kind, std::uint64_t view_number, std::uint64_t sequence,
                     const crypto::Hash256& digest) {
  signed_votes[{kind, view_number, sequence}] = digest;
}

void VoteLog::prune(std::uint64_t height) {
  for (auto it = signed_votes.begin(); it != signed_votes.end();) {
    it = std::get<2>(it->first) <= height ? signed_votes.erase(it) : std::next(it);
  }
  if (prepared && prepared->pre_prepare.body.sequence <= height)
    prepared.reset();
}

Bytes VoteLog::encode() const {
  chain::Writer out;
  out.u64(view);
  out.boolean(in_view_change);
  out.u64(last_checkpoint);
  out.u64(view_floor);
  out.count(signed_votes.size());
  for (const auto& [key, digest] : signed_votes) {
    out.u8(static_cast<std::uint8_t>(std::get<0>(key)));
    out.u64(std::get<1>(key));
    out.u64(std::get<2>(key));
    out.fixed(digest);
  }
  out.boolean(prepared.has_value());
  if (prepared) {
    // Reuse the message codec: a VIEW-CHANGE body is the natural container of a prepared
    // certificate.
    Signed<ViewChange> carrier;
    carrier.body.prepared.push_back(*prepared);
    out.bytes(pbft::encode(Message(carrier)));
  }
  // Last, so that a log written before the field existed still decodes.
  out.boolean(proposed_in_view.has_value());
  if (proposed_in_view)
    out.u64(*proposed_in_view);
  return out.take();
}

Result<VoteLog> decode_vote_log(ByteView bytes) {
  chain::Reader in(bytes);
  VoteLog log;
  log.view = in.u64();
  log.in_view_change = in.boolean();
  log.last_checkpoint = in.u64();
  log.view_floor = in.u64();
  // Votes are kept for up to 256 unstored heights plus the watermark window, a few per
  // height and view.
  std::size_t n = in.count(8192, 1 + 8 + 8 + 32);
  for (std::size_t i = 0; i < n && in.ok(); ++i) {
    std::uint8_t kind = in.u8();
    std::uint64_t view_number = in.u64();
    std::uint64_t sequence = in.u64();
    auto digest = in.fixed<crypto::Hash256>();
    if (kind < 1 || kind > 3)
      in.fail("unknown vote kind");
    log.record(static_cast<VoteKind>(kind), view_number, sequence, digest);
  }
  if (in.boolean()) {
    Bytes carrier_bytes = in.bytes(kMaxMessageBytes);
    if (in.ok()) {
      auto carrier = decode_message(carrier_bytes);
      const auto* view_change = carrier ? std::get_if<Signed<ViewChange>>(&*carrier) : nullptr;
      if (view_change == nullptr || view_change->body.prepared.size() != 1) {
        in.fail("corrupt prepared certificate");
      } else {
        log.prepared = view_change->body.prepared.front();
      }
    }
  }
  if (in.remaining() > 0 && in.boolean())
    log.proposed_in_view = in.u64();
  if (auto status = in.finish("vote log"); !status)
    return status.error();
  return log;
}

}  // namespace synod::pbft
