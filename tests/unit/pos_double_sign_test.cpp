// Nothing-at-stake in the engine: the Nakamoto core's visit to a side block's state (and
// its exact way back), and `--byzantine double-sign` signing on every branch near the tip
// while an honest validator signs on its best tip only.
#include <algorithm>
#include <set>

#include "pos_test_util.h"
#include "pow_pos/nakamoto_core.h"
#include "pow_pos/pos_chain_rules.h"

using namespace pos_test;
using synod::pow_pos::NakamotoCore;
using synod::pow_pos::TreeEntry;
using synod::pow_pos::Validity;

namespace {

// A full node's core on pos_genesis(), fed blocks directly.
struct CoreHarness {
  CoreHarness() : genesis(pos_genesis()), builder(*genesis) {
    EngineSetup setup(genesis, observer_key(), State::from_genesis(*genesis),
                      builder.genesis_block());
    setup.upstreams = 1;
    setup.mempool = &mempool;
    setup.state.adopt_rules(*genesis);
    auto made = pow_pos::recover_core(
        setup, std::make_unique<pow_pos::PosChainRules>(genesis->pos, SigningDomain::of(*genesis)));
    REQUIRE(made.ok());
    core = std::move(*made);
  }
  void receive(std::vector<Block> blocks) {
    Actions out;
    core->receive(std::move(blocks), 0, /*relay=*/false, kNow, out);
  }
  const TreeEntry& entry(const Block& block) const {
    const TreeEntry* found = core->tree.find(block.hash());
    REQUIRE(found != nullptr);
    return *found;
  }

  std::shared_ptr<const Genesis> genesis;
  Builder builder;
  Mempool mempool;
  std::unique_ptr<NakamotoCore> core;
};

Transaction pay_observer(const Genesis& genesis, std::size_t sender, std::uint64_t amount) {
  return make_transfer(validator_key(sender), SigningDomain::of(genesis),
                       address_of(observer_key().public_key()), amount, 1, 0);
}

// The parents of the blocks an engine signed (broadcast) in `actions`.
std::set<crypto::Hash256> parents_signed_on(const Actions& actions) {
  std::set<crypto::Hash256> parents;
  for (const Block& block : broadcast_blocks(actions))
    parents.insert(block.header.prev_hash);
  return parents;
}

}  // namespace

TEST_CASE("nakamoto core: with_state_at visits a side block's state and restores the tip's exactly",
          "[pos][engine]") {
  CoreHarness h;
  const crypto::Hash256 zero = h.builder.genesis_hash();
  // Best chain a1-a2-a3; side branch b1-b2, each branch moving different coins.
  Block a1 = h.builder.make(zero, 0, 1500, {pay_observer(*h.genesis, 1, 7)});
  Block a2 = h.builder.make(a1.hash(), 1, 1501);
  Block a3 = h.builder.make(a2.hash(), 2, 1502);
  Block b1 = h.builder.make(zero, 2, 1500, {pay_observer(*h.genesis, 0, 30)});
  Block b2 = h.builder.make(b1.hash(), 0, 1501);
  h.receive({a1, a2, a3});
  h.receive({b1, b2});
  REQUIRE(h.core->active == a3.hash());
  REQUIRE(h.entry(b2).validity == Validity::kHeader);  // never executed: no diff yet
  const crypto::Hash256 root_before = h.core->state.root();
  REQUIRE(root_before == h.builder.state_after(a3.hash()).root());

  std::optional<crypto::Hash256> seen;
  REQUIRE(
      h.core->with_state_at(h.entry(b2), kNow, [&](chain::State& state) { seen = state.root(); }));
  CHECK(seen == h.builder.state_after(b2.hash()).root());
  // Back at the best tip, exactly; the side blocks executed on the way keep their diffs.
  CHECK(h.core->state.root() == root_before);
  CHECK(h.core->active == a3.hash());
  CHECK(h.entry(b1).validity == Validity::kValid);
  CHECK(h.entry(b2).validity == Validity::kValid);
  // The tip's parent (nothing to apply) and the tip itself (nothing to move).
  REQUIRE(
      h.core->with_state_at(h.entry(a2), kNow, [&](chain::State& state) { seen = state.root(); }));
  CHECK(seen == h.builder.state_after(a2.hash()).root());
  REQUIRE(
      h.core->with_state_at(h.entry(a3), kNow, [&](chain::State& state) { seen = state.root(); }));
  CHECK(seen == root_before);
  CHECK(h.core->state.root() == root_before);

  SECTION("a side block whose body fails is marked invalid and the state is untouched") {
    Block bad = h.builder.make(b2.hash(), 1, 1502);
    bad.header.state_root = a3.header.state_root;  // claims state changes it does not make
    sign_pos_header(bad.header, SigningDomain::of(*h.genesis), validator_key(1));
    h.receive({bad});
    REQUIRE(h.entry(bad).validity == Validity::kHeader);
    bool called = false;
    CHECK_FALSE(h.core->with_state_at(h.entry(bad), kNow, [&](chain::State&) { called = true; }));
    CHECK_FALSE(called);
    CHECK(h.entry(bad).validity == Validity::kInvalid);
    CHECK(h.core->state.root() == root_before);
    CHECK(h.core->active == a3.hash());
    CHECK(h.core->recent.back().hash == bad.hash());
  }
}

