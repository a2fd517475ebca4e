// PoS restart from the SQLite store: a validator's engine builds a chain with a stake, an
// unstake still unbonding and a slash, its actions written to a real BlockStore as the
// node's storage worker writes them. An engine built again from the reopened store has the
// same head, accounts, unbonding entries, slashed marks and lottery; its slasher still
// knows the stored headers; and it goes on producing blocks an independent observer accepts.
#include "chain/block_store.h"
#include "pos_test_util.h"
#include "tests/support/temp_dir.h"

using namespace pos_test;

namespace {

Address address_of_validator(std::size_t i) {
  return address_of(validator_key(i).public_key());
}

// Writes what the engine asks for, as node/storage_worker.cpp does.
void persist(BlockStore& store, const Actions& actions) {
  for (const auto& action : actions) {
    if (const auto* append = std::get_if<AppendBlockAction>(&action)) {
      REQUIRE(store.append(append->block, append->diff, append->tx_hashes).ok());
    } else if (const auto* reorg = std::get_if<ReorgAction>(&action)) {
      REQUIRE(store.reorg(*reorg).ok());
    } else if (const auto* side = std::get_if<StoreSideBlockAction>(&action)) {
      REQUIRE(store.store_side_block(side->block).ok());
    } else if (const auto* value = std::get_if<PersistAction>(&action)) {
      REQUIRE(store.put_meta(value->key, value->value).ok());
    }
  }
}

// Validator 0 with its store on disk. Every block it sees or makes also goes to `observer`
// (a full node in memory), whose acceptance is the check that the blocks are valid.
struct StoredValidator {
  Harness& observer;
  synod::testing::TempDir dir{"synod-pos-restart"};
  std::unique_ptr<BlockStore> store;
  std::unique_ptr<Mempool> mempool;
  std::unique_ptr<PosEngine> engine;
  std::vector<std::string> byzantine;

  explicit StoredValidator(Harness& watching) : observer(watching) {}

  // Opens the store (initialising it the first time) and builds the engine from it, as
  // node/node.cpp does; the mempool starts empty, as a node's does after a restart.
  void open(TimeMs now) {
    auto opened = BlockStore::open(dir.file("chain.db"));
    REQUIRE(opened.ok());
    store = std::move(*opened);
    if (!store->head_height())
      REQUIRE(store->initialize(*observer.genesis).ok());
    auto head = store->head();
    REQUIRE(head.ok());
    auto state = store->load_state(SigningDomain::of(*observer.genesis));
    REQUIRE(state.ok());
    mempool = std::make_unique<Mempool>();
    EngineSetup setup(observer.genesis, validator_key(0), std::move(*state), *head);
    setup.participant = ReplicaIndex{0};
    setup.mempool = mempool.get();
    setup.stored = store.get();
    setup.byzantine = byzantine;
    auto created = PosEngine::create(std::move(setup));
    REQUIRE(created.ok());
    engine = std::move(*created);
    handle(engine->start(now), now);
  }
  void close() {
    engine.reset();
    mempool.reset();
    store.reset();
  }

  void handle(const Actions& actions, TimeMs now) {
    persist(*store, actions);
    for (const Block& block : broadcast_blocks(actions)) {
      observer.builder.add(block);
      observer.engine->on_message(0, pow_pos::encode_block_message(block), now);
    }
  }
  void slot(TimeMs now) { handle(engine->on_timer(PosEngine::kSlotTimer, now), now); }
  // A block from a peer, which the observer gets too.
  void receive(const Block& block, TimeMs now) {
    handle(engine->on_message(1, pow_pos::encode_block_message(block), now), now);
    observer.engine->on_message(1, pow_pos::encode_block_message(block), now);
  }
  void submit(const Transaction& tx) {
    REQUIRE_FALSE(mempool->add(tx, tx.hash(), engine->state()).has_value());
  }
  Block head_block() const {
    auto found = store->block_by_hash(engine->head().hash);
    REQUIRE(found.ok());
    REQUIRE(found->has_value());
    return **found;
  }
};

}  // namespace

