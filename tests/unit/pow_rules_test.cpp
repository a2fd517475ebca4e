// pow_pos/pow_rules: work, retargeting (clamps, the easiest-target cap, exactness), the
// timestamp rules and the block checks with their typed reasons.
#include <catch2/catch.hpp>

#include "pow_pos/pow_rules.h"
#include "pow_test_util.h"

using namespace pow_test;
using namespace synod::pow_pos;

namespace {

Uint256 pow2(unsigned n) {
  return Uint256(1) << n;
}

PowParams params_with(const Uint256& initial, std::uint64_t factor = 4) {
  PowParams params;
  params.initial_target = initial.to_hash();
  params.max_retarget_factor = factor;
  params.block_interval_ms = 1000;
  params.retarget_window = 4;
  params.median_time_window = 5;
  params.max_future_ms = 2000;
  return params;
}

ChainPoint point(std::uint64_t height, std::uint64_t timestamp, const Uint256& target) {
  return ChainPoint{height, timestamp, target};
}

}  // namespace

TEST_CASE("pow work is floor(2^256 / (target + 1))", "[pow][rules]") {
  CHECK(block_work(Uint256::max()) == Uint256(1));
  CHECK(block_work(pow2(255) - Uint256(1)) == Uint256(2));
  CHECK(block_work(pow2(255)) == Uint256(1));  // 2^256 / (2^255 + 1) = 1.99...
  CHECK(block_work(pow2(252)) == Uint256(15));
  CHECK(block_work(pow2(252) - Uint256(1)) == Uint256(16));
  CHECK(block_work(pow2(250)) == Uint256(63));
  CHECK(block_work(pow2(224) - Uint256(1)) == pow2(32));
  CHECK(block_work(Uint256(1)) == pow2(255));
  CHECK(block_work(Uint256()) == Uint256::max());  // never valid; saturates
  // A harder target is more work.
  CHECK(block_work(pow2(200)) > block_work(pow2(201)));
}

TEST_CASE("pow meets_target compares the hash as a big-endian number, inclusive", "[pow][rules]") {
  crypto::Hash256 hash;
  hash.data[0] = 0x0f;
  CHECK(meets_target(hash, Uint256::from_hash(hash)));
  CHECK_FALSE(meets_target(hash, Uint256::from_hash(hash) - Uint256(1)));
  CHECK(meets_target(hash, pow2(252)));
  hash.data[0] = 0x10;  // exactly 2^252: still meets it
  CHECK(meets_target(hash, pow2(252)));
  hash.data[31] = 0x01;
  CHECK_FALSE(meets_target(hash, pow2(252)));
}

TEST_CASE("pow retarget scales the mean target by actual over expected time", "[pow][rules]") {
  const PowParams params = params_with(Uint256::max());
  const Uint256 mean = pow2(200);
  CHECK(retarget(mean, 4000, 4000, params) == mean);
  CHECK(retarget(mean, 8000, 4000, params) == pow2(201));  // slow blocks: easier
  CHECK(retarget(mean, 2000, 4000, params) == pow2(199));  // fast blocks: harder
  CHECK(retarget(mean, 3000, 4000, params) == pow2(199) + pow2(198));
}

