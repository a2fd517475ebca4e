// Unit tests for the proof-of-stake checks of the nothing-at-stake scenario that need no
// running node (testnet/pos_slash_check.h): the evidence read back into an offence, the
// accounting of a slash against the ledger before and after it, and how many blocks the
// exclusion check watches.
#include <catch2/catch.hpp>

#include <limits>
#include <nlohmann/json.hpp>

#include "chain/address.h"
#include "chain/pos_seal.h"
#include "crypto/hex.h"
#include "testnet/pos_slash_check.h"
#include "tests/support/test_keys.h"

using namespace synod;
using nlohmann::json;
using testnet::LedgerView;
using testnet::StakeAccount;

namespace {

using synod::testing::key_from;

const crypto::KeyPair& offender_key() {
  static const crypto::KeyPair key = key_from(0x41);
  return key;
}

chain::SigningDomain domain(const std::string& chain_id = "synod-pos-tools") {
  return {chain_id, crypto::sha256(as_bytes("a genesis"))};
}

// A header at `height` signed by `key` for `signed_for`; `variant` makes it a different one.
chain::BlockHeader header(std::uint64_t height, std::uint8_t variant,
                          const crypto::KeyPair& key = offender_key(),
                          const chain::SigningDomain& signed_for = domain()) {
  chain::BlockHeader out;
  out.height = height;
  out.prev_hash = crypto::sha256(as_bytes("parent"));
  const std::uint8_t marker[] = {variant};
  out.tx_root = crypto::sha256(ByteView(marker, sizeof marker));
  out.timestamp_ms = (1000 + variant) * 1000;
  out.proposer = key.public_key();
  out.seal = chain::PosSeal{out.timestamp_ms / 1000, {}, {}};
  chain::sign_pos_header(out, signed_for, key);
  return out;
}

std::string evidence_hex(const chain::BlockHeader& a, const chain::BlockHeader& b) {
  return crypto::to_hex(chain::encode_evidence({a, b}));
}

std::string address(const crypto::KeyPair& key) {
  return chain::to_string(chain::address_of(key.public_key()));
}

json tx(const std::string& kind, const std::string& from, const std::string& to,
        std::uint64_t amount, std::uint64_t fee) {
  return {{"kind", kind}, {"from_address", from}, {"to", to}, {"amount", amount}, {"fee", fee}};
}

json block(std::uint64_t height, const crypto::KeyPair& proposer, json transactions) {
  return {
      {"header", {{"height", height}, {"proposer", crypto::to_hex(proposer.public_key().view())}}},
      {"transactions", std::move(transactions)}};
}

}  // namespace

TEST_CASE("pos tools: the evidence's two headers are read back into the offence", "[tools]") {
  const chain::BlockHeader first = header(8, 0);
  const chain::BlockHeader second = header(8, 1);
  auto offence =
      testnet::read_offence(evidence_hex(first, second), domain(), offender_key().public_key());
  REQUIRE(offence.ok());
  CHECK(offence->height == 8);
  CHECK(offence->first_hash == crypto::to_hex(first.hash().view()));
  CHECK(offence->second_hash == crypto::to_hex(second.hash().view()));
  CHECK(offence->first_hash != offence->second_hash);
  CHECK(offence->proposer == crypto::to_hex(offender_key().public_key().view()));
}

