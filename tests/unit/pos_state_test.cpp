// Proof-of-stake in chain/: the genesis "pos" object, the stake / unstake / evidence kinds,
// the seal signature, unbonding and slashing with every rejection reason.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <string>

#include "chain/genesis.h"
#include "chain/mempool.h"
#include "chain/pos_seal.h"
#include "chain/signing_domain.h"
#include "chain/state.h"
#include "crypto/hex.h"
#include "tests/support/test_keys.h"

using namespace synod;
using namespace synod::chain;
using nlohmann::json;

namespace {

const std::string kChain = "synod-pos-test";

using synod::testing::key_from;
const crypto::KeyPair& validator_key(int i) {
  static const crypto::KeyPair keys[] = {key_from(0x10), key_from(0x11), key_from(0x12)};
  return keys[i];
}
const crypto::KeyPair& reporter_key() {
  static const crypto::KeyPair key = key_from(0x20);
  return key;
}
Address address(const crypto::KeyPair& key) {
  return address_of(key.public_key());
}

json pos_genesis_json() {
  json validators = json::array();
  json accounts = json::array();
  for (int i = 0; i < 3; ++i) {
    validators.push_back({{"name", "v" + std::to_string(i)},
                          {"public_key", crypto::to_hex(validator_key(i).public_key().view())},
                          {"peer_address", "127.0.0.1:1"}});
    accounts.push_back(
        {{"address", to_string(address(validator_key(i)))}, {"balance", 1000}, {"stake", 100}});
  }
  accounts.push_back({{"address", to_string(address(reporter_key()))}, {"balance", 50}});
  return {{"chain_id", kChain},
          {"consensus", "pos"},
          {"pos",
           {{"unbonding_delay", 10},
            {"evidence_window", 5},
            {"slash_percent", 50},
            {"reporter_percent", 20},
            {"block_interval_ms", 2000}}},
          {"validators", validators},
          {"accounts", accounts}};
}

Genesis pos_genesis() {
  auto genesis = parse_genesis(pos_genesis_json().dump());
  REQUIRE(genesis.ok());
  return *genesis;
}

std::string parse_error(const json& document) {
  auto genesis = parse_genesis(document.dump());
  REQUIRE_FALSE(genesis.ok());
  return genesis.message();
}

const SigningDomain& our_domain() {
  static const SigningDomain domain = SigningDomain::of(pos_genesis());
  return domain;
}

BlockHeader signed_header(int validator, std::uint64_t height, std::uint64_t slot,
                          const SigningDomain& domain = our_domain()) {
  BlockHeader header;
  header.height = height;
  header.prev_hash = crypto::sha256(as_bytes("parent " + std::to_string(height)));
  header.timestamp_ms = slot * 1000;
  header.proposer = validator_key(validator).public_key();
  header.seal = PosSeal{slot, crypto::Hash256{}, {}};
  sign_pos_header(header, domain, validator_key(validator));
  return header;
}

Bytes double_sign(int validator, std::uint64_t height, const SigningDomain& domain = our_domain()) {
  return encode_evidence({signed_header(validator, height, 100, domain),
                          signed_header(validator, height, 101, domain)});
}

Execution run(const State& state, const Transaction& tx, std::uint64_t height) {
  return state.execute({tx}, address(validator_key(2)), SignaturePolicy::kVerify, 0, height);
}

TxError rejection_of(const State& state, const Transaction& tx, std::uint64_t height) {
  Execution execution = run(state, tx, height);
  REQUIRE_FALSE(execution.ok());
  return execution.rejection->reason;
}

}  // namespace

TEST_CASE("pos genesis: parameters parse, the difficulty defaults to stake times interval",
          "[pos][genesis]") {
  Genesis genesis = pos_genesis();
  CHECK(genesis.mode == ConsensusMode::kPos);
  CHECK(genesis.pos.unbonding_delay == 10);
  CHECK(genesis.pos.evidence_window == 5);
  CHECK(genesis.pos.initial_difficulty == 300 * 2);  // 300 staked, 2-second interval
  json explicit_difficulty = pos_genesis_json();
  explicit_difficulty["pos"]["initial_difficulty"] = 12345;
  CHECK(parse_genesis(explicit_difficulty.dump())->pos.initial_difficulty == 12345);
}