TEST_CASE("pow retarget is clamped by max_retarget_factor both ways", "[pow][rules]") {
  const PowParams params = params_with(Uint256::max(), 4);
  const Uint256 mean = pow2(200);
  CHECK(retarget(mean, 16'000, 4000, params) == pow2(202));
  CHECK(retarget(mean, 1'000'000, 4000, params) == pow2(202));
  CHECK(retarget(mean, 1000, 4000, params) == pow2(198));
  CHECK(retarget(mean, 1, 4000, params) == pow2(198));
  CHECK(retarget(mean, 0, 4000, params) == pow2(198));
  // Factor 1: a fixed difficulty.
  CHECK(retarget(mean, 0, 4000, params_with(Uint256::max(), 1)) == mean);
  CHECK(retarget(mean, 99'000, 4000, params_with(Uint256::max(), 1)) == mean);
}

TEST_CASE("pow retarget never goes above the initial target nor down to zero", "[pow][rules]") {
  const PowParams params = params_with(pow2(240), 4);
  CHECK(retarget(pow2(240), 8000, 4000, params) == pow2(240));
  CHECK(retarget(pow2(239), 8000, 4000, params) == pow2(240));
  CHECK(retarget(pow2(239), 6000, 4000, params) == pow2(239) + pow2(238));
  CHECK(retarget(Uint256(1), 0, 4000, params) == Uint256(1));
  CHECK(retarget(Uint256(3), 2000, 4000, params) == Uint256(1));  // floor(1.5)
  CHECK(retarget(Uint256(2), 0, 4000, params) == Uint256(1));     // 2 / 4 = 0 -> 1
}

TEST_CASE("pow retarget keeps intermediates exact near 2^256", "[pow][rules]") {
  const PowParams params = params_with(Uint256::max(), 4);
  // mean * 3 passes 2^256; the quotient fits.
  CHECK(retarget(pow2(255), 3000, 2000, params) == pow2(255) + pow2(254));
  CHECK(retarget(Uint256::max(), 8000, 4000, params) == Uint256::max());
  CHECK(retarget(Uint256::max(), 4000, 4000, params) == Uint256::max());
}

TEST_CASE("pow next_target averages the window and measures its timespan", "[pow][rules]") {
  const PowParams params = params_with(Uint256::max(), 4);  // window 4, interval 1000
  // Parent at height 5; the window is heights 5..2, the span from height 1 to 5.
  std::vector<ChainPoint> chain = {point(5, 9000, pow2(200)), point(4, 7000, pow2(201)),
                                   point(3, 6000, pow2(200)), point(2, 5000, pow2(201)),
                                   point(1, 1000, pow2(250)), point(0, 0, Uint256())};
  // mean = 1.5 * 2^200, span 8000 over 4000 expected: 3 * 2^200.
  CHECK(next_target(chain, params) == pow2(201) + pow2(200));
  chain[0].timestamp_ms = 1000;  // no time passed: the clamp, mean / 4
  CHECK(next_target(chain, params) == (pow2(200) + pow2(199)) >> 2);
  chain[0].timestamp_ms = 500;  // before the window's start: treated as zero
  CHECK(next_target(chain, params) == (pow2(200) + pow2(199)) >> 2);
}

TEST_CASE("pow next_target near block 0 uses the blocks there are", "[pow][rules]") {
  const PowParams params = params_with(pow2(240), 4);
  const std::vector<ChainPoint> only_genesis = {point(0, 0, Uint256())};
  CHECK(next_target(only_genesis, params) == pow2(240));
  // Parent at height 2: n = 2, span from block 0's time, expected 2000.
  const std::vector<ChainPoint> two = {point(2, 1000, pow2(230)), point(1, 500, pow2(230)),
                                       point(0, 0, Uint256())};
  CHECK(next_target(two, params) == pow2(229));
  // Missing ancestry is the caller's problem, reported as nullopt.
  CHECK_FALSE(next_target(std::vector<ChainPoint>(two.begin(), two.begin() + 2), params));
  CHECK_FALSE(next_target(std::vector<ChainPoint>{}, params));
}

TEST_CASE("pow median time past takes the middle of the last blocks", "[pow][rules]") {
  PowParams params = params_with(pow2(240));
  params.median_time_window = 5;
  std::vector<ChainPoint> chain = {point(9, 50, {}), point(8, 10, {}), point(7, 40, {}),
                                   point(6, 20, {}), point(5, 30, {}), point(4, 99, {})};
  CHECK(median_time_past(chain, params) == 30u);  // of 50, 10, 40, 20, 30; 99 is outside
  params.median_time_window = 4;
  CHECK(median_time_past(chain, params) == 40u);  // sorted 10, 20, 40, 50: index 2
  params.median_time_window = 1;
  CHECK(median_time_past(chain, params) == 50u);
  params.median_time_window = 11;
  CHECK_FALSE(median_time_past(chain, params).has_value());  // 10 points needed
  // Near block 0 the window is what exists, block 0 included.
  const std::vector<ChainPoint> young = {point(1, 7, {}), point(0, 3, {})};
  CHECK(median_time_past(young, params) == 7u);
}

TEST_CASE("pow header context: height, target, median time past, future limit", "[pow][rules]") {
  const PowParams params = params_with(pow2(250));
  BlockHeader header;
  header.height = 8;
  header.timestamp_ms = 1001;
  header.seal = PowSeal{0, pow2(249).to_hash()};
  HeaderContext context{7, pow2(249), 1000, TimeMs{1000}};
  CHECK(check_header_context(header, context, params).ok());

  auto reason = [&](const BlockHeader& h, const HeaderContext& c) {
    Verdict verdict = check_header_context(h, c, params);
    REQUIRE(verdict.kind() == Verdict::Kind::kRejected);
    return verdict.reason();
  };
  BlockHeader changed = header;
  changed.height = 9;
  CHECK(reason(changed, context) == Rejection::kBadHeight);
  changed = header;
  changed.seal = PowSeal{0, pow2(250).to_hash()};
  CHECK(reason(changed, context) == Rejection::kWrongTarget);
  changed = header;
  changed.timestamp_ms = 1000;  // equal to the median: too old
  CHECK(reason(changed, context) == Rejection::kTimeTooOld);
  changed.timestamp_ms = 3000;  // now + max_future_ms exactly: fine
  CHECK(check_header_context(changed, context, params).ok());
  changed.timestamp_ms = 3001;
  CHECK(reason(changed, context) == Rejection::kTimeTooNew);
  HeaderContext no_clock = context;
  no_clock.now.reset();
  CHECK(check_header_context(changed, no_clock, params).ok());
  no_clock.now = ~std::uint64_t{0};  // saturates instead of wrapping
  changed.timestamp_ms = ~std::uint64_t{0};
  CHECK(check_header_context(changed, no_clock, params).ok());
}

TEST_CASE("pow block shape checks, cheapest first", "[pow][rules]") {
  const Genesis genesis = make_genesis();
  ChainBuilder builder(genesis);
  const Block good = builder.extend(builder.genesis_block().hash());
  CHECK(check_block_shape(good, genesis.pow).ok());

  auto reason = [&](const Block& block, const PowParams& params) {
    Verdict verdict = check_block_shape(block, params);
    REQUIRE(verdict.kind() == Verdict::Kind::kRejected);
    return verdict.reason();
  };
  Block bad = good;
  bad.header.seal = PbftSeal{0, 1};
  CHECK(reason(bad, genesis.pow) == Rejection::kMalformed);
  bad = good;
  bad.certificate = CommitCertificate{};
  CHECK(reason(bad, genesis.pow) == Rejection::kMalformed);
  bad = good;
  bad.header.height = 0;
  CHECK(reason(bad, genesis.pow) == Rejection::kBadHeight);
  bad = good;
  bad.transactions.assign(101, transfer(genesis, alice_key(), bob(), 1, 0));
  CHECK(reason(bad, genesis.pow) == Rejection::kTooManyTransactions);
  PowParams small = genesis.pow;
  small.max_block_bytes = 1024;
  bad = good;
  bad.transactions.assign(10, transfer(genesis, alice_key(), bob(), 1, 0));
  CHECK(block_bytes(bad) > small.max_block_bytes);
  CHECK(reason(bad, small) == Rejection::kBlockTooBig);
  bad = good;
  std::get<PowSeal>(bad.header.seal).target = Uint256().to_hash();
  CHECK(reason(bad, genesis.pow) == Rejection::kWrongTarget);
  bad = good;
  std::get<PowSeal>(bad.header.seal).target = (easy_target() + Uint256(1)).to_hash();
  CHECK(reason(bad, genesis.pow) == Rejection::kWrongTarget);  // easier than the genesis allows
  bad = good;
  std::get<PowSeal>(bad.header.seal).target = Uint256(1).to_hash();
  CHECK(reason(bad, genesis.pow) == Rejection::kBadWork);
  bad = good;
  for (auto& seal = std::get<PowSeal>(bad.header.seal); meets_target(bad.hash(), easy_target());
       ++seal.nonce) {
  }
  CHECK(reason(bad, genesis.pow) == Rejection::kBadWork);
}

TEST_CASE("pow block_bytes is the encoded size of any block", "[pow][rules]") {
  const Genesis genesis = make_genesis();
  Block block;
  block.header.seal = PowSeal{};
  CHECK(block_bytes(block) == block.encode().size());
  CHECK(block_overhead_bytes() == block.encode().size());
  block.transactions = {transfer(genesis, alice_key(), bob(), 1, 0),
                        transfer(genesis, bob_key(), alice(), 2, 0)};
  CHECK(block_bytes(block) == block.encode().size());
  block.header.seal = PbftSeal{3, 4};
  block.certificate = CommitCertificate{1, 2, {}, {{0, {}}, {2, {}}}};
  CHECK(block_bytes(block) == block.encode().size());
  block.header.seal = PosSeal{};
  CHECK(block_bytes(block) == block.encode().size());
}

TEST_CASE("pow body checks: tx_root, signatures, transactions, reward, state_root",
          "[pow][rules]") {
  const Genesis genesis = make_genesis();
  ChainBuilder builder(genesis);
  State state = State::from_genesis(genesis);
  const crypto::Hash256 root_before = state.root();
  ChainBuilder::Options options;
  options.transactions = {transfer(genesis, alice_key(), bob(), 10, 0)};
  const Block good = builder.extend(builder.genesis_block().hash(), options);

  BodyCheck check = check_body(good, state, genesis.pow, {});
  REQUIRE(check.verdict.ok());
  CHECK(check.tx_hashes == std::vector<crypto::Hash256>{good.transactions[0].hash()});
  CHECK(state.root_after(check.diff) == good.header.state_root);
  CHECK(state.root() == root_before);  // left as it was

  auto reason = [&](const Block& block, const SignatureCheck& signatures = {}) {
    BodyCheck result = check_body(block, state, genesis.pow, signatures);
    REQUIRE(result.verdict.kind() == Verdict::Kind::kRejected);
    CHECK(state.root() == root_before);
    return result.verdict.reason();
  };
  Block bad = good;
  bad.header.tx_root.data[0] ^= 1;
  CHECK(reason(bad) == Rejection::kBadTxRoot);
  bad = good;
  bad.header.state_root.data[0] ^= 1;
  CHECK(reason(bad) == Rejection::kBadStateRoot);
  // The driver's signature check is used when given.
  CHECK(reason(good, [](const Transaction&, const crypto::Hash256&) { return false; }) ==
        Rejection::kInvalidTransactions);
  bad = good;
  bad.transactions[0].amount = 11;  // no longer matches its signature
  bad.header.tx_root = transactions_root(bad.transactions);
  CHECK(reason(bad) == Rejection::kInvalidTransactions);
  bad = good;
  bad.transactions = {transfer(genesis, alice_key(), bob(), 10, 5)};  // bad nonce
  bad.header.tx_root = transactions_root(bad.transactions);
  CHECK(reason(bad) == Rejection::kInvalidTransactions);

  // The reward counts: a root computed without it is wrong.
  PowParams no_reward = genesis.pow;
  no_reward.block_reward = 0;
  CHECK(check_body(good, state, no_reward, {}).verdict.reason() == Rejection::kBadStateRoot);
  // An unmintable reward invalidates the block.
  PowParams huge = genesis.pow;
  huge.block_reward = ~std::uint64_t{0};
  BodyCheck overflow = check_body(good, state, huge, {});
  CHECK(overflow.verdict.reason() == Rejection::kInvalidTransactions);
  CHECK_THAT(overflow.verdict.detail(), Catch::Contains("total supply"));
}

TEST_CASE("pow rejection reasons have stable names and a fault class", "[pow][rules]") {
  const std::vector<std::pair<Rejection, const char*>> names = {
      {Rejection::kMalformed, "malformed"},
      {Rejection::kBadWork, "bad_work"},
      {Rejection::kWrongTarget, "wrong_target"},
      {Rejection::kTimeTooOld, "time_too_old"},
      {Rejection::kTimeTooNew, "time_too_new"},
      {Rejection::kBadHeight, "bad_height"},
      {Rejection::kUnknownParent, "unknown_parent"},
      {Rejection::kBadTxRoot, "bad_tx_root"},
      {Rejection::kInvalidTransactions, "invalid_transactions"},
      {Rejection::kBadStateRoot, "bad_state_root"},
      {Rejection::kTooManyTransactions, "too_many_transactions"},
      {Rejection::kBlockTooBig, "block_too_big"},
      {Rejection::kReorgTooDeep, "reorg_too_deep"},
      {Rejection::kInvalidAncestor, "invalid_ancestor"},
      {Rejection::kStale, "stale"},
      {Rejection::kCapacity, "capacity"},
      {Rejection::kBadSeal, "bad_seal"},
      {Rejection::kWrongDifficulty, "wrong_difficulty"},
      {Rejection::kNotEligible, "not_eligible"}};
  REQUIRE(names.size() == kRejectionCount);
  for (const auto& [reason, name] : names)
    CHECK(std::string(to_string(reason)) == name);
  CHECK(is_block_fault(Rejection::kBadWork));
  CHECK(is_block_fault(Rejection::kBadStateRoot));
  CHECK(is_block_fault(Rejection::kInvalidAncestor));
  CHECK_FALSE(is_block_fault(Rejection::kTimeTooNew));
  CHECK_FALSE(is_block_fault(Rejection::kUnknownParent));
  CHECK_FALSE(is_block_fault(Rejection::kReorgTooDeep));
  CHECK_FALSE(is_block_fault(Rejection::kStale));
  CHECK(Verdict::rejected(Rejection::kBadWork, "x").message() == "bad_work: x");
  CHECK(Verdict::error("lost").message() == "error: lost");
  CHECK(Verdict::error("lost").kind() == Verdict::Kind::kError);
}
