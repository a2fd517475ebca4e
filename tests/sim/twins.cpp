#include "tests/sim/twins.h"

#include <algorithm>
#include <optional>
#include <sstream>

#include "pbft/messages.h"
#include "pbft/replica.h"
#include "tests/sim/honest_votes.h"
#include "tests/sim/pbft_engines.h"

namespace synod::sim {
namespace {

constexpr std::size_t kMaxGroups = 3;
// The scenario index is mixed into the space by i -> (a * i + b) mod size; a is odd and not
// a multiple of 41, so coprime to 4 * 41^6, and small enough that a * i fits in 64 bits.
constexpr std::uint64_t kStride = 268'435'399;
constexpr std::uint64_t kOffset = 7'654'321;
constexpr std::uint64_t kSpace = 4ULL * 41 * 41 * 41 * 41 * 41 * 41;
static_assert(kStride % 2 == 1 && kStride % 41 != 0);
static_assert(kStride <= UINT64_MAX / kSpace);

// Timeline of a run: clients submit for the first 1.5 s; from 4 s every link is open.
constexpr TimeMs kWorkloadMs = 1'500;
constexpr TimeMs kGstMs = 4'000;
constexpr double kTransactionsPerS = 6;

// Every set partition of `slots` elements into at most kMaxGroups blocks, as restricted
// growth strings (element i joins an existing block or opens the next one).
void extend(std::vector<std::size_t>& blocks, std::size_t slots, std::vector<SlotGroups>& out) {
  if (blocks.size() == slots) {
    std::size_t count = *std::max_element(blocks.begin(), blocks.end()) + 1;
    SlotGroups groups(count);
    for (SlotId slot = 0; slot < slots; ++slot)
      groups[blocks[slot]].push_back(slot);
    out.push_back(std::move(groups));
    return;
  }
  std::size_t used = blocks.empty() ? 0 : *std::max_element(blocks.begin(), blocks.end()) + 1;
  for (std::size_t block = 0; block <= std::min(used, kMaxGroups - 1); ++block) {
    blocks.push_back(block);
    extend(blocks, slots, out);
    blocks.pop_back();
  }
}

chain::PbftParams twins_pbft_params() {
  chain::PbftParams params = sim_pbft_params();
  // Short views, so six of them fit in a few seconds, and no heartbeat blocks: a primary
  // proposes only for client transactions, which keeps a scenario to a handful of blocks.
  params.view_change_timeout_ms = 100;
  params.empty_block_interval_ms = 500;
  return params;
}

Scenario base_scenario(const TwinsScenario& twins) {
  Scenario scenario = quiet_scenario(twins.id, TwinsScenario::kValidators, kWorkloadMs);
  scenario.twins = {twins.twin};
  scenario.pbft = twins_pbft_params();
  scenario.stable_ms = kGstMs;
  scenario.transactions_per_s = kTransactionsPerS;
  scenario.end_ms = kGstMs + scenario.liveness_bound_ms;
  NetworkOptions network;
  network.latency_base_ms = 1;
  network.latency_jitter_mean_ms = 2.0;
  scenario.faulty_network = network;
  scenario.stable_network = network;
  return scenario;
}

// The view a message belongs to (its round), or nullopt for a CHECKPOINT.
std::optional<std::uint64_t> round_of(const pbft::Message& message) {
  return std::visit(
      [](const auto& m) -> std::optional<std::uint64_t> {
        using Body = std::decay_t<decltype(m.body)>;
        if constexpr (std::is_same_v<Body, pbft::ViewChange>) {
          return m.body.new_view;
        } else if constexpr (std::is_same_v<Body, pbft::Checkpoint>) {
          return std::nullopt;
        } else {
          return m.body.view;
        }
      },
      message);
}

std::uint64_t current_view(const Cluster& cluster, SlotId slot) {
  const auto* replica = dynamic_cast<const pbft::Replica*>(cluster.node(slot).engine.get());
  return replica != nullptr ? replica->view() : 0;
}

// The per-round partitions and the honest-signature checker, on the cluster's links. A
// broadcast is offered once per copy; it is decoded once.
class TwinsLinks {
 public:
  TwinsLinks(const TwinsScenario& twins, Cluster& cluster, HonestVoteChecker& checker,
             HonestVoteChecker& twin_checker)
      : twins_(twins), cluster_(cluster), checker_(checker), twin_checker_(twin_checker) {}

