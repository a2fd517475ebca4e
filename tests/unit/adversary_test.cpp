// Unit tests for pbft/adversary.h: each Byzantine behaviour is checked on the actions it
// makes out of a scripted honest engine's actions (a signed PRE-PREPARE of a real block,
// signed PREPAREs and COMMITs, and non-message actions that must pass through untouched).
#include <catch2/catch.hpp>

#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "chain/block.h"
#include "chain/genesis.h"
#include "chain/mempool.h"
#include "chain/state.h"
#include "chain/transaction.h"
#include "pbft/adversary.h"
#include "pbft/messages.h"
#include "pbft/replica.h"
#include "pbft/view_change.h"
#include "tests/support/quiet_queries.h"

using namespace synod;
using namespace synod::pbft;
using chain::Action;
using chain::Actions;
using chain::BroadcastAction;
using chain::SendAction;

namespace {

constexpr std::size_t kValidators = 4;
constexpr std::uint64_t kFunding = 1'000'000;

crypto::KeyPair key_from(std::uint8_t tag, std::uint8_t index) {
  crypto::Seed seed;
  seed.data[0] = tag;
  seed.data[1] = index;
  seed.data[31] = 0xad;
  return crypto::KeyPair::from_seed(seed);
}

// Four validators, four funded users, block 0 and a valid block 1 with three transfers
// proposed by validator 0 in view 0.
struct World {
  std::vector<crypto::KeyPair> validators;
  std::vector<crypto::KeyPair> users;
  std::shared_ptr<chain::Genesis> genesis = std::make_shared<chain::Genesis>();
  chain::Block parent;
  chain::Block block;
  chain::SigningDomain domain;

  World() {
    genesis->chain_id = "adversary-test";
    genesis->genesis_time_ms = 1'700'000'000'000;
    std::vector<chain::ValidatorInfo> infos;
    for (std::uint8_t i = 0; i < kValidators; ++i) {
      validators.push_back(key_from(1, i));
      infos.push_back(chain::ValidatorInfo{"v" + std::to_string(i), validators.back().public_key(),
                                           "127.0.0.1:" + std::to_string(27000 + i), 1});
      users.push_back(key_from(2, i));
      genesis->accounts.push_back(
          chain::GenesisAccount{chain::address_of(users.back().public_key()), kFunding, 0});
    }
    genesis->validators = chain::ValidatorSet(std::move(infos));
    parent = chain::make_genesis_block(*genesis);
    block = build_block();
    domain = chain::SigningDomain::of(*genesis);
  }

  chain::State genesis_state() const { return chain::State::from_genesis(*genesis); }

  chain::Block build_block() const {
    std::vector<chain::Transaction> txs;
    for (std::size_t i = 0; i < 3; ++i) {
      txs.push_back(chain::make_transfer(users[i], chain::SigningDomain::of(*genesis),
                                         chain::address_of(users[i + 1].public_key()), 100 + i, 1,
                                         0));
    }
    chain::Block out;
    out.header.height = 1;
    out.header.prev_hash = parent.hash();
    out.header.tx_root = chain::transactions_root(txs);
    out.header.timestamp_ms = parent.header.timestamp_ms + 1000;
    out.header.proposer = validators[0].public_key();
    out.header.seal = chain::PbftSeal{0, 1};
    out.transactions = txs;
    chain::State scratch = genesis_state();
    chain::Execution execution = scratch.execute(txs, chain::address_of(out.header.proposer));
    REQUIRE(execution.ok());
    out.header.state_root = scratch.root_after(execution.diff);
    return out;
  }

  Bytes pre_prepare(std::uint64_t view = 0, ReplicaIndex sender = 0) const {
    return encode(sign(validators[sender], sender, domain, PrePrepare{view, 1, block}));
  }
  Bytes prepare(ReplicaIndex sender, std::uint64_t view = 0) const {
    return encode(sign(validators[sender], sender, domain, Prepare{view, 1, block.hash()}));
  }
  Bytes commit(ReplicaIndex sender, std::uint64_t view = 0) const {
    return encode(sign(validators[sender], sender, domain, Commit{view, 1, block.hash()}));
  }

  AdversaryOptions options(std::vector<AdversaryKind> kinds, ReplicaIndex index = 0,
                           std::uint64_t seed = 7) const {
    return AdversaryOptions{std::move(kinds), seed, genesis, validators[index], index, 0};
  }
};

const World& world() {
  static const World instance;
  return instance;
}

// An engine that answers each input with the next scripted action list (then nothing), and
// records the timer ids it is given.
class FakeEngine final : public testing::QuietQueries {
 public:
  FakeEngine(std::deque<Actions> script, std::shared_ptr<std::vector<std::uint32_t>> timers)
      : script_(std::move(script)), timers_(std::move(timers)) {}