TEST_CASE(
    "pos tools: evidence that does not show the offender signing two blocks at one "
    "height is no offence",
    "[tools]") {
  const auto offender = offender_key().public_key();
  auto problem = [&](const std::string& hex, const chain::SigningDomain& in = domain()) {
    auto offence = testnet::read_offence(hex, in, offender);
    REQUIRE_FALSE(offence.ok());
    return offence.message();
  };
  CHECK_THAT(problem(evidence_hex(header(8, 0), header(8, 0))),
             Catch::Contains("two headers are one block"));
  CHECK_THAT(problem(evidence_hex(header(8, 0), header(9, 1))),
             Catch::Contains("at heights 8 and 9"));
  const crypto::KeyPair other = key_from(0x42);
  CHECK_THAT(problem(evidence_hex(header(8, 0, other), header(8, 1, other))),
             Catch::Contains("not both the offender's"));
  chain::BlockHeader forged = header(8, 1);
  std::get<chain::PosSeal>(forged.seal).signature = other.sign(as_bytes("x"));
  CHECK_THAT(problem(evidence_hex(header(8, 0), forged)), Catch::Contains("not the offender's"));
  // Signed for another network with the same keys: not a valid seal here.
  CHECK_THAT(problem(evidence_hex(header(8, 0), header(8, 1)), domain("another chain")),
             Catch::Contains("seal"));
  CHECK_THAT(problem("zz"), Catch::Contains("not hex"));
  CHECK_THAT(problem("0102"), Catch::Contains("not two headers"));
}

TEST_CASE("pos tools: the blocks' ordinary changes are rewards, fees and transfers", "[tools]") {
  const crypto::KeyPair a = key_from(1), b = key_from(2);
  const std::vector<json> blocks = {
      block(5, a,
            json::array({tx("transfer", address(b), address(a), 300, 7),
                         tx("stake", address(b), address(b), 1000, 2)})),
      block(6, b, json::array({tx("evidence", address(a), address(a), 0, 4)}))};
  auto changes = testnet::ordinary_changes(blocks, 10);
  REQUIRE(changes.ok());
  // a: +300 received, +10 reward, +9 fees in block 5, -4 fee in block 6.
  CHECK((*changes)[address(a)] == 315);
  // b: -300 sent, -9 fees, +10 reward and +4 fees in block 6; staking moves nothing out.
  CHECK(static_cast<std::int64_t>((*changes)[address(b)]) == -295);

  json no_fee = block(7, a, json::array({tx("transfer", address(a), address(b), 1, 0)}));
  no_fee["transactions"][0].erase("fee");
  auto broken = testnet::ordinary_changes(std::vector<json>{no_fee}, 10);
  REQUIRE_FALSE(broken.ok());
  CHECK_THAT(broken.message(), Catch::Contains("block 7") && Catch::Contains("fee"));
  auto no_proposer = testnet::ordinary_changes(
      std::vector<json>{json{{"header", json{{"height", std::uint64_t{3}}}}}}, 10);
  REQUIRE_FALSE(no_proposer.ok());
  CHECK_THAT(no_proposer.message(), Catch::Contains("block 3"));
}

namespace {

// Offender (stake 1000, unbonding 201), reporter and a bystander, before and after a
// slash at 50% with a 10% reporter share: 500 + 100 taken, 60 paid, 540 burned. The
// reporter proposed the slashing block: reward 10 on top.
struct SlashCase {
  std::string offender = address(key_from(3));
  std::string reporter = address(key_from(4));
  std::string bystander = address(key_from(5));
  chain::PosParams params;
  LedgerView before;
  LedgerView after;
  std::map<std::string, std::uint64_t> ordinary;

  SlashCase() {
    params.slash_percent = 50;
    params.reporter_percent = 10;
    before = {9, "aa", {}};
    before.accounts[offender] = StakeAccount{5000, 1000, 201, nullptr};
    before.accounts[reporter] = StakeAccount{7000, 1000, 0, nullptr};
    before.accounts[bystander] = StakeAccount{9000, 1000, 0, nullptr};
    after = before;
    after.height = 10;
    after.head_hash = "bb";
    after.accounts[offender] = StakeAccount{5000, 500, 101, json{{"reason", "double_sign"}}};
    after.accounts[reporter].balance += 60 + 10;
    ordinary[reporter] = 10;
  }
  Result<testnet::SlashFigures> audit() const {
    return testnet::audit_slash(before, after, ordinary, {offender, reporter}, params);
  }
};

}  // namespace