TEST_CASE("pos genesis: the unbonding delay must exceed the evidence window", "[pos][genesis]") {
  json document = pos_genesis_json();
  document["pos"]["unbonding_delay"] = 5;
  CHECK_THAT(parse_error(document), Catch::Contains("unbonding_delay: must exceed"));
  document["pos"]["unbonding_delay"] = 6;
  CHECK(parse_genesis(document.dump()).ok());
}

TEST_CASE("pos genesis: bad parameters and a genesis without validator stake are rejected",
          "[pos][genesis]") {
  json document = pos_genesis_json();
  document["pos"]["slash_percent"] = 101;
  CHECK_THAT(parse_error(document), Catch::Contains("pos.slash_percent: must be 0 to 100"));
  document = pos_genesis_json();
  document["pos"]["colour"] = 1;
  CHECK_THAT(parse_error(document), Catch::Contains("pos.colour: unknown field"));
  document = pos_genesis_json();
  for (auto& account : document["accounts"])
    account["stake"] = 0;
  CHECK_THAT(parse_error(document), Catch::Contains("stake on at least one validator"));
  document = pos_genesis_json();
  document["consensus"] = "pow";
  CHECK_THAT(parse_error(document), Catch::Contains("genesis pos: only allowed with"));
}

TEST_CASE("pos genesis: the pos parameters are hashed and round-trip through JSON",
          "[pos][genesis]") {
  Genesis genesis = pos_genesis();
  Genesis changed = genesis;
  changed.pos.slash_percent = 49;
  CHECK(changed.hash() != genesis.hash());
  auto again = parse_genesis(genesis_to_json(genesis));
  REQUIRE(again.ok());
  CHECK(again->hash() == genesis.hash());
}

TEST_CASE("pos transactions: each kind encodes, decodes and signs", "[pos][transaction]") {
  for (TxKind kind : {TxKind::kStake, TxKind::kUnstake}) {
    Transaction tx = make_stake(validator_key(0), our_domain(), kind, 5, 1, 0);
    auto decoded = decode_transaction(tx.encode());
    REQUIRE(decoded.ok());
    CHECK(*decoded == tx);
    CHECK(decoded->signature_valid(our_domain()));
    CHECK(tx.encode().size() == tx.encoded_size());
  }
  Transaction evidence = make_evidence(reporter_key(), our_domain(), double_sign(0, 3), 1, 0);
  auto decoded = decode_transaction(evidence.encode());
  REQUIRE(decoded.ok());
  CHECK(*decoded == evidence);
  CHECK(evidence.encode().size() == evidence.encoded_size());
  Transaction tampered = evidence;
  tampered.evidence.back() ^= 1;
  CHECK(evidence.signature_valid(our_domain()));
  CHECK_FALSE(tampered.signature_valid(our_domain()));
  Bytes unknown = evidence.encode();
  unknown[0] = 5;
  CHECK_THAT(decode_transaction(unknown).message(), Catch::Contains("unknown transaction kind 5"));
}

TEST_CASE("pos seal: the signature covers the header, the chain id and the genesis hash",
          "[pos][seal]") {
  BlockHeader header = signed_header(0, 7, 70);
  CHECK(pos_seal_valid(header, our_domain()));
  CHECK_FALSE(pos_seal_valid(header, SigningDomain{"another-chain", our_domain().genesis_hash}));
  CHECK_FALSE(pos_seal_valid(header, SigningDomain{kChain, crypto::sha256(as_bytes("other"))}));
  BlockHeader moved = header;
  moved.height = 8;
  CHECK_FALSE(pos_seal_valid(moved, our_domain()));
  BlockHeader impostor = header;
  impostor.proposer = validator_key(1).public_key();
  CHECK_FALSE(pos_seal_valid(impostor, our_domain()));
}