  Actions start(chain::TimeMs) override { return next(); }
  Actions on_message(ReplicaIndex, ByteView, chain::TimeMs) override { return next(); }
  Actions on_transactions(chain::TimeMs) override { return next(); }
  Actions on_timer(std::uint32_t id, chain::TimeMs) override {
    timers_->push_back(id);
    return next();
  }
  Actions on_block_stored(std::uint64_t, chain::TimeMs) override { return next(); }
  Actions on_blocks_fetched(ReplicaIndex, std::vector<chain::Block>, chain::TimeMs) override {
    return next();
  }

 private:
  Actions next() {
    if (script_.empty())
      return {};
    Actions out = std::move(script_.front());
    script_.pop_front();
    return out;
  }
  std::deque<Actions> script_;
  std::shared_ptr<std::vector<std::uint32_t>> timers_;
};

struct Harness {
  std::shared_ptr<std::vector<std::uint32_t>> honest_timers =
      std::make_shared<std::vector<std::uint32_t>>();
  std::unique_ptr<chain::Engine> engine;

  Harness(std::deque<Actions> script, AdversaryOptions options) {
    engine = wrap_adversary(std::make_unique<FakeEngine>(std::move(script), honest_timers),
                            std::move(options));
  }
  Actions step(chain::TimeMs now = 100) { return engine->on_transactions(now); }
};

// A protocol message out of an action: who it goes to (nullopt: everyone) and its bytes.
struct Sent {
  std::optional<ReplicaIndex> to;
  Bytes bytes;
};

std::vector<Sent> messages(const Actions& actions) {
  std::vector<Sent> out;
  for (const Action& action : actions) {
    if (const auto* send = std::get_if<SendAction>(&action))
      out.push_back({send->to, send->message});
    if (const auto* broadcast = std::get_if<BroadcastAction>(&action)) {
      out.push_back({std::nullopt, broadcast->message});
    }
  }
  return out;
}

Message decoded(const Bytes& bytes) {
  Result<Message> message = decode_message(bytes);
  REQUIRE(message.ok());
  return *message;
}

bool signed_validly(const Message& message) {
  return std::visit(
      [](const auto& m) { return signature_valid(m, world().genesis->validators, world().domain); },
      message);
}

// Everything about an action list, as bytes, to compare two runs.
Bytes dump(const Actions& actions) {
  chain::Writer out;
  for (const Action& action : actions) {
    out.u8(static_cast<std::uint8_t>(action.index()));
    std::visit(
        [&](const auto& a) {
          using A = std::decay_t<decltype(a)>;
          if constexpr (std::is_same_v<A, SendAction>) {
            out.u32(a.to);
            out.bytes(a.message);
          } else if constexpr (std::is_same_v<A, BroadcastAction>) {
            out.bytes(a.message);
          } else if constexpr (std::is_same_v<A, chain::AppendBlockAction>) {
            out.bytes(a.block.encode());
          } else if constexpr (std::is_same_v<A, chain::PersistAction>) {
            out.string(a.key);
            out.bytes(a.value);
          } else if constexpr (std::is_same_v<A, chain::SetTimerAction>) {
            out.u32(a.id);
            out.u64(a.at_ms);
          } else if constexpr (std::is_same_v<A, chain::CancelTimerAction>) {
            out.u32(a.id);
          } else if constexpr (std::is_same_v<A, chain::FetchBlocksAction>) {
            out.u32(a.peer);
            out.u64(a.from_height);
            out.u32(a.max_blocks);
          } else {
            // The PBFT replica emits no other action kinds; a change there shows up here.
            out.string("other");
          }
        },
        action);
  }
  return out.take();
}

// A real, honest replica on a fresh chain, with its own mempool.
struct HonestReplica {
  chain::Mempool mempool;
  std::unique_ptr<Replica> replica;

  explicit HonestReplica(ReplicaIndex index) {
    const World& w = world();
    ReplicaConfig config{w.genesis, w.validators[index], 0, 0, {}};
    auto created = Replica::create(std::move(config), mempool,
                                   ReplicaRecovery{w.genesis_state(), w.parent, std::nullopt});
    REQUIRE(created.ok());
    replica = std::move(created).value();
  }
  // Whether the replica answers `bytes` from `from` with a PREPARE for `digest`.
  bool prepares(ReplicaIndex from, const Bytes& bytes, const crypto::Hash256& digest,
                chain::TimeMs now) {
    for (const Sent& sent : messages(replica->on_message(from, bytes, now))) {
      Message message = decoded(sent.bytes);
      const auto* prepare = std::get_if<Signed<Prepare>>(&message);
      if (prepare != nullptr && prepare->body.digest == digest)
        return true;
    }
    return false;
  }
};

chain::PersistAction persist() {
  return chain::PersistAction{"pbft/votes", Bytes{1, 2, 3}};
}

}  // namespace