  bool operator()(SlotId from, SlotId to, ByteView message) {
    std::optional<std::uint64_t> round;
    if (!message.empty()) {
      if (!std::equal(message.begin(), message.end(), last_.begin(), last_.end())) {
        last_.assign(message.begin(), message.end());
        auto decoded = pbft::decode_message(message);
        decoded_.reset();
        if (decoded) {
          decoded_ = std::move(decoded).value();
          const SimNode& sender = cluster_.node(from);
          HonestVoteChecker& checker = sender.honest ? checker_ : twin_checker_;
          checker.on_sent(sender.validator, *decoded_, cluster_.now());
        }
      }
      if (decoded_)
        round = round_of(*decoded_);
    }
    if (cluster_.now() >= kGstMs)
      return true;
    return twins_.connected(round.value_or(current_view(cluster_, from)), from, to);
  }

 private:
  const TwinsScenario& twins_;
  Cluster& cluster_;
  HonestVoteChecker& checker_;
  HonestVoteChecker& twin_checker_;  // the same rule on the pair: did it equivocate?
  Bytes last_;
  std::optional<pbft::Message> decoded_;
};

}  // namespace

const std::vector<SlotGroups>& twins_partitions() {
  static const std::vector<SlotGroups> partitions = [] {
    std::vector<SlotGroups> out;
    std::vector<std::size_t> blocks;
    extend(blocks, TwinsScenario::kSlots, out);
    return out;
  }();
  return partitions;
}

std::uint64_t twins_space_size() {
  return kSpace;
}

TwinsScenario twins_scenario(std::uint64_t id) {
  const auto& partitions = twins_partitions();
  std::uint64_t point = (kStride * (id % kSpace) + kOffset) % kSpace;
  TwinsScenario out;
  out.id = id;
  out.twin = static_cast<ReplicaIndex>(point % TwinsScenario::kValidators);
  point /= TwinsScenario::kValidators;
  for (auto& round : out.rounds) {
    round = partitions[point % partitions.size()];
    point /= partitions.size();
  }
  return out;
}

bool TwinsScenario::connected(std::uint64_t view, SlotId from, SlotId to) const {
  if (view >= kRounds)
    return true;
  for (const auto& group : rounds[view]) {
    bool has_from = std::find(group.begin(), group.end(), from) != group.end();
    bool has_to = std::find(group.begin(), group.end(), to) != group.end();
    if (has_from || has_to)
      return has_from && has_to;
  }
  return false;
}

std::string TwinsScenario::describe() const {
  std::ostringstream out;
  out << "twins #" << id << ": validator " << twin << " twinned (slots " << twin << " and "
      << kValidators << ");";
  for (std::size_t view = 0; view < kRounds; ++view) {
    out << " v" << view << "(p" << view % kValidators << ")";
    for (std::size_t g = 0; g < rounds[view].size(); ++g) {
      out << (g == 0 ? "{" : "|");
      for (std::size_t i = 0; i < rounds[view][g].size(); ++i)
        out << (i ? "," : "") << rounds[view][g][i];
    }
    out << "}";
  }
  return out.str();
}

RunResult run_twins(std::uint64_t id, const TwinsOptions& options, TwinsStats* stats) {
  const TwinsScenario twins = twins_scenario(id);
  const Scenario scenario = base_scenario(twins);
  HonestVoteChecker checker;
  HonestVoteChecker twin_checker;
  std::optional<TwinsLinks> links;
  RunOptions run;
  run.factory = pbft_engine_factory(id, options.bug);
  run.describe_message = describe_pbft_message;
  run.trace = options.trace;
  run.prepare = [&](Cluster& cluster) {
    links.emplace(twins, cluster, checker, twin_checker);
    cluster.set_link_filter(
        [&links](SlotId from, SlotId to, ByteView message) { return (*links)(from, to, message); });
  };
  if (options.trace != nullptr)
    *options.trace << twins.describe() << "\n";
  RunResult result = run_scenario(scenario, run);
  for (const auto& violation : checker.violations())
    result.violations.push_back(violation);
  result.scenario = twins.describe();
  if (stats != nullptr)
    stats->twin_equivocated = !twin_checker.violations().empty();
  return result;
}

std::string twins_replay_command(std::uint64_t id, const TwinsOptions& options) {
  std::string out = "synod-sim --twins --scenario " + std::to_string(id);
  if (options.bug != pbft::PlantedBug::kNone)
    out += std::string(" --planted-bug ") + pbft::to_string(options.bug);
  return out + " --verbose";
}

}  // namespace synod::sim