TEST_CASE(
    "pos tools: a slash that took slash_percent, paid the reporter its share and "
    "burned the rest adds up",
    "[tools]") {
  SlashCase slash;
  auto figures = slash.audit();
  REQUIRE(figures.ok());
  CHECK(figures->stake_before == 1000);
  CHECK(figures->stake_after == 500);
  CHECK(figures->slashed == 600);
  CHECK(figures->reporter_share == 60);
  CHECK(figures->burned == 540);
  CHECK(figures->reporter_before == 7000);
  CHECK(figures->reporter_after == 7070);
  CHECK(figures->reporter_from_blocks == 10);
  CHECK(figures->supply_before == 24201);
  CHECK(figures->supply_after == 24201 + 10 - 540);
}

TEST_CASE("pos tools: a slash whose numbers do not add up names the account", "[tools]") {
  auto failure = [](const SlashCase& slash) {
    auto figures = slash.audit();
    REQUIRE_FALSE(figures.ok());
    return figures.message();
  };
  SlashCase underpaid;  // the reporter got one coin less than its share
  underpaid.after.accounts[underpaid.reporter].balance -= 1;
  CHECK_THAT(failure(underpaid), Catch::StartsWith(underpaid.reporter));
  SlashCase overpaid;  // the burned part went to the bystander instead
  overpaid.after.accounts[overpaid.bystander].balance += 540;
  CHECK_THAT(failure(overpaid), Catch::StartsWith(overpaid.bystander));
  SlashCase too_much;  // all of the stake taken, not 50%
  too_much.after.accounts[too_much.offender].stake = 0;
  CHECK_THAT(failure(too_much), Catch::StartsWith(too_much.offender));
  SlashCase unread;  // a reporter whose account was not read
  unread.before.accounts.erase(unread.reporter);
  CHECK_THAT(failure(unread), Catch::Contains("not among the accounts read"));
}

TEST_CASE("pos tools: exclusion is watched until a drawing offender would have shown", "[tools]") {
  // Four equal validators after a 50% slash: 500 of 3500 draws 1/7 of the blocks;
  // (6/7)^29 = 1.1%, (6/7)^30 = 0.98%.
  auto watch = testnet::exclusion_watch(500, 3500, 0.01, 5, 100);
  CHECK(watch.blocks == 30);
  CHECK(watch.miss_probability == Approx(0.0098).epsilon(0.01));
  // A quarter of the stake: (3/4)^17 = 0.75%; 5 blocks alone would miss it 24% of the time.
  CHECK(testnet::exclusion_watch(1000, 4000, 0.01, 5, 100).blocks == 17);
  CHECK(testnet::exclusion_watch(1000, 4000, 0.5, 5, 100).blocks == 5);
  // Nothing left to draw with: the minimum; a tiny share: the cap, and its real chance.
  CHECK(testnet::exclusion_watch(0, 3000, 0.01, 5, 100).blocks == 5);
  auto capped = testnet::exclusion_watch(1, 1000, 0.01, 5, 100);
  CHECK(capped.blocks == 100);
  CHECK(capped.miss_probability == Approx(0.905).epsilon(0.01));
}

TEST_CASE("pos tools: percent_of rounds down as the ledger does, without overflow", "[tools]") {
  CHECK(chain::percent_of(199, 50) == 99);
  CHECK(chain::percent_of(1000, 10) == 100);
  CHECK(chain::percent_of(7, 0) == 0);
  const std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
  CHECK(chain::percent_of(max, 100) == max);
  CHECK(chain::percent_of(max, 50) == max / 2);
}

TEST_CASE("pos tools: an account whose coins add up past 2^64 is refused", "[tools]") {
  const std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
  CHECK(testnet::stake_account_from_json({{"balance", 5u}, {"stake", 7u}, {"unbonding", 1u}})
            ->total() == 13);
  CHECK_FALSE(testnet::stake_account_from_json({{"balance", max}, {"stake", 1u}}));
  CHECK_FALSE(
      testnet::stake_account_from_json({{"balance", max - 2}, {"stake", 1u}, {"unbonding", 2u}}));
  CHECK(testnet::stake_account_from_json({{"balance", max - 3}, {"stake", 1u}, {"unbonding", 2u}}));
}