TEST_CASE("adversary kinds have names and parse from a comma-separated list", "[adversary]") {
  for (AdversaryKind kind :
       {AdversaryKind::kSilent, AdversaryKind::kEquivocate, AdversaryKind::kForgeSignature,
        AdversaryKind::kWrongDigest, AdversaryKind::kReplay, AdversaryKind::kDoubleVote,
        AdversaryKind::kInvalidBlock, AdversaryKind::kSlowPrimary, AdversaryKind::kFlood,
        AdversaryKind::kTamperViewChange}) {
    auto parsed = parse_adversary_kinds(to_string(kind));
    REQUIRE(parsed.ok());
    CHECK(*parsed == std::vector<AdversaryKind>{kind});
  }
  CHECK(std::string(to_string(AdversaryKind::kForgeSignature)) == "forge-signature");

  auto two = parse_adversary_kinds("equivocate,slow-primary");
  REQUIRE(two.ok());
  CHECK(*two ==
        std::vector<AdversaryKind>{AdversaryKind::kEquivocate, AdversaryKind::kSlowPrimary});
  auto spaced = parse_adversary_kinds(" silent , flood ");
  REQUIRE(spaced.ok());
  CHECK(*spaced == std::vector<AdversaryKind>{AdversaryKind::kSilent, AdversaryKind::kFlood});

  auto bogus = parse_adversary_kinds("bogus");
  REQUIRE_FALSE(bogus.ok());
  CHECK_THAT(bogus.message(), Catch::Contains("'bogus'") && Catch::Contains("slow-primary"));
  auto later = parse_adversary_kinds("silent,Flood");
  REQUIRE_FALSE(later.ok());
  CHECK_THAT(later.message(), Catch::Contains("'Flood'"));
  CHECK_FALSE(parse_adversary_kinds("").ok());
  CHECK_FALSE(parse_adversary_kinds("silent,,flood").ok());
  CHECK_FALSE(parse_adversary_kinds("silent,").ok());
  CHECK_THAT(parse_adversary_kinds("replay,replay").message(), Catch::Contains("twice"));
}

TEST_CASE("an adversary with no kinds is the honest engine", "[adversary]") {
  const World& w = world();
  Actions honest{persist(), BroadcastAction{w.pre_prepare()}, SendAction{2, w.commit(0)},
                 chain::SetTimerAction{2, 500}};
  Harness harness({honest}, w.options({}));
  CHECK(dump(harness.step()) == dump(honest));
}

TEST_CASE("silent drops every message and keeps everything else", "[adversary]") {
  const World& w = world();
  chain::AppendBlockAction commit_block{w.block, {}, {}};
  Harness harness(
      {{persist(), BroadcastAction{w.prepare(0)}, commit_block, chain::SetTimerAction{2, 500},
        SendAction{1, w.commit(0)}, chain::FetchBlocksAction{3, 1, 10}}},
      w.options({AdversaryKind::kSilent}));
  Actions out = harness.step();
  CHECK(messages(out).empty());
  CHECK(dump(out) == dump({persist(), commit_block, chain::SetTimerAction{2, 500},
                           chain::FetchBlocksAction{3, 1, 10}}));
}

TEST_CASE("equivocate sends two valid blocks to disjoint halves and splits votes", "[adversary]") {
  const World& w = world();
  Harness harness({{persist(), BroadcastAction{w.pre_prepare()}}, {BroadcastAction{w.commit(0)}}},
                  w.options({AdversaryKind::kEquivocate}));
  Actions out = harness.step();
  REQUIRE(out.size() == 4);
  CHECK(std::holds_alternative<chain::PersistAction>(out[0]));  // still before any message

  std::map<ReplicaIndex, crypto::Hash256> block_for;
  std::set<crypto::Hash256> hashes;
  for (const Sent& sent : messages(out)) {
    REQUIRE(sent.to.has_value());
    Message message = decoded(sent.bytes);
    const auto* pre_prepare = std::get_if<Signed<PrePrepare>>(&message);
    REQUIRE(pre_prepare != nullptr);
    CHECK(signed_validly(message));
    CHECK(pre_prepare->body.view == 0);
    CHECK(pre_prepare->body.sequence == 1);
    // Both versions are valid blocks on the same parent.
    const chain::Block& block = pre_prepare->body.block;
    CHECK(block.header.height == 1);
    CHECK(block.header.prev_hash == w.parent.hash());
    chain::State state = w.genesis_state();
    CHECK(state.apply_block(block).ok());
    CHECK(block_for.emplace(*sent.to, block.hash()).second);  // each peer gets one version
    hashes.insert(block.hash());
  }
  CHECK(block_for.size() == kValidators - 1);
  CHECK(block_for.count(0) == 0);
  REQUIRE(hashes.size() == 2);
  CHECK(hashes.count(w.block.hash()) == 1);

  // The primary's COMMIT follows the same split: each peer is told the block it was sent.
  Actions votes = harness.step();
  REQUIRE(messages(votes).size() == kValidators - 1);
  for (const Sent& sent : messages(votes)) {
    Message message = decoded(sent.bytes);
    const auto* commit = std::get_if<Signed<Commit>>(&message);
    REQUIRE(commit != nullptr);
    CHECK(signed_validly(message));
    CHECK(commit->body.digest == block_for.at(*sent.to));
  }

  // The wrapper reports what it did, so a live test can check the attack happened.
  nlohmann::json acts = harness.engine->consensus_dump(100)["adversary"]["equivocate"];
  CHECK(acts["conflicting_proposals"] == 1);
  CHECK(acts["conflicting_votes"] == 1);
}

