#include "pbft/view_change.h"

#include <set>

#include "chain/certificate.h"

namespace synod::pbft {

Status validate_prepared_certificate(const PreparedCertificate& certificate,
                                     const chain::ValidatorSet& validators,
                                     const chain::SigningDomain& domain) {
  const auto& pre_prepare = certificate.pre_prepare;
  const PrePrepare& body = pre_prepare.body;
  ReplicaIndex primary = primary_of(body.view, validators.size());
  if (pre_prepare.sender != primary)
    return make_error("prepared certificate: not from the primary");
  if (!signature_valid(pre_prepare, validators, domain)) {
    return make_error("prepared certificate: bad pre-prepare signature");
  }
  const auto* seal = std::get_if<chain::PbftSeal>(&body.block.header.seal);
  if (seal == nullptr || seal->sequence != body.sequence ||
      body.block.header.height != body.sequence || seal->view > body.view) {
    return make_error("prepared certificate: block does not match its sequence");
  }
  // The signatures cover the header alone; the new primary would re-propose the whole
  // block, so a sender must not be able to swap its transactions or attach a certificate.
  if (body.block.certificate)
    return make_error("prepared certificate: the block carries a commit certificate");
  if (chain::transactions_root(body.block.transactions) != body.block.header.tx_root)
    return make_error("prepared certificate: transactions do not match the block's tx_root");
  crypto::Hash256 digest = body.block.hash();
  std::set<ReplicaIndex> senders;
  for (const auto& prepare : certificate.prepares) {
    if (prepare.sender == primary || prepare.body.view != body.view ||
        prepare.body.sequence != body.sequence || prepare.body.digest != digest) {
      return make_error("prepared certificate: mismatched prepare");
    }
    if (!senders.insert(prepare.sender).second) {
      return make_error("prepared certificate: duplicate prepare");
    }
    if (!signature_valid(prepare, validators, domain)) {
      return make_error("prepared certificate: bad prepare signature");
    }
  }
  if (senders.size() < validators.quorum() - 1) {
    return make_error("prepared certificate: too few prepares");
  }
  return Status::success();
}

Status validate_checkpoint_proof(std::uint64_t sequence,
                                 const std::vector<Signed<Checkpoint>>& proof,
                                 const chain::ValidatorSet& validators,
                                 const chain::SigningDomain& domain) {
  if (sequence == 0) {
    if (!proof.empty())
      return make_error("checkpoint proof for sequence 0 must be empty");
    return Status::success();
  }
  std::set<ReplicaIndex> senders;
  for (const auto& checkpoint : proof) {
    if (checkpoint.body.sequence != sequence ||
        checkpoint.body.digest != proof.front().body.digest) {
      return make_error("checkpoint proof: mismatched checkpoint");
    }
    if (!senders.insert(checkpoint.sender).second) {
      return make_error("checkpoint proof: duplicate sender");
    }
    if (!signature_valid(checkpoint, validators, domain)) {
      return make_error("checkpoint proof: bad signature");
    }
  }
  if (senders.size() < validators.quorum())
    return make_error("checkpoint proof: too few");
  return Status::success();
}

namespace {

// A prepared block is re-proposed whole by the next primary and kept until then, so one
// past the limits an honest replica would have refused costs memory and hashing for nothing.
Status check_block_limits(const chain::Block& block, const chain::PbftParams& limits) {
  if (block.transactions.size() > limits.max_block_transactions)
    return make_error("prepared certificate: more transactions than the genesis allows a block");
  if (block.encode().size() > limits.max_block_bytes)
    return make_error("prepared certificate: a block larger than the genesis allows");
  return Status::success();
}

}  // namespace

Status validate_view_change(const Signed<ViewChange>& message,
                            const chain::ValidatorSet& validators,
                            const chain::SigningDomain& domain, const chain::PbftParams& limits) {
  const ViewChange& body = message.body;
  for (const auto& certificate : body.prepared) {
    if (auto status = check_block_limits(certificate.pre_prepare.body.block, limits); !status)
      return make_error("view-change: " + status.message());
  }
  if (!signature_valid(message, validators, domain))
    return make_error("view-change: bad signature");
  if (body.new_view == 0)
    return make_error("view-change: to view 0");
  if (auto status = validate_checkpoint_proof(body.stable_sequence, body.checkpoint_proof,
                                              validators, domain);
      !status) {
    return status;
  }
  if (body.head.height < body.stable_sequence) {
    return make_error("view-change: head below its stable checkpoint");
  }
  if (body.head.height > 0) {
    if (!body.head_certificate)
      return make_error("view-change: head without certificate");
    if (body.head_certificate->sequence != body.head.height) {
      return make_error("view-change: head certificate sequence mismatch");
    }
    if (auto status =
            chain::verify_certificate(*body.head_certificate, body.head.hash(), validators, domain);
        !status) {
      return make_error("view-change: " + status.message());
    }
  }
  for (const auto& certificate : body.prepared) {
    const PrePrepare& pre_prepare = certificate.pre_prepare.body;
    if (pre_prepare.sequence <= body.head.height || pre_prepare.view >= body.new_view) {
      return make_error("view-change: prepared certificate out of range");
    }
    if (auto status = validate_prepared_certificate(certificate, validators, domain); !status) {
      return make_error("view-change: " + status.message());
    }
  }
  return Status::success();
}

std::uint64_t highest_head(const std::vector<Signed<ViewChange>>& view_changes) {
  std::uint64_t highest = 0;
  for (const auto& view_change : view_changes) {
    highest = std::max(highest, view_change.body.head.height);
  }
  return highest;
}

std::optional<PrePrepare> compute_reproposal(const std::vector<Signed<ViewChange>>& view_changes,
                                             std::uint64_t new_view) {
  std::uint64_t next = highest_head(view_changes) + 1;
  const PreparedCertificate* best = nullptr;
  for (const auto& view_change : view_changes) {
    for (const auto& certificate : view_change.body.prepared) {
      const PrePrepare& candidate = certificate.pre_prepare.body;
      if (candidate.sequence != next)
        continue;
      if (best == nullptr || candidate.view > best->pre_prepare.body.view)
        best = &certificate;
    }
  }
  if (best == nullptr)
    return std::nullopt;
  return PrePrepare{new_view, next, best->pre_prepare.body.block};
}

Status validate_new_view(const Signed<NewView>& message, const chain::ValidatorSet& validators,
                         const chain::SigningDomain& domain, const chain::PbftParams& limits) {
  const NewView& body = message.body;
  if (message.sender != primary_of(body.view, validators.size())) {
    return make_error("new-view: not from the primary of its view");
  }
  if (!signature_valid(message, validators, domain))
    return make_error("new-view: bad signature");
  std::set<ReplicaIndex> senders;
  for (const auto& view_change : body.view_changes) {
    if (view_change.body.new_view != body.view) {
      return make_error("new-view: view-change for another view");
    }
    if (!senders.insert(view_change.sender).second) {
      return make_error("new-view: duplicate view-change sender");
    }
    if (auto status = validate_view_change(view_change, validators, domain, limits); !status) {
      return make_error("new-view: " + status.message());
    }
  }
  if (senders.size() < validators.quorum())
    return make_error("new-view: too few view-changes");
  auto expected = compute_reproposal(body.view_changes, body.view);
  if (body.pre_prepares.size() != (expected ? 1u : 0u)) {
    return make_error("new-view: re-proposals differ from the recomputed set");
  }
  if (expected) {
    const auto& actual = body.pre_prepares.front();
    if (actual.sender != message.sender || actual.body.view != expected->view ||
        actual.body.sequence != expected->sequence ||
        actual.body.block.hash() != expected->block.hash()) {
      return make_error("new-view: re-proposal differs from the recomputed one");
    }
    if (!signature_valid(actual, validators, domain)) {
      return make_error("new-view: bad re-proposal signature");
    }
  }
  return Status::success();
}

}  // namespace synod::pbft
