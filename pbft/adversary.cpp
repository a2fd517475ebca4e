#include "pbft/adversary.h"

#include <algorithm>
#include <cassert>
#include <optional>
#include <random>
#include <string>
#include <utility>

#include "pbft/adversary_stage.h"

namespace synod::pbft {
namespace {

using namespace adversary_detail;

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

std::unique_ptr<Stage> make_stage(AdversaryKind kind, Context& context) {
  switch (kind) {
    case AdversaryKind::kSilent:
      return make_silent_stage();
    case AdversaryKind::kEquivocate:
      return make_equivocate_stage(context);
    case AdversaryKind::kForgeSignature:
      return make_forge_signature_stage(context);
    case AdversaryKind::kWrongDigest:
      return make_wrong_digest_stage(context);
    case AdversaryKind::kReplay:
      return make_replay_stage(context);
    case AdversaryKind::kDoubleVote:
      return make_double_vote_stage(context);
    case AdversaryKind::kInvalidBlock:
      return make_invalid_block_stage(context);
    case AdversaryKind::kSlowPrimary:
      return make_slow_primary_stage(context);
    case AdversaryKind::kFlood:
      return make_flood_stage(context);
    case AdversaryKind::kTamperViewChange:
      return make_tamper_view_change_stage(context);
  }
  assert(false && "unknown adversary kind");
  return nullptr;
}

// ---- the wrapper ---------------------------------------------------------------------------

class AdversaryEngine final : public chain::Engine {
 public:
  AdversaryEngine(std::unique_ptr<chain::Engine> honest, AdversaryOptions options)
      : honest_(std::move(honest)), context_{std::move(options.genesis),
                                             std::move(options.key),
                                             options.index,
                                             options.slow_delay_ms,
                                             {},
                                             std::mt19937_64(options.seed),
                                             kAdversaryTimerBase,
                                             honest_.get()} {
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