TEST_CASE("an honest-looking wrapper reports no Byzantine acts", "[adversary]") {
  const World& w = world();
  Harness harness({{BroadcastAction{w.prepare(0)}}}, w.options({AdversaryKind::kSilent}));
  harness.step();
  CHECK(harness.engine->consensus_dump(100)["adversary"] == nlohmann::json::object());
}

TEST_CASE("equivocate as a backup splits its votes between two digests", "[adversary]") {
  const World& w = world();
  Harness harness({{BroadcastAction{w.prepare(1)}}, {SendAction{2, w.commit(1)}}},
                  w.options({AdversaryKind::kEquivocate}, 1));
  std::map<ReplicaIndex, crypto::Hash256> digest_for;
  for (const Sent& sent : messages(harness.step())) {
    REQUIRE(sent.to.has_value());
    CHECK(*sent.to != 1);
    Message message = decoded(sent.bytes);
    CHECK(signed_validly(message));
    digest_for[*sent.to] = std::get<Signed<Prepare>>(message).body.digest;
  }
  REQUIRE(digest_for.size() == kValidators - 1);
  std::set<crypto::Hash256> digests;
  for (const auto& entry : digest_for)
    digests.insert(entry.second);
  CHECK(digests.size() == 2);
  CHECK(digests.count(w.block.hash()) == 1);

  // A vote sent to one peer gets the version that peer was given for the slot.
  std::vector<Sent> commit = messages(harness.step());
  REQUIRE(commit.size() == 1);
  CHECK(commit[0].to == std::optional<ReplicaIndex>(2));
  CHECK(std::get<Signed<Commit>>(decoded(commit[0].bytes)).body.digest == digest_for.at(2));
}

TEST_CASE("tamper-view-change swaps a prepared block's transactions, and validation catches it",
          "[adversary]") {
  const World& w = world();
  // Replica 1's honest VIEW-CHANGE to view 1: block 1 prepared in view 0 (the primary's
  // pre-prepare and the prepares of replicas 1 and 2).
  auto signed_by = [&](ReplicaIndex i, auto body) {
    return sign(w.validators[i], i, chain::SigningDomain::of(*w.genesis), std::move(body));
  };
  PreparedCertificate prepared{
      signed_by(0, PrePrepare{0, 1, w.block}),
      {signed_by(1, Prepare{0, 1, w.block.hash()}), signed_by(2, Prepare{0, 1, w.block.hash()})}};
  ViewChange body{1, 0, {}, w.parent.header, std::nullopt, {prepared}};
  auto honest = signed_by(1, body);
  REQUIRE(validate_view_change(honest, w.genesis->validators, chain::SigningDomain::of(*w.genesis),
                               w.genesis->pbft));

  Harness harness({{BroadcastAction{encode(honest)}}},
                  w.options({AdversaryKind::kTamperViewChange}, 1));
  std::vector<Sent> sent = messages(harness.step());
  REQUIRE(sent.size() == 1);
  Message message = decoded(sent[0].bytes);
  const auto& tampered = std::get<Signed<ViewChange>>(message);
  // The attack happened: validly signed, same header and digest, one transaction fewer.
  CHECK(signed_validly(message));
  const chain::Block& block = tampered.body.prepared.at(0).pre_prepare.body.block;
  CHECK(block.hash() == w.block.hash());
  CHECK(block.transactions.size() == w.block.transactions.size() - 1);
  CHECK(harness.engine->consensus_dump(
            100)["adversary"]["tamper-view-change"]["view_changes_tampered"] == 1);
  // And it is caught before a new primary could re-propose it.
  auto verdict = validate_view_change(tampered, w.genesis->validators,
                                      chain::SigningDomain::of(*w.genesis), w.genesis->pbft);
  REQUIRE_FALSE(verdict);
  CHECK(verdict.message().find("tx_root") != std::string::npos);

  // An attached commit certificate is refused as well.
  ViewChange with_certificate = body;
  with_certificate.prepared[0].pre_prepare.body.block.certificate =
      chain::CommitCertificate{0, 1, w.block.hash(), {}};
  auto refused = validate_view_change(signed_by(1, with_certificate), w.genesis->validators,
                                      chain::SigningDomain::of(*w.genesis), w.genesis->pbft);
  REQUIRE_FALSE(refused);
  CHECK(refused.message().find("commit certificate") != std::string::npos);
}

