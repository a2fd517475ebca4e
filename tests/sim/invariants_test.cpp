// The invariant checkers catch what they claim to: each test builds the violation directly.
#include <catch2/catch.hpp>

#include "tests/sim/invariants.h"
#include "tests/sim/toy_engine.h"

using namespace synod;
using namespace synod::sim;

namespace {

struct Fixture {
  SimGenesis sim = make_sim_genesis(4, 4, sim_pbft_params());
  chain::Block block0 = chain::make_genesis_block(*sim.genesis);
  chain::State state0 = chain::State::from_genesis(*sim.genesis);
  std::set<crypto::Hash256> submitted;

  chain::Transaction transfer(std::size_t from, std::uint64_t amount, std::uint64_t nonce) {
    auto tx = chain::make_transfer(sim.account_keys[from], chain::SigningDomain::of(*sim.genesis),
                                   chain::address_of(sim.account_keys[(from + 1) % 4].public_key()),
                                   amount, 1, nonce);
    submitted.insert(tx.hash());
    return tx;
  }

  // A block on `prev`/`state` with a certificate signed by `signers` validators.
  std::pair<chain::Block, chain::StateDiff> block(const chain::Block& prev,
                                                  const chain::State& state,
                                                  std::vector<chain::Transaction> txs,
                                                  std::size_t signers = 3) {
    const auto& proposer = sim.validator_keys[0];
    auto execution = state.execute(txs, chain::address_of(proposer.public_key()));
    REQUIRE(execution.ok());
    chain::Block out;
    out.header.height = prev.header.height + 1;
    out.header.prev_hash = prev.hash();
    out.header.tx_root = chain::transactions_root(txs);
    chain::State scratch = state;
    out.header.state_root = scratch.root_after(execution.diff);
    out.header.timestamp_ms = prev.header.timestamp_ms + 1;
    out.header.proposer = proposer.public_key();
    out.header.seal = chain::PbftSeal{0, out.header.height};
    out.transactions = std::move(txs);
    chain::CommitCertificate certificate{0, out.header.height, out.hash(), {}};
    auto message = chain::commit_signing_bytes(chain::SigningDomain::of(*sim.genesis), 0,
                                               out.header.height, out.hash());
    for (std::uint32_t i = 0; i < signers; ++i)
      certificate.signatures.push_back({i, sim.validator_keys[i].sign(message)});
    out.certificate = std::move(certificate);
    return {out, execution.diff};
  }

  InvariantChecker checker() {
    InvariantChecker out(sim.genesis);
    out.set_submitted_lookup(
        [this](const crypto::Hash256& hash) { return submitted.count(hash) != 0; });
    return out;
  }
};

SimNode node(SlotId slot, bool honest = true) {
  return SimNode{slot,
                 static_cast<ReplicaIndex>(slot),
                 honest,
                 honest ? "honest" : "silent",
                 NodeStore{{}, chain::State(chain::SigningDomain{"synod-sim", {}}), {}},
                 nullptr,
                 nullptr,
                 {},
                 0,
                 0};
}

bool mentions(const InvariantChecker& checker, const std::string& text) {
  for (const auto& violation : checker.violations()) {
    if (violation.what.find(text) != std::string::npos)
      return true;
  }
  return false;
}

}  // namespace

TEST_CASE("valid blocks on every honest node pass every check", "[sim][invariants]") {
  Fixture f;
  auto checker = f.checker();
  auto [b1, d1] = f.block(f.block0, f.state0, {f.transfer(0, 10, 0), f.transfer(1, 20, 0)});
  for (SlotId slot = 0; slot < 4; ++slot)
    checker.on_commit(node(slot), b1, d1, f.state0, 100);
  CHECK(checker.ok());
  CHECK(checker.honest_height() == 1);
  CHECK(checker.certificates_checked() == 1);
}

TEST_CASE(
    "two honest nodes committing different blocks at one height is an agreement "
    "violation",
    "[sim][invariants]") {
  Fixture f;
  auto checker = f.checker();
  auto [a, da] = f.block(f.block0, f.state0, {f.transfer(0, 10, 0)});
  auto [b, db] = f.block(f.block0, f.state0, {f.transfer(0, 11, 0)});
  checker.on_commit(node(0), a, da, f.state0, 100);
  checker.on_commit(node(1), b, db, f.state0, 101);
  REQUIRE(checker.violations().size() == 1);
  CHECK(mentions(checker, "agreement: node 1"));
  CHECK(checker.violations()[0].at_ms == 101);
}

