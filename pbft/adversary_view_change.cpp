// The view-change behaviour: tamper-view-change.
#include "pbft/adversary_stage.h"

namespace synod::pbft::adversary_detail {
namespace {

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

}  // namespace

std::unique_ptr<Stage> make_tamper_view_change_stage(Context& context) {
  return std::make_unique<TamperViewChangeStage>(context);
}

}  // namespace synod::pbft::adversary_detail