TEST_CASE("a view-change carrying a block past the genesis limits is refused before any signature",
          "[adversary][view-change]") {
  const World& w = world();
  const chain::SigningDomain domain = chain::SigningDomain::of(*w.genesis);
  auto signed_by = [&](ReplicaIndex i, auto body) {
    return sign(w.validators[i], i, domain, std::move(body));
  };
  PreparedCertificate prepared{
      signed_by(0, PrePrepare{0, 1, w.block}),
      {signed_by(1, Prepare{0, 1, w.block.hash()}), signed_by(2, Prepare{0, 1, w.block.hash()})}};
  ViewChange body{1, 0, {}, w.parent.header, std::nullopt, {prepared}};
  const auto message = signed_by(1, body);
  REQUIRE(validate_view_change(message, w.genesis->validators, domain, w.genesis->pbft));

  // The same, validly signed certificate, against limits its block exceeds by one.
  REQUIRE(w.block.transactions.size() > 1);
  chain::PbftParams fewer = w.genesis->pbft;
  fewer.max_block_transactions = w.block.transactions.size() - 1;
  auto by_count = validate_view_change(message, w.genesis->validators, domain, fewer);
  REQUIRE_FALSE(by_count);
  CHECK(by_count.message().find("more transactions") != std::string::npos);
  chain::PbftParams smaller = w.genesis->pbft;
  smaller.max_block_bytes = w.block.encode().size() - 1;
  auto by_bytes = validate_view_change(message, w.genesis->validators, domain, smaller);
  REQUIRE_FALSE(by_bytes);
  CHECK(by_bytes.message().find("larger") != std::string::npos);

  // The size is judged first: with a broken signature, the refusal still names the size.
  auto forged = message;
  forged.signature.data[0] ^= 1;
  auto first = validate_view_change(forged, w.genesis->validators, domain, fewer);
  REQUIRE_FALSE(first);
  CHECK(first.message().find("more transactions") != std::string::npos);
}

TEST_CASE("forge-signature corrupts every signature and nothing else", "[adversary]") {
  const World& w = world();
  Actions honest{persist(), BroadcastAction{w.pre_prepare()}, SendAction{3, w.prepare(0)},
                 BroadcastAction{w.commit(0)}};
  Harness harness({honest}, w.options({AdversaryKind::kForgeSignature}));
  Actions out = harness.step();
  std::vector<Sent> original = messages(honest);
  std::vector<Sent> forged = messages(out);
  REQUIRE(forged.size() == original.size());
  CHECK(std::holds_alternative<chain::PersistAction>(out[0]));
  for (std::size_t i = 0; i < forged.size(); ++i) {
    CHECK(forged[i].to == original[i].to);
    CHECK(forged[i].bytes != original[i].bytes);
    REQUIRE(forged[i].bytes.size() == original[i].bytes.size());
    // Only the trailing 64-byte signature differs.
    std::size_t body = original[i].bytes.size() - 64;
    CHECK(std::equal(forged[i].bytes.begin(), forged[i].bytes.begin() + body,
                     original[i].bytes.begin()));
    CHECK_FALSE(signed_validly(decoded(forged[i].bytes)));
  }
}

TEST_CASE("wrong-digest re-signs votes with random digests", "[adversary]") {
  const World& w = world();
  Harness harness({{BroadcastAction{w.pre_prepare()}, BroadcastAction{w.prepare(0)},
                    SendAction{2, w.commit(0)}, BroadcastAction{w.commit(3)}}},
                  w.options({AdversaryKind::kWrongDigest}));
  std::vector<Sent> out = messages(harness.step());
  REQUIRE(out.size() == 4);
  CHECK(out[0].bytes == w.pre_prepare());  // proposals are left alone
  for (std::size_t i : {1, 2}) {
    Message message = decoded(out[i].bytes);
    CHECK(signed_validly(message));
    CHECK(sender_of(message) == 0);
    std::visit(
        [&](const auto& m) {
          using Body = std::decay_t<decltype(m.body)>;
          if constexpr (std::is_same_v<Body, Prepare> || std::is_same_v<Body, Commit>) {
            CHECK(m.body.digest != w.block.hash());
            CHECK(m.body.sequence == 1);
          } else {
            FAIL("not a vote");
          }
        },
        message);
  }
  CHECK(out[2].to == std::optional<ReplicaIndex>(2));
  CHECK(out[3].bytes == w.commit(3));  // someone else's vote is relayed untouched
}