TEST_CASE("pos state: stake moves balance to stake, unstake unbonds until the delay",
          "[pos][state]") {
  State state = State::from_genesis(pos_genesis());
  const Address v0 = address(validator_key(0));
  const std::uint64_t supply = state.supply();
  Execution staked =
      run(state, make_stake(validator_key(0), our_domain(), TxKind::kStake, 40, 0, 0), 3);
  REQUIRE(staked.ok());
  state.apply(staked.diff);
  CHECK(state.account(v0).balance == 960);
  CHECK(state.account(v0).stake == 140);
  Execution unstaked =
      run(state, make_stake(validator_key(0), our_domain(), TxKind::kUnstake, 100, 0, 1), 4);
  REQUIRE(unstaked.ok());
  state.apply(unstaked.diff);
  CHECK(state.account(v0).stake == 40);
  CHECK(state.account(v0).unbonding == 100);
  CHECK(state.account(v0).unbonding_height == 14);  // height 4 + delay 10
  CHECK(state.supply() == supply);
  // Height 13 releases nothing; height 14 makes the coins balance again.
  Execution early = state.execute({}, v0, SignaturePolicy::kVerify, 0, 13);
  CHECK(early.diff.changes.empty());
  Execution matured = state.execute({}, v0, SignaturePolicy::kVerify, 0, 14);
  state.apply(matured.diff);
  CHECK(state.account(v0).balance == 1060);
  CHECK(state.account(v0).unbonding == 0);
  CHECK_FALSE(state.account(v0).has_pos_fields());
  CHECK(state.supply() == supply);
}

TEST_CASE("pos state: stake kinds are checked, with a reason each", "[pos][state]") {
  State state = State::from_genesis(pos_genesis());
  CHECK(rejection_of(state, make_stake(validator_key(0), our_domain(), TxKind::kUnstake, 101, 0, 0),
                     3) == TxError::kInsufficientStake);
  CHECK(rejection_of(state, make_stake(validator_key(0), our_domain(), TxKind::kStake, 1001, 0, 0),
                     3) == TxError::kInsufficientBalance);
  CHECK(rejection_of(state, make_stake(validator_key(0), our_domain(), TxKind::kStake, 0, 0, 0),
                     3) == TxError::kZeroAmount);
  Transaction elsewhere = make_stake(validator_key(0), our_domain(), TxKind::kStake, 1, 0, 0);
  elsewhere.to = address(validator_key(1));
  elsewhere.sign(validator_key(0), our_domain());
  CHECK(rejection_of(state, elsewhere, 3) == TxError::kWrongRecipient);
  // The same kinds on a PBFT chain are refused.
  Genesis pbft = pos_genesis();
  pbft.mode = ConsensusMode::kPbft;
  State pbft_state = State::from_genesis(pbft);
  CHECK(rejection_of(pbft_state,
                     make_stake(validator_key(0), pbft_state.domain(), TxKind::kStake, 1, 0, 0),
                     3) == TxError::kWrongMode);
}

TEST_CASE("pos state: valid evidence slashes, pays the reporter, burns the rest, records why",
          "[pos][state][slashing]") {
  State state = State::from_genesis(pos_genesis());
  const Address v0 = address(validator_key(0));
  // Validator 0 unstakes 20 first: unbonding coins are slashed too.
  state.apply(
      run(state, make_stake(validator_key(0), our_domain(), TxKind::kUnstake, 20, 0, 0), 2).diff);
  const std::uint64_t supply = state.supply();
  Transaction evidence = make_evidence(reporter_key(), our_domain(), double_sign(0, 3), 2, 0);
  Execution slashed = run(state, evidence, 6);
  REQUIRE(slashed.ok());
  state.apply(slashed.diff);
  const Account offender = state.account(v0);
  CHECK(offender.stake == 40);      // 80 - 50%
  CHECK(offender.unbonding == 10);  // 20 - 50%
  CHECK(offender.slashed_height == 6);
  CHECK(offender.offence_height == 3);
  CHECK(state.lottery_stake(v0) == 0);
  // 50 slashed: the reporter gets 20% (10) minus its fee of 2, the fee goes to the
  // proposer, and 40 are burned.
  CHECK(state.account(address(reporter_key())).balance == 50 + 10 - 2);
  CHECK(state.supply() == supply - 40);
  // A second report of the same offender is a duplicate; staking again is refused.
  Transaction again = make_evidence(reporter_key(), our_domain(), double_sign(0, 4), 0, 1);
  CHECK(rejection_of(state, again, 7) == TxError::kDuplicateEvidence);
  CHECK(rejection_of(state, make_stake(validator_key(0), our_domain(), TxKind::kStake, 1, 0, 1),
                     7) == TxError::kSlashed);
}