TEST_CASE("a dishonest node's different block is not an agreement violation", "[sim][invariants]") {
  Fixture f;
  auto checker = f.checker();
  auto [a, da] = f.block(f.block0, f.state0, {f.transfer(0, 10, 0)});
  auto [b, db] = f.block(f.block0, f.state0, {f.transfer(0, 11, 0)});
  checker.on_commit(node(0), a, da, f.state0, 100);
  checker.on_commit(node(1, false), b, db, f.state0, 101);
  CHECK(checker.ok());
}

TEST_CASE("a block without a quorum certificate is a certificate violation", "[sim][invariants]") {
  Fixture f;
  auto checker = f.checker();
  auto [weak, dw] = f.block(f.block0, f.state0, {f.transfer(0, 10, 0)}, 2);
  checker.on_commit(node(0), weak, dw, f.state0, 100);
  CHECK(mentions(checker, "certificate: node 0"));
  auto [bare, db] = f.block(f.block0, f.state0, {f.transfer(1, 10, 0)});
  bare.certificate.reset();
  checker.on_commit(node(1), bare, db, f.state0, 100);
  CHECK(mentions(checker, "has no commit certificate"));
}

TEST_CASE("a transaction no client submitted is a validity violation", "[sim][invariants]") {
  Fixture f;
  auto checker = f.checker();
  auto tx = f.transfer(0, 10, 0);
  f.submitted.clear();
  auto [b1, d1] = f.block(f.block0, f.state0, {tx});
  checker.on_commit(node(0), b1, d1, f.state0, 100);
  CHECK(mentions(checker, "no client submitted"));
}

TEST_CASE("a transaction committed twice on one chain is a validity violation",
          "[sim][invariants]") {
  Fixture f;
  auto checker = f.checker();
  auto tx = f.transfer(0, 10, 0);
  auto [b1, d1] = f.block(f.block0, f.state0, {tx});
  checker.on_commit(node(0), b1, d1, f.state0, 100);
  chain::State state1 = f.state0;
  state1.apply(d1);
  // Replaying the same transaction cannot pass the nonce rule, so the block is forged with
  // the state before (as a buggy engine would) — both checks must fire.
  auto [b2, d2] = f.block(b1, f.state0, {tx});
  checker.on_commit(node(0), b2, d2, state1, 200);
  CHECK(mentions(checker, "a second time"));
  CHECK(mentions(checker, "does not apply"));
}

TEST_CASE("state changes that differ from the block's transactions are a validity violation",
          "[sim][invariants]") {
  Fixture f;
  auto checker = f.checker();
  auto [b1, d1] = f.block(f.block0, f.state0, {f.transfer(0, 10, 0)});
  chain::StateDiff forged = d1;
  forged.changes.front().after.balance += 1'000;
  checker.on_commit(node(0), b1, forged, f.state0, 100);
  CHECK(mentions(checker, "state changes other than"));
}

TEST_CASE("liveness reports late transactions and honest nodes left behind", "[sim][invariants]") {
  Fixture f;
  ClusterOptions options;
  options.adversaries[3] = "silent";  // not honest: never reported as behind
  Cluster cluster(
      options, [](const NodeContext& context) -> Result<std::unique_ptr<chain::Engine>> {
        return std::unique_ptr<chain::Engine>(
            new ToyEngine(context.genesis.genesis, context.key, context.node.validator,
                          context.mempool, context.node.store.head(), context.node.store.state));
      });
  cluster.start();
  std::map<crypto::Hash256, SubmittedTx> submitted;
  auto tx1 = f.transfer(0, 1, 0);
  auto tx2 = f.transfer(0, 1, 1);
  auto tx3 = f.transfer(0, 1, 2);
  submitted[tx1.hash()] = SubmittedTx{tx1, 100, 100, 1, TimeMs{900}};    // in time
  submitted[tx2.hash()] = SubmittedTx{tx2, 100, 100, 1, TimeMs{5'000}};  // late
  submitted[tx3.hash()] = SubmittedTx{tx3, 100, 100, 1, std::nullopt};   // never
  auto checker = f.checker();
  checker.check_liveness(cluster, submitted, {1'000, 2'000, 0}, 10'000);
  REQUIRE(checker.violations().size() == 1);
  CHECK(mentions(checker, "liveness: 2 transactions missed"));

  auto behind = f.checker();
  behind.check_liveness(cluster, {}, {1'000, 2'000, 5}, 10'000);
  CHECK(behind.violations().size() == 3);
  CHECK(mentions(behind, "liveness: node 2 is at height 0, honest nodes reached 5"));

  auto quiet = f.checker();
  quiet.check_liveness(cluster, {{tx3.hash(), submitted[tx3.hash()]}}, {1'000, 2'000, 0}, 2'500);
  CHECK(quiet.ok());  // the run ended before tx3's deadline
}