TEST_CASE("pos engine: a double-signer extends both of two equal tips, an honest one its best",
          "[pos][engine][slashing]") {
  Harness honest(ReplicaIndex{0});
  Harness byzantine(ReplicaIndex{0}, {PosEngine::kDoubleSign});
  const crypto::Hash256 zero = honest.builder.genesis_hash();
  Block a = honest.builder.make(zero, 1, 1500);
  Block b = honest.builder.make(zero, 2, 1500);
  const crypto::Hash256 best = std::min(a.hash(), b.hash());
  const crypto::Hash256 other = std::max(a.hash(), b.hash());
  // Both tips arrive at once (one fetched batch), then the second's tickets are drawn.
  const Actions honest_signed = honest.engine->on_blocks_fetched(0, {a, b}, kNow);
  const Actions byzantine_signed = byzantine.engine->on_blocks_fetched(0, {a, b}, kNow);

  // The attack: children of both tips, each signed in its own parent's state.
  const std::set<crypto::Hash256> attacked = parents_signed_on(byzantine_signed);
  CHECK(attacked.count(best) == 1);
  CHECK(attacked.count(other) == 1);
  CHECK(byzantine.engine->pos_counters().byzantine_blocks >= 2);
  for (const Block& block : broadcast_blocks(byzantine_signed)) {
    if (block.header.prev_hash != zero)
      honest.builder.add(block);  // REQUIREs that it executes on its parent's state
  }
  // The honest validator: one block, on the best tip only.
  const std::vector<Block> own = broadcast_blocks(honest_signed);
  REQUIRE(own.size() == 1);
  CHECK(own[0].header.prev_hash == best);
  CHECK(honest.engine->pos_counters().byzantine_blocks == 0);
}

TEST_CASE("pos engine: a double-signer extends side leaves near the tip, not far behind it",
          "[pos][engine][slashing]") {
  Harness byzantine(ReplicaIndex{0}, {PosEngine::kDoubleSign});
  Builder& builder = byzantine.builder;
  const crypto::Hash256 zero = builder.genesis_hash();
  // Best chain c1..c4; a leaf d3 one block behind the tip and a leaf b1 three behind.
  Block c1 = builder.make(zero, 1, 1500);
  Block c2 = builder.make(c1.hash(), 2, 1501);
  Block c3 = builder.make(c2.hash(), 1, 1502);
  Block c4 = builder.make(c3.hash(), 2, 1503);
  Block d3 = builder.make(c2.hash(), 2, 1502);
  Block b1 = builder.make(zero, 2, 1500);
  const Actions signed_blocks =
      byzantine.engine->on_blocks_fetched(0, {c1, c2, c3, c4, d3, b1}, kNow);
  REQUIRE(byzantine.engine->head().height == 5);  // its own block on c4, the best delivered
  const std::set<crypto::Hash256> parents = parents_signed_on(signed_blocks);
  CHECK(parents.count(c4.hash()) == 1);  // the tip
  CHECK(parents.count(c3.hash()) == 1);  // the tip's parent: a sibling of the tip
  CHECK(parents.count(d3.hash()) == 1);  // a side leaf within kSideLeafMaxLag
  CHECK(parents.count(b1.hash()) == 0);  // a side leaf 3 blocks behind
  // One ticket per second per parent: the same second again signs nothing new.
  CHECK(broadcast_blocks(byzantine.engine->on_timer(PosEngine::kSlotTimer, kNow + 10)).empty());
}