TEST_CASE("pos state: expired, forged, contradictory and malformed evidence is rejected",
          "[pos][state][slashing]") {
  State state = State::from_genesis(pos_genesis());
  auto report = [&](Bytes payload) {
    return make_evidence(reporter_key(), our_domain(), std::move(payload), 0, 0);
  };
  // Window 5: an offence at height 3 is provable up to block 8.
  CHECK(run(state, report(double_sign(0, 3)), 8).ok());
  CHECK(rejection_of(state, report(double_sign(0, 3)), 9) == TxError::kExpiredEvidence);
  CHECK(rejection_of(state, report(double_sign(0, 3)), 3) == TxError::kExpiredEvidence);
  DoubleSign forged{signed_header(0, 3, 100), signed_header(0, 3, 101)};
  std::get<PosSeal>(forged.second.seal).signature = validator_key(1).sign(as_bytes("x"));
  CHECK(rejection_of(state, report(encode_evidence(forged)), 5) == TxError::kForgedEvidence);
  DoubleSign other_chain{signed_header(0, 3, 100),
                         signed_header(0, 3, 101, {"other", our_domain().genesis_hash})};
  CHECK(rejection_of(state, report(encode_evidence(other_chain)), 5) == TxError::kForgedEvidence);
  const BlockHeader once = signed_header(0, 3, 100);
  CHECK(rejection_of(state, report(encode_evidence({once, once})), 5) ==
        TxError::kContradictoryEvidence);
  CHECK(rejection_of(state, report(encode_evidence({once, signed_header(0, 4, 101)})), 5) ==
        TxError::kContradictoryEvidence);
  CHECK(rejection_of(state, report(encode_evidence({once, signed_header(1, 3, 101)})), 5) ==
        TxError::kContradictoryEvidence);
  CHECK(rejection_of(state, report(Bytes{1, 2, 3}), 5) == TxError::kMalformedEvidence);
  // An offender reporting itself would earn the reporter's share back.
  Transaction self = make_evidence(validator_key(0), our_domain(), double_sign(0, 3), 0, 0);
  CHECK(rejection_of(state, self, 5) == TxError::kContradictoryEvidence);
  // Someone with nothing at stake cannot be slashed.
  State no_stake = state;
  Transaction unstake_all = make_stake(validator_key(1), our_domain(), TxKind::kUnstake, 100, 0, 0);
  no_stake.apply(run(no_stake, unstake_all, 1).diff);
  no_stake.apply(
      no_stake.execute({}, address(validator_key(2)), SignaturePolicy::kVerify, 0, 11).diff);
  CHECK(rejection_of(no_stake, report(double_sign(1, 12)), 13) == TxError::kNotStaker);
}