TEST_CASE("double-vote follows each vote with a conflicting one", "[adversary]") {
  const World& w = world();
  Harness harness({{persist(), BroadcastAction{w.prepare(2)}, BroadcastAction{w.commit(2)}}},
                  w.options({AdversaryKind::kDoubleVote}, 2));
  Actions out = harness.step();
  std::vector<Sent> sent = messages(out);
  REQUIRE(sent.size() == 4);
  CHECK(sent[0].bytes == w.prepare(2));
  CHECK(sent[2].bytes == w.commit(2));
  for (std::size_t i : {1, 3}) {
    CHECK_FALSE(sent[i].to.has_value());  // to everyone
    Message message = decoded(sent[i].bytes);
    CHECK(signed_validly(message));
    CHECK(sender_of(message) == 2);
    CHECK(type_of(message) == type_of(decoded(sent[i - 1].bytes)));
  }
  auto prepare = std::get<Signed<Prepare>>(decoded(sent[1].bytes)).body;
  CHECK(prepare.view == 0);
  CHECK(prepare.sequence == 1);
  CHECK(prepare.digest != w.block.hash());
  auto commit = std::get<Signed<Commit>>(decoded(sent[3].bytes)).body;
  CHECK(commit.sequence == 1);
  CHECK(commit.digest != w.block.hash());
}

TEST_CASE("invalid-block proposes correctly signed blocks that fail validation", "[adversary]") {
  const World& w = world();
  std::deque<Actions> script;
  for (std::uint64_t view = 0; view < 5; ++view)
    script.push_back({BroadcastAction{w.pre_prepare(view)}});
  script.push_back({SendAction{1, w.pre_prepare(0)}});  // a retransmission of view 0's
  Harness harness(script, w.options({AdversaryKind::kInvalidBlock}));

  std::vector<std::string> defects;
  Bytes first;
  for (std::uint64_t view = 0; view < 5; ++view) {
    std::vector<Sent> out = messages(harness.step());
    REQUIRE(out.size() == 1);
    CHECK_FALSE(out[0].to.has_value());
    if (view == 0)
      first = out[0].bytes;
    Message message = decoded(out[0].bytes);
    CHECK(signed_validly(message));
    const PrePrepare& body = std::get<Signed<PrePrepare>>(message).body;
    CHECK(body.view == view);
    CHECK(body.sequence == 1);
    const chain::Block& block = body.block;
    CHECK(block.hash() != w.block.hash());

    chain::State state = w.genesis_state();
    Result<chain::StateDiff> applied = state.apply_block(block);
    if (!applied.ok()) {
      defects.push_back(applied.message());
    } else if (block.header.height != w.parent.header.height + 1) {
      defects.push_back("height");
    } else if (block.header.prev_hash != w.parent.hash()) {
      defects.push_back("prev_hash");
    } else {
      FAIL("block " << view << " is valid");
    }
  }
  REQUIRE(defects.size() == 5);
  CHECK_THAT(defects[0], Catch::Contains("bad_signature"));
  CHECK_THAT(defects[1], Catch::Contains("bad_nonce"));
  CHECK_THAT(defects[2], Catch::Contains("tx_root"));
  CHECK(defects[3] == "height");
  CHECK(defects[4] == "prev_hash");

  std::vector<Sent> again = messages(harness.step());
  REQUIRE(again.size() == 1);
  CHECK(again[0].to == std::optional<ReplicaIndex>(1));
  CHECK(again[0].bytes == first);
}