TEST_CASE("pos restart from the store keeps head, stakes, unbonding, slashes and the lottery",
          "[pos][engine][recovery]") {
  Harness observer(std::nullopt, {}, 100, /*unbonding_delay=*/12);
  const SigningDomain domain = SigningDomain::of(*observer.genesis);
  const crypto::Hash256 zero = observer.builder.genesis_hash();
  StoredValidator node(observer);
  const std::uint64_t first_slot = kNow / 1000;
  node.open(kNow);  // block 1
  node.submit(make_stake(validator_key(2), domain, TxKind::kStake, 300, 0, 0));
  node.slot(kNow + 1000);  // block 2: validator 2 stakes 300 more
  node.submit(make_stake(validator_key(2), domain, TxKind::kUnstake, 150, 0, 1));
  node.slot(kNow + 2000);  // block 3: it unstakes 150, unbonding until block 15
  // Validator 1 signs two blocks at height 1; the slasher turns them into evidence.
  node.receive(observer.builder.make(zero, 1, first_slot - 500), kNow + 2500);
  node.receive(observer.builder.make(zero, 1, first_slot - 499), kNow + 2500);
  REQUIRE(node.engine->pos_counters().evidence_submitted == 1);
  node.slot(kNow + 3000);  // block 4 carries it
  // Validator 2 signs block 5; validator 0 builds block 6 on it.
  const crypto::Hash256 block4 = node.engine->head().hash;
  REQUIRE(node.engine->head().height == 4);
  const Block by_v2 = observer.builder.make(block4, 2, first_slot + 4);
  node.receive(by_v2, kNow + 3500);
  node.slot(kNow + 5000);
  REQUIRE(node.engine->head().height == 6);

  // What happened before the restart: the stake, the unbonding and the slash.
  const State& before = node.engine->state();
  const Account v1 = before.account(address_of_validator(1));
  const Account v2 = before.account(address_of_validator(2));
  REQUIRE(v1.slashed());
  CHECK(v1.offence_height == 1);
  CHECK(v1.stake == 50);
  CHECK(v2.stake == 250);
  CHECK(v2.unbonding == 150);
  CHECK(v2.unbonding_height == 15);
  const ChainHead head = node.engine->head();
  const std::map<Address, Account> accounts = before.accounts();
  const crypto::Hash256 root = before.root();
  const std::size_t tree_size = node.engine->tree_size();
  const Uint256 difficulty = node.engine->next_difficulty();

  node.close();
  node.open(kNow + 5500);
  const State& after = node.engine->state();
  CHECK(node.engine->head() == head);
  CHECK(after.root() == root);
  CHECK(after.accounts() == accounts);
  REQUIRE(after.pos_params() != nullptr);
  CHECK(after.lottery_stake(address_of_validator(0)) == 100);
  CHECK(after.lottery_stake(address_of_validator(1)) == 0);
  CHECK(after.lottery_stake(address_of_validator(2)) == 250);
  CHECK(node.engine->tree_size() == tree_size);
  CHECK(node.engine->next_difficulty() == difficulty);

  SECTION("the slashed validator stays out of the lottery") {
    node.receive(observer.builder.make(head.hash, 1, first_slot + 6), kNow + 5600);
    CHECK(node.engine->counters().rejected[static_cast<std::size_t>(Rejection::kNotEligible)] == 1);
    CHECK(node.engine->head() == head);
  }

  SECTION("the slasher still knows block 5's header, below the tip") {
    // Validator 2 signs a second block at height 5, after the restart.
    // Validator 1's offence, found again in the store, is not reported twice.
    REQUIRE(node.engine->pos_counters().double_signs_seen == 1);
    CHECK(node.engine->pos_counters().evidence_submitted == 0);
    node.receive(observer.builder.make(block4, 2, first_slot + 5), kNow + 5600);
    CHECK(node.engine->pos_counters().double_signs_seen == 2);
    REQUIRE(node.engine->pos_counters().evidence_submitted == 1);
    node.slot(kNow + 6000);  // block 7 carries the evidence
    const Account slashed = node.engine->state().account(address_of_validator(2));
    CHECK(slashed.slashed());
    CHECK(slashed.offence_height == 5);
    CHECK(slashed.unbonding == 75);
  }

  // Either way, validator 0 goes on; block 15 releases what validator 2 unbonds.
  for (TimeMs t = kNow + 7000; node.engine->head().height < 15; t += 1000)
    node.slot(t);
  const Account released = node.engine->state().account(address_of_validator(2));
  CHECK(released.unbonding == 0);
  CHECK(released.unbonding_height == 0);
  CHECK(released.balance == v2.balance + v2.unbonding / (released.slashed() ? 2 : 1));
  // The observer took every block: they were valid, and it agrees on the state.
  CHECK(observer.engine->head() == node.engine->head());
  CHECK(observer.engine->state().root() == node.engine->state().root());
  CHECK(node.head_block().header.height == 15);
}