TEST_CASE(
    "pos state: evidence from a network with our chain id and keys but another genesis "
    "is forged here",
    "[pos][state][slashing]") {
  // Network B: made again from the same keys and chain id, with other initial balances.
  json twin_document = pos_genesis_json();
  twin_document["accounts"][3]["balance"] = 51;
  auto twin = parse_genesis(twin_document.dump());
  REQUIRE(twin.ok());
  const Genesis ours = pos_genesis();
  REQUIRE(twin->chain_id == ours.chain_id);
  REQUIRE(twin->hash() != ours.hash());
  // Validator 0 double-signs on network B: the evidence slashes it there.
  const SigningDomain theirs = SigningDomain::of(*twin);
  const Bytes payload = double_sign(0, 3, theirs);
  CHECK(run(State::from_genesis(*twin), make_evidence(reporter_key(), theirs, payload, 0, 0), 5)
            .ok());
  // Here it proves nothing, even reported in a transaction signed for this chain: refused at
  // admission and in a block.
  const Transaction report = make_evidence(reporter_key(), our_domain(), payload, 0, 0);
  const State state = State::from_genesis(ours);
  CHECK(state.check(report, state.account(address(reporter_key()))) == TxError::kForgedEvidence);
  CHECK(rejection_of(state, report, 5) == TxError::kForgedEvidence);
  DoubleSign decoded;
  auto problem = check_double_sign(report.evidence, SigningDomain::of(ours), &decoded);
  REQUIRE(problem.has_value());
  CHECK(problem->kind == EvidenceProblem::Kind::kForged);
}

TEST_CASE("pos state: diffs with PoS fields round-trip, other leaves and diffs are unchanged",
          "[pos][state]") {
  Account plain{5, 1, 2};
  Account bonded = plain;
  bonded.unbonding = 3;
  bonded.unbonding_height = 9;
  const Address holder = address(validator_key(0));
  CHECK(account_leaf_hash(holder, plain) != account_leaf_hash(holder, bonded));
  StateDiff pos_diff{{AccountChange{holder, plain, bonded}}};
  Writer out;
  write(out, pos_diff);
  auto decoded = decode_state_diff(out.data());
  REQUIRE(decoded.ok());
  CHECK(*decoded == pos_diff);
  StateDiff plain_diff{{AccountChange{holder, std::nullopt, plain}}};
  Writer plain_out;
  write(plain_out, plain_diff);
  CHECK(plain_out.data().size() == 4 + 20 + 1 + 24);  // the encoding from before PoS
  Bytes flagged = plain_out.data();
  flagged[3] |= 0x80;
  CHECK_FALSE(decode_state_diff(flagged).ok());
}

TEST_CASE("pos mempool: an unstake costs only its fee and remove() drops one transaction",
          "[pos][mempool]") {
  State state = State::from_genesis(pos_genesis());
  Mempool pool;
  // Unstaking 100 with a balance of 1000 is fine, though 100 + 1000 exceeds the balance.
  Transaction unstake = make_stake(validator_key(0), our_domain(), TxKind::kUnstake, 100, 1, 0);
  Transaction stake = make_stake(validator_key(0), our_domain(), TxKind::kStake, 999, 0, 1);
  REQUIRE_FALSE(pool.add(unstake, unstake.hash(), state).has_value());
  REQUIRE_FALSE(pool.add(stake, stake.hash(), state).has_value());
  CHECK(pool.select_batch(state, 10, 1 << 20).size() == 2);
  pool.remove(unstake.hash());
  CHECK_FALSE(pool.contains(unstake.hash()));
  CHECK(pool.contains(stake.hash()));
  CHECK(pool.select_batch(state, 10, 1 << 20).empty());  // nonce 1 waits for nonce 0
}

TEST_CASE("pos state: a state read back without its rules adopts them from the genesis",
          "[pos][state]") {
  const Genesis genesis = pos_genesis();
  State stored(our_domain());  // as BlockStore::load_state gives it
  stored.apply(
      StateDiff{{AccountChange{address(validator_key(0)), std::nullopt,
                               State::from_genesis(genesis).account(address(validator_key(0)))}}});
  Transaction stake = make_stake(validator_key(0), our_domain(), TxKind::kStake, 1, 0, 0);
  CHECK(rejection_of(stored, stake, 3) == TxError::kWrongMode);
  stored.adopt_rules(genesis);
  CHECK(run(stored, stake, 3).ok());
}