TEST_CASE("slow-primary holds pre-prepares until its own timer fires", "[adversary]") {
  const World& w = world();
  AdversaryOptions options = w.options({AdversaryKind::kSlowPrimary});
  options.slow_delay_ms = 1500;
  Harness harness({{persist(), BroadcastAction{w.pre_prepare()}, BroadcastAction{w.commit(0)}},
                   {chain::SetTimerAction{1, 900}}},
                  std::move(options));
  Actions out = harness.step(100);
  REQUIRE(out.size() == 3);
  CHECK(std::holds_alternative<chain::PersistAction>(out[0]));
  REQUIRE(std::holds_alternative<BroadcastAction>(out[1]));
  CHECK(std::get<BroadcastAction>(out[1]).message == w.commit(0));
  REQUIRE(std::holds_alternative<chain::SetTimerAction>(out[2]));
  const chain::SetTimerAction timer = std::get<chain::SetTimerAction>(out[2]);
  CHECK(timer.id >= kAdversaryTimerBase);
  CHECK(timer.at_ms == 1600);

  // The honest engine's timers are its own business.
  Actions honest_timer = harness.engine->on_timer(2, 800);
  CHECK(*harness.honest_timers == std::vector<std::uint32_t>{2});
  CHECK(dump(honest_timer) == dump({chain::SetTimerAction{1, 900}}));

  Actions released = harness.engine->on_timer(timer.id, 1600);
  CHECK(*harness.honest_timers == std::vector<std::uint32_t>{2});  // not forwarded
  CHECK(dump(released) == dump({BroadcastAction{w.pre_prepare()}}));
  CHECK(harness.engine->on_timer(timer.id, 1700).empty());  // released only once
}

TEST_CASE("slow-primary waits nine tenths of the view-change timeout by default", "[adversary]") {
  const World& w = world();
  Harness harness({{BroadcastAction{w.pre_prepare()}}}, w.options({AdversaryKind::kSlowPrimary}));
  Actions out = harness.step(100);
  REQUIRE(out.size() == 1);
  REQUIRE(std::holds_alternative<chain::SetTimerAction>(out[0]));
  CHECK(std::get<chain::SetTimerAction>(out[0]).at_ms ==
        100 + w.genesis->pbft.view_change_timeout_ms * 9 / 10);
}

TEST_CASE("flood sends bounded junk that honest replicas reject", "[adversary]") {
  const World& w = world();
  Harness harness({{BroadcastAction{w.prepare(0)}}, {persist()}},
                  w.options({AdversaryKind::kFlood}));
  for (int round = 0; round < 20; ++round) {
    Harness fresh({{BroadcastAction{w.prepare(0)}}},
                  w.options({AdversaryKind::kFlood}, 0, static_cast<std::uint64_t>(round)));
    Actions out = fresh.step();
    std::vector<Sent> sent = messages(out);
    REQUIRE(sent.size() == 21);
    CHECK(sent[0].bytes == w.prepare(0));
    for (std::size_t i = 1; i < sent.size(); ++i) {
      REQUIRE(sent[i].to.has_value());
      CHECK(*sent[i].to != 0);
      CHECK(*sent[i].to < kValidators);
      Result<Message> message = decode_message(sent[i].bytes);
      if (message.ok())
        CHECK_FALSE(signed_validly(*message));
    }
  }
  CHECK(messages(harness.step()).size() == 21);
  // No honest traffic, no junk: two flooders cannot keep each other busy.
  CHECK(dump(harness.step()) == dump({persist()}));
}

TEST_CASE("replay re-sends messages from earlier calls", "[adversary]") {
  const World& w = world();
  Harness harness({{BroadcastAction{w.prepare(0, 0)}},
                   {BroadcastAction{w.commit(0, 0)}},
                   {BroadcastAction{w.prepare(0, 1)}},
                   {persist()}},
                  w.options({AdversaryKind::kReplay}));
  // Nothing to replay yet.
  CHECK(dump(harness.step()) == dump({BroadcastAction{w.prepare(0, 0)}}));

  std::vector<Sent> second = messages(harness.step());
  REQUIRE(second.size() == 3);
  CHECK(second[0].bytes == w.commit(0, 0));
  for (std::size_t i = 1; i < 3; ++i) {
    CHECK_FALSE(second[i].to.has_value());
    CHECK(second[i].bytes == w.prepare(0, 0));
  }

  std::vector<Sent> third = messages(harness.step());
  REQUIRE(third.size() == 3);
  CHECK(third[0].bytes == w.prepare(0, 1));
  for (std::size_t i = 1; i < 3; ++i) {
    CHECK((third[i].bytes == w.prepare(0, 0) || third[i].bytes == w.commit(0, 0)));
  }
  CHECK(dump(harness.step()) == dump({persist()}));  // nothing sent, nothing replayed
}

TEST_CASE("kinds compose in list order", "[adversary]") {
  const World& w = world();
  Harness harness({{BroadcastAction{w.prepare(0)}}},
                  w.options({AdversaryKind::kWrongDigest, AdversaryKind::kForgeSignature}));
  std::vector<Sent> out = messages(harness.step());
  REQUIRE(out.size() == 1);
  Message message = decoded(out[0].bytes);
  CHECK(std::get<Signed<Prepare>>(message).body.digest != w.block.hash());
  CHECK_FALSE(signed_validly(message));

  Harness quiet({{BroadcastAction{w.prepare(0)}}},
                w.options({AdversaryKind::kDoubleVote, AdversaryKind::kSilent}));
  CHECK(quiet.step().empty());
}