TEST_CASE("pos restart: an offence stored but not yet punished is reported again",
          "[pos][engine][recovery][slashing]") {
  Harness observer(std::nullopt);
  const crypto::Hash256 zero = observer.builder.genesis_hash();
  StoredValidator node(observer);
  const std::uint64_t first_slot = kNow / 1000;
  node.open(kNow);         // block 1
  node.slot(kNow + 1000);  // block 2
  // Validator 1 signs two blocks at height 1, side branches that do not move the tip.
  node.receive(observer.builder.make(zero, 1, first_slot - 500), kNow + 1500);
  node.receive(observer.builder.make(zero, 1, first_slot - 499), kNow + 1500);
  // The attack happened and was reported, but the evidence was only in the mempool.
  REQUIRE(node.engine->pos_counters().evidence_submitted == 1);
  REQUIRE(node.engine->head().height == 2);
  node.close();
  node.open(kNow + 1600);
  CHECK(node.engine->pos_counters().double_signs_seen == 1);
  REQUIRE(node.engine->pos_counters().evidence_submitted == 1);
  node.slot(kNow + 2000);  // block 3 carries it
  CHECK(node.engine->head().height == 3);
  CHECK(node.engine->state().account(address_of_validator(1)).slashed());
  // Restarted again, the node finds the offender slashed: nothing more to report.
  node.close();
  node.open(kNow + 2500);
  CHECK(node.engine->pos_counters().double_signs_seen == 1);
  CHECK(node.engine->pos_counters().evidence_submitted == 0);
  CHECK(node.mempool->empty());
}

TEST_CASE("pos restart: a double-signer restarted within the second it signed in goes on",
          "[pos][engine][recovery][byzantine]") {
  Harness observer(std::nullopt);
  StoredValidator node(observer);
  node.byzantine = {PosEngine::kDoubleSign};
  node.open(kNow);
  TimeMs now = kNow;
  while (node.engine->head().height < 3) {
    now += 1000;
    node.slot(now);
  }
  // The attack happened: the node signed off the best tip.
  REQUIRE(node.engine->pos_counters().byzantine_blocks > 0);
  const ChainHead head = node.engine->head();
  const std::size_t tree_size = node.engine->tree_size();
  // Back within the same second, its tickets win again and sign the blocks of that second
  // once more, byte for byte: the engine must take them as the blocks it has.
  node.close();
  node.open(now + 500);
  CHECK(node.engine->head() == head);
  CHECK(node.engine->tree_size() == tree_size);
  while (node.engine->head().height < head.height + 3) {
    now += 1000;
    node.slot(now);
  }
  CHECK(observer.engine->head() == node.engine->head());
}