TEST_CASE("the same seed gives the same behaviour", "[adversary]") {
  const World& w = world();
  std::vector<AdversaryKind> kinds{AdversaryKind::kEquivocate, AdversaryKind::kDoubleVote,
                                   AdversaryKind::kReplay, AdversaryKind::kFlood};
  auto run = [&](std::uint64_t seed) {
    std::deque<Actions> script{{persist(), BroadcastAction{w.pre_prepare()}},
                               {BroadcastAction{w.commit(0)}},
                               {BroadcastAction{w.prepare(0, 1)}}};
    Harness harness(script, w.options(kinds, 0, seed));
    Bytes all;
    for (int i = 0; i < 3; ++i)
      append(all, dump(harness.step()));
    return all;
  };
  CHECK(run(42) == run(42));
  CHECK(run(42) != run(43));
}

TEST_CASE("equivocating replica proposes two blocks honest backups both accept", "[adversary]") {
  const World& w = world();
  const chain::TimeMs now = w.genesis->genesis_time_ms + 1000;
  auto primary = std::make_unique<HonestReplica>(0);
  for (const chain::Transaction& tx : w.block.transactions) {
    REQUIRE_FALSE(primary->mempool.add(tx, tx.hash(), w.genesis_state()).has_value());
  }
  std::unique_ptr<chain::Engine> engine =
      wrap_adversary(std::move(primary->replica), w.options({AdversaryKind::kEquivocate}));
  Actions out = engine->start(now);
  for (chain::TimeMs t = now; t < now + 50 && messages(out).empty(); t += 1) {
    Actions more = engine->on_timer(Replica::kBatchTimer, t);
    out.insert(out.end(), more.begin(), more.end());
  }

  std::map<std::size_t, Bytes> by_size;  // transactions in the block -> its pre-prepare
  std::set<ReplicaIndex> peers;
  bool persisted = false;
  for (const Action& action : out) {
    if (std::holds_alternative<chain::PersistAction>(action))
      persisted = true;
    const auto* send = std::get_if<SendAction>(&action);
    if (send == nullptr)
      continue;
    CHECK(persisted);  // the honest engine's persist still comes first
    Message message = decoded(send->message);
    REQUIRE(std::holds_alternative<Signed<PrePrepare>>(message));
    CHECK(signed_validly(message));
    by_size[std::get<Signed<PrePrepare>>(message).body.block.transactions.size()] = send->message;
    peers.insert(send->to);
  }
  CHECK(peers == std::set<ReplicaIndex>{1, 2, 3});
  // Version B leaves out the last transaction and recomputes both roots.
  REQUIRE(by_size.size() == 2);
  REQUIRE(by_size.count(3) == 1);
  REQUIRE(by_size.count(2) == 1);
  for (const auto& [size, bytes] : by_size) {
    HonestReplica backup(1);
    crypto::Hash256 digest = std::get<Signed<PrePrepare>>(decoded(bytes)).body.block.hash();
    CHECK(backup.prepares(0, bytes, digest, now));
    CHECK(backup.replica->counters().invalid_proposals == 0);
  }
}

TEST_CASE("honest replicas reject every invalid-block proposal", "[adversary]") {
  const World& w = world();
  const chain::TimeMs now = w.genesis->genesis_time_ms + 1000;
  // Sanity: the honest proposal is accepted.
  CHECK(HonestReplica(1).prepares(0, w.pre_prepare(), w.block.hash(), now));
  for (std::uint64_t defect = 0; defect < 5; ++defect) {
    std::deque<Actions> script;
    for (std::uint64_t j = 0; j < defect; ++j)
      script.push_back({BroadcastAction{w.pre_prepare(10 + j)}});
    script.push_back({BroadcastAction{w.pre_prepare(0)}});
    Harness harness(script, w.options({AdversaryKind::kInvalidBlock}));
    std::vector<Sent> sent;
    for (std::uint64_t j = 0; j <= defect; ++j)
      sent = messages(harness.step());
    REQUIRE(sent.size() == 1);
    const Bytes& bytes = sent[0].bytes;
    HonestReplica backup(1);
    CHECK_FALSE(backup.prepares(
        0, bytes, std::get<Signed<PrePrepare>>(decoded(bytes)).body.block.hash(), now));
    CHECK(backup.replica->counters().invalid_proposals == 1);
    CHECK(backup.replica->counters().dropped[static_cast<int>(DropReason::kBadSignature)] == 0);
  }
}
