// node/transport: framing, the handshake state machine and its encrypted sessions, the log
// limiter, and PeerManager over 127.0.0.1 (several managers in one io_context).
//
// This binary replaces the global operator new to record the largest single allocation, so
// a test can show that a forged frame length never sizes a buffer.
#include <catch2/catch.hpp>

#include <atomic>
#include <boost/asio.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <limits>
#include <new>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "node/transport/frame.h"
#include "node/transport/handshake.h"
#include "node/transport/handshake_throttle.h"
#include "node/transport/host_port.h"
#include "node/transport/log_limiter.h"
#include "node/transport/peer_manager.h"
#include "tests/support/test_keys.h"

namespace {
std::atomic<std::size_t> g_largest_allocation{0};
}  // namespace

void* operator new(std::size_t size) {
  std::size_t seen = g_largest_allocation.load(std::memory_order_relaxed);
  while (size > seen && !g_largest_allocation.compare_exchange_weak(seen, size)) {
  }
  if (void* memory = std::malloc(size == 0 ? 1 : size))
    return memory;
  throw std::bad_alloc();
}
// GCC sees free() on memory from "operator new" and cannot tell that this operator new is
// the malloc-based replacement above.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void operator delete(void* memory) noexcept {
  std::free(memory);
}
void operator delete(void* memory, std::size_t) noexcept {
  std::free(memory);
}
// The nothrow forms too: a sanitizer runtime supplies every form not replaced here, and its
// nothrow new paired with the free() above is an alloc-dealloc mismatch (Catch2 uses it).
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return ::operator new(size);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
void operator delete(void* memory, const std::nothrow_t&) noexcept {
  std::free(memory);
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

using namespace synod;
using namespace synod::transport;
using chain::ReplicaIndex;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

using synod::testing::key_from;

crypto::KeyPair validator_key(std::size_t index) {
  return key_from(static_cast<std::uint8_t>(0x10 + index));
}

Bytes bytes_of(std::string_view text) {
  ByteView view = as_bytes(text);
  return Bytes(view.begin(), view.end());
}

std::string text_of(const Bytes& bytes) {
  return std::string(bytes.begin(), bytes.end());
}

// A genesis whose validator i has key validator_key(i) and listens on 127.0.0.1:ports[i].
// `keys` overrides the keys when given.
std::shared_ptr<const chain::Genesis> make_genesis(std::string chain_id,
                                                   const std::vector<std::uint16_t>& ports,
                                                   std::vector<crypto::PublicKey> keys = {}) {
  std::vector<chain::ValidatorInfo> validators;
  for (std::size_t i = 0; i < ports.size(); ++i) {
    crypto::PublicKey key = i < keys.size() ? keys[i] : validator_key(i).public_key();
    validators.push_back(
        {"validator-" + std::to_string(i), key, "127.0.0.1:" + std::to_string(ports[i]), 1});
  }
  auto genesis = std::make_shared<chain::Genesis>();
  genesis->chain_id = std::move(chain_id);
  genesis->validators = chain::ValidatorSet(std::move(validators));
  return genesis;
}

// Ports free right now (bound together so they differ, then released).
std::vector<std::uint16_t> free_ports(std::size_t count) {
  asio::io_context io;
  std::vector<tcp::acceptor> acceptors;
  std::vector<std::uint16_t> ports;
  for (std::size_t i = 0; i < count; ++i) {
    acceptors.emplace_back(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    ports.push_back(acceptors.back().local_endpoint().port());
  }
  return ports;
}

// Runs `io` in short slices until `done` or the deadline; never sleeps unbounded.
bool run_until(asio::io_context& io, const std::function<bool()>& done,
               std::chrono::milliseconds timeout = 15s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline)
      return false;
    io.restart();
    io.run_for(5ms);
  }
  return true;
}

void run_for(asio::io_context& io, std::chrono::milliseconds duration) {
  auto deadline = std::chrono::steady_clock::now() + duration;
  while (std::chrono::steady_clock::now() < deadline) {
    io.restart();
    io.run_for(5ms);
  }
}

}  // namespace

// ---- framing ------------------------------------------------------------------------------

TEST_CASE("frames survive any split and merge of the byte stream", "[unit][transport]") {
  std::vector<Bytes> frames = {bytes_of("a"), Bytes(300, 0x5a), bytes_of("hello"),
                               Bytes(1024, 0x01)};
  Bytes stream;
  for (const Bytes& frame : frames)
    append_frame(stream, frame);
  CHECK(encode_frame(frames[2]) == Bytes({5, 0, 0, 0, 'h', 'e', 'l', 'l', 'o'}));

  for (std::size_t chunk : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{7},
                            std::size_t{64}, std::size_t{301}, stream.size()}) {
    FrameDecoder decoder(1024);
    std::vector<Bytes> got;
    for (std::size_t at = 0; at < stream.size(); at += chunk) {
      decoder.feed(ByteView(stream).subspan(at, std::min(chunk, stream.size() - at)));
      while (auto frame = decoder.next())
        got.push_back(std::move(*frame));
    }
    INFO("chunk size " << chunk);
    CHECK(got == frames);
    CHECK_FALSE(decoder.failed());
    CHECK(decoder.buffered_bytes() == 0);
  }
}

TEST_CASE("an oversized length is rejected before anything is allocated", "[unit][transport]") {
  FrameDecoder decoder(1 << 20);
  g_largest_allocation = 0;
  decoder.feed(Bytes{0xff, 0xff, 0xff, 0x7f, 1, 2, 3});
  CHECK_FALSE(decoder.next());
  const std::size_t largest = g_largest_allocation;
  CHECK(largest < 4096);
  CHECK(decoder.failed());
  CHECK(decoder.error() == FrameError::kOversized);
  CHECK(decoder.rejected_length() == 0x7fffffffu);
  CHECK(decoder.error_message() == "frame length 2147483647 exceeds the maximum 1048576");
  // A failed decoder stays failed.
  decoder.feed(encode_frame(bytes_of("ok")));
  CHECK_FALSE(decoder.next());
  CHECK(decoder.error() == FrameError::kOversized);
}

// Found by the frame fuzz target: the rejected header was still counted as buffered.
TEST_CASE("a failed decoder holds no bytes", "[unit][transport]") {
  FrameDecoder decoder(64);
  decoder.feed(Bytes{0xff, 0, 0, 0, 1, 2});
  CHECK_FALSE(decoder.next());
  REQUIRE(decoder.failed());
  CHECK(decoder.buffered_bytes() == 0);
}

TEST_CASE("a frame's buffer grows only with the bytes that arrive", "[unit][transport]") {
  FrameDecoder decoder(std::numeric_limits<std::uint32_t>::max());
  g_largest_allocation = 0;
  decoder.feed(Bytes{0x00, 0x00, 0x00, 0xf0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
  CHECK_FALSE(decoder.next());
  const std::size_t largest = g_largest_allocation;
  CHECK(largest <= 64 * 1024);  // a claimed 3.75 GiB frame costs no more than this
  CHECK_FALSE(decoder.failed());
  CHECK(decoder.buffered_bytes() == 14);
}

TEST_CASE("a zero-length frame is an error", "[unit][transport]") {
  FrameDecoder decoder(64);
  Bytes stream = encode_frame(bytes_of("first"));
  append(stream, Bytes{0, 0, 0, 0});
  append_frame(stream, bytes_of("never"));
  decoder.feed(stream);
  auto first = decoder.next();
  REQUIRE(first);
  CHECK(text_of(*first) == "first");
  CHECK_FALSE(decoder.next());
  CHECK(decoder.error() == FrameError::kEmpty);
  CHECK(std::string(to_string(FrameError::kEmpty)) == "empty frame");
}

TEST_CASE("the frame limit can change between frames of one chunk", "[unit][transport]") {
  FrameDecoder decoder(8);
  Bytes stream = encode_frame(bytes_of("tiny"));
  append_frame(stream, Bytes(20, 0x33));
  decoder.feed(stream);
  auto first = decoder.next();
  REQUIRE(first);
  CHECK(first->size() == 4);
  decoder.set_max_frame_bytes(64);
  auto second = decoder.next();
  REQUIRE(second);
  CHECK(*second == Bytes(20, 0x33));
}

// ---- handshake and sessions ---------------------------------------------------------------

namespace {

std::vector<std::uint16_t> dummy_ports(std::size_t n) {
  std::vector<std::uint16_t> ports;
  for (std::size_t i = 0; i < n; ++i)
    ports.push_back(static_cast<std::uint16_t>(26600 + i));
  return ports;
}

HandshakeParams params(std::shared_ptr<const chain::Genesis> genesis, crypto::KeyPair key,
                       HandshakeRole role,
                       std::optional<ReplicaIndex> expected_peer = std::nullopt) {
  return HandshakeParams{std::move(genesis), std::move(key), role, expected_peer};
}

struct Outcome {
  std::optional<HandshakeRefusal> refusal;
  bool refused_by_initiator = false;
  std::string detail;
  std::vector<Bytes> initiator_sent;  // every message the initiator sent, in order
};

// Moves messages between the two sides until both are complete or one refuses. `tamper`
// may rewrite each message in flight (from_initiator, message index on that side).
using Tamper = std::function<void(bool from_initiator, std::size_t index, Bytes& message)>;

Outcome exchange(Handshake& initiator, Handshake& responder, const Tamper& tamper = {}) {
  Outcome outcome;
  std::vector<Bytes> to_responder = {initiator.hello()};
  std::vector<Bytes> to_initiator = {responder.hello()};
  std::size_t sent_by_initiator = 0;
  std::size_t sent_by_responder = 0;
  for (int round = 0; round < 4 && (!to_responder.empty() || !to_initiator.empty()); ++round) {
    std::vector<Bytes> next_to_responder;
    std::vector<Bytes> next_to_initiator;
    for (Bytes& message : to_responder) {
      if (tamper)
        tamper(true, sent_by_initiator, message);
      ++sent_by_initiator;
      outcome.initiator_sent.push_back(message);
      HandshakeStep step = responder.on_message(message);
      if (step.refusal) {
        outcome.refusal = step.refusal;
        outcome.detail = step.detail;
        return outcome;
      }
      if (step.send)
        next_to_initiator.push_back(*step.send);
    }
    for (Bytes& message : to_initiator) {
      if (tamper)
        tamper(false, sent_by_responder, message);
      ++sent_by_responder;
      HandshakeStep step = initiator.on_message(message);
      if (step.refusal) {
        outcome.refusal = step.refusal;
        outcome.refused_by_initiator = true;
        outcome.detail = step.detail;
        return outcome;
      }
      if (step.send)
        next_to_responder.push_back(*step.send);
    }
    to_responder = std::move(next_to_responder);
    to_initiator = std::move(next_to_initiator);
  }
  return outcome;
}

}  // namespace

TEST_CASE("two honest validators agree on keys and talk both ways", "[unit][transport]") {
  auto genesis = make_genesis("synod-test", dummy_ports(4));
  Handshake a(params(genesis, validator_key(0), HandshakeRole::kInitiator, 2));
  Handshake b(params(genesis, validator_key(2), HandshakeRole::kResponder));
  Outcome outcome = exchange(a, b);
  REQUIRE_FALSE(outcome.refusal);
  REQUIRE(a.complete());
  REQUIRE(b.complete());
  CHECK(a.peer_index() == 2u);
  CHECK(b.peer_index() == 0u);
  CHECK(outcome.initiator_sent.size() == 2);  // HELLO, AUTH
  for (const Bytes& message : outcome.initiator_sent)
    CHECK(message.size() <= kHandshakeMaxFrameBytes);

  SecureSession from_a = a.take_session();
  SecureSession from_b = b.take_session();
  CHECK(from_a.peer_key() == validator_key(2).public_key());
  CHECK(from_b.peer_index() == 0u);
  for (int i = 0; i < 3; ++i) {
    std::string text = "a to b #" + std::to_string(i);
    Bytes sealed = from_a.seal(bytes_of(text));
    CHECK(sealed.size() == text.size() + kSealOverheadBytes);
    CHECK(sealed != bytes_of(text));
    auto opened = from_b.open(sealed);
    REQUIRE(opened);
    CHECK(text_of(*opened) == text);

    Bytes framed;
    from_b.seal_frame(framed, bytes_of("b to a"));
    FrameDecoder decoder(1024);
    decoder.feed(framed);
    auto frame = decoder.next();
    REQUIRE(frame);
    auto back = from_a.open(*frame);
    REQUIRE(back);
    CHECK(text_of(*back) == "b to a");
  }
  auto empty = from_b.open(from_a.seal({}));
  REQUIRE(empty);
  CHECK(empty->empty());
}

TEST_CASE("a handshake with another chain id is refused", "[unit][transport]") {
  auto ours = make_genesis("synod-test", dummy_ports(4));
  auto theirs = make_genesis("other-chain", dummy_ports(4));
  Handshake a(params(theirs, validator_key(0), HandshakeRole::kInitiator));
  Handshake b(params(ours, validator_key(1), HandshakeRole::kResponder));
  Outcome outcome = exchange(a, b);
  REQUIRE(outcome.refusal == HandshakeRefusal::kWrongChainId);
  CHECK(std::string(to_string(*outcome.refusal)) == "wrong chain id");
  CHECK(outcome.detail.find("other-chain") != std::string::npos);
  CHECK(b.refused());
  CHECK_FALSE(b.complete());
}

TEST_CASE("a network with our chain id and keys but another genesis is refused",
          "[unit][transport]") {
  auto ours = make_genesis("synod-test", dummy_ports(4));
  chain::Genesis copy = *ours;
  copy.genesis_time_ms += 1;  // the same validators and chain id, re-initialised
  auto theirs = std::make_shared<const chain::Genesis>(copy);
  REQUIRE(theirs->chain_id == ours->chain_id);
  REQUIRE(theirs->hash() != ours->hash());
  Handshake a(params(theirs, validator_key(0), HandshakeRole::kInitiator));
  Handshake b(params(ours, validator_key(1), HandshakeRole::kResponder));
  Outcome outcome = exchange(a, b);
  REQUIRE(outcome.refusal == HandshakeRefusal::kWrongGenesis);
  CHECK(std::string(to_string(*outcome.refusal)) == "wrong genesis");
  CHECK(outcome.detail.find("another network") != std::string::npos);
  CHECK(b.refused());
  CHECK_FALSE(b.complete());
}

TEST_CASE("a key outside the genesis validator set is refused", "[unit][transport]") {
  auto genesis = make_genesis("synod-test", dummy_ports(4));
  SECTION("an outsider") {
    Handshake a(params(genesis, key_from(0x77), HandshakeRole::kInitiator));
    Handshake b(params(genesis, validator_key(1), HandshakeRole::kResponder));
    Outcome outcome = exchange(a, b);
    REQUIRE(outcome.refusal == HandshakeRefusal::kUnknownValidator);
    CHECK(std::string(to_string(*outcome.refusal)) == "unknown validator");
  }
  SECTION("our own key") {
    Handshake a(params(genesis, validator_key(1), HandshakeRole::kInitiator));
    Handshake b(params(genesis, validator_key(1), HandshakeRole::kResponder));
    CHECK(exchange(a, b).refusal == HandshakeRefusal::kUnknownValidator);
  }
  SECTION("another validator than the one dialed") {
    Handshake a(params(genesis, validator_key(0), HandshakeRole::kInitiator, 3));
    Handshake b(params(genesis, validator_key(1), HandshakeRole::kResponder));
    Outcome outcome = exchange(a, b);
    CHECK(outcome.refusal == HandshakeRefusal::kUnexpectedPeer);
    CHECK(outcome.refused_by_initiator);
  }
}

TEST_CASE("a tampered AUTH signature is refused", "[unit][transport]") {
  auto genesis = make_genesis("synod-test", dummy_ports(4));
  Handshake a(params(genesis, validator_key(0), HandshakeRole::kInitiator));
  Handshake b(params(genesis, validator_key(1), HandshakeRole::kResponder));
  Outcome outcome = exchange(a, b, [](bool from_initiator, std::size_t index, Bytes& message) {
    if (from_initiator && index == 1)
      message[10] ^= 0x01;  // inside the signature (AUTH = kind, signature, stream header)
  });
  REQUIRE(outcome.refusal == HandshakeRefusal::kBadSignature);
  CHECK(std::string(to_string(*outcome.refusal)) == "bad handshake signature");
  CHECK_FALSE(outcome.refused_by_initiator);
}

TEST_CASE("a substituted key-exchange key is detected", "[unit][transport]") {
  // A man in the middle swaps the initiator's ephemeral key for its own: the responder's
  // check of the initiator's AUTH covers the real key and fails.
  auto genesis = make_genesis("synod-test", dummy_ports(4));
  EphemeralSecrets attacker = EphemeralSecrets::generate();
  Handshake a(params(genesis, validator_key(0), HandshakeRole::kInitiator));
  Handshake b(params(genesis, validator_key(1), HandshakeRole::kResponder));
  std::size_t kx_at = 1 + 2 + 4 + std::string("synod-test").size() + 32 + 32;
  Outcome outcome = exchange(a, b, [&](bool from_initiator, std::size_t index, Bytes& message) {
    if (from_initiator && index == 0)
      std::copy_n(attacker.kx_public_key().data.begin(), 32,
                  message.begin() + static_cast<std::ptrdiff_t>(kx_at));
  });
  CHECK(outcome.refusal == HandshakeRefusal::kBadSignature);
}

TEST_CASE("HELLO and AUTH replayed from an earlier session are refused", "[unit][transport]") {
  auto genesis = make_genesis("synod-test", dummy_ports(4));
  Handshake a1(params(genesis, validator_key(0), HandshakeRole::kInitiator));
  Handshake b1(params(genesis, validator_key(1), HandshakeRole::kResponder));
  Outcome first = exchange(a1, b1);
  REQUIRE_FALSE(first.refusal);
  REQUIRE(b1.complete());
  REQUIRE(first.initiator_sent.size() == 2);
  const Bytes& recorded_hello = first.initiator_sent[0];
  const Bytes& recorded_auth = first.initiator_sent[1];

  // The attacker, without validator 0's key, replays its recorded HELLO and AUTH to a new
  // session of validator 1, whose challenge and ephemeral key are fresh.
  Handshake b2(params(genesis, validator_key(1), HandshakeRole::kResponder));
  HandshakeStep hello_step = b2.on_message(recorded_hello);
  REQUIRE_FALSE(hello_step.refusal);
  REQUIRE(hello_step.send);  // b2 answers with its AUTH, which the attacker cannot use
  HandshakeStep auth_step = b2.on_message(recorded_auth);
  CHECK(auth_step.refusal == HandshakeRefusal::kBadSignature);
  CHECK_FALSE(b2.complete());
}

TEST_CASE("malformed and out-of-order handshake messages are refused", "[unit][transport]") {
  auto genesis = make_genesis("synod-test", dummy_ports(4));
  Handshake a(params(genesis, validator_key(0), HandshakeRole::kInitiator));
  SECTION("truncated HELLO") {
    Handshake b(params(genesis, validator_key(1), HandshakeRole::kResponder));
    Bytes hello = a.hello();
    hello.pop_back();
    CHECK(b.on_message(hello).refusal == HandshakeRefusal::kMalformed);
    // Refused is final.
    CHECK(b.on_message(a.hello()).refusal == HandshakeRefusal::kUnexpectedMessage);
  }
  SECTION("trailing bytes") {
    Handshake b(params(genesis, validator_key(1), HandshakeRole::kResponder));
    Bytes hello = a.hello();
    hello.push_back(0);
    CHECK(b.on_message(hello).refusal == HandshakeRefusal::kMalformed);
  }
  SECTION("AUTH before HELLO") {
    Handshake b(params(genesis, validator_key(1), HandshakeRole::kResponder));
    Bytes auth(1 + 64 + 24, 0);
    auth[0] = 2;
    CHECK(b.on_message(auth).refusal == HandshakeRefusal::kUnexpectedMessage);
  }
  SECTION("unknown protocol version") {
    Handshake b(params(genesis, validator_key(1), HandshakeRole::kResponder));
    Bytes hello = a.hello();
    hello[1] = 9;
    CHECK(b.on_message(hello).refusal == HandshakeRefusal::kUnsupportedVersion);
  }
  SECTION("empty and unknown kinds") {
    Handshake b(params(genesis, validator_key(1), HandshakeRole::kResponder));
    CHECK(b.on_message({}).refusal == HandshakeRefusal::kMalformed);
    Handshake c(params(genesis, validator_key(1), HandshakeRole::kResponder));
    CHECK(c.on_message(Bytes{0x42}).refusal == HandshakeRefusal::kMalformed);
  }
}

TEST_CASE("deterministic secrets give a deterministic HELLO", "[unit][transport]") {
  auto genesis = make_genesis("synod-test", dummy_ports(4));
  crypto::Seed seed;
  seed.data.fill(7);
  Challenge challenge;
  challenge.data.fill(9);
  Handshake one(params(genesis, validator_key(0), HandshakeRole::kInitiator),
                EphemeralSecrets::from_seed(seed, challenge));
  Handshake two(params(genesis, validator_key(0), HandshakeRole::kInitiator),
                EphemeralSecrets::from_seed(seed, challenge));
  CHECK(one.hello() == two.hello());
  Handshake fresh(params(genesis, validator_key(0), HandshakeRole::kInitiator));
  CHECK(fresh.hello() != one.hello());
  CHECK(one.hello().size() == 1 + 2 + 4 + 10 + 32 + 32 + 32 + 32);
}

TEST_CASE("tampered, replayed or reordered ciphertext fails to open", "[unit][transport]") {
  auto genesis = make_genesis("synod-test", dummy_ports(4));
  Handshake a(params(genesis, validator_key(0), HandshakeRole::kInitiator));
  Handshake b(params(genesis, validator_key(1), HandshakeRole::kResponder));
  REQUIRE_FALSE(exchange(a, b).refusal);
  SecureSession sender = a.take_session();
  SecureSession receiver = b.take_session();

  SECTION("a flipped bit") {
    Bytes sealed = sender.seal(bytes_of("pay 10 to carol"));
    sealed[3] ^= 0x80;
    auto opened = receiver.open(sealed);
    REQUIRE_FALSE(opened);
    CHECK(opened.message().find("decryption failed") == 0);
    // The session is dead afterwards, even for genuine messages.
    CHECK_FALSE(receiver.open(sender.seal(bytes_of("next"))));
  }
  SECTION("a replayed message") {
    Bytes sealed = sender.seal(bytes_of("once"));
    REQUIRE(receiver.open(sealed));
    CHECK_FALSE(receiver.open(sealed));
  }
  SECTION("reordered messages") {
    Bytes first = sender.seal(bytes_of("first"));
    Bytes second = sender.seal(bytes_of("second"));
    CHECK_FALSE(receiver.open(second));
    (void)first;
  }
  SECTION("too short to hold a tag") {
    CHECK_FALSE(receiver.open(Bytes(5, 0)));
  }
  SECTION("our own sealed message does not open as the peer's") {
    Bytes mine = receiver.seal(bytes_of("mine"));
    CHECK_FALSE(receiver.open(mine));
  }
}

// ---- small helpers ------------------------------------------------------------------------

TEST_CASE("host:port parsing", "[unit][transport]") {
  auto plain = parse_host_port("127.0.0.1:26600");
  REQUIRE(plain);
  CHECK(plain->host == "127.0.0.1");
  CHECK(plain->port == 26600);
  auto v6 = parse_host_port("[::1]:0");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->port == 0);
  for (const char* bad :
       {"", "localhost", ":80", "host:", "host:65536", "host:8x", "host:-1", "host:123456"}) {
    INFO(bad);
    CHECK_FALSE(parse_host_port(bad));
  }
}

TEST_CASE("the log limiter lets one line per key through per interval", "[unit][transport]") {
  LogLimiter limiter(1000);
  CHECK(limiter.admit("a", 5000, "first") == "first");
  CHECK_FALSE(limiter.admit("a", 5100, "second"));
  CHECK_FALSE(limiter.admit("a", 5999, "third"));
  CHECK(limiter.admit("b", 5999, "other key") == "other key");
  CHECK(limiter.admit("a", 6000, "fourth") == "fourth (2 similar suppressed)");
  CHECK(limiter.admit("a", 7000, "fifth") == "fifth");
  LogLimiter unlimited(0);
  CHECK(unlimited.admit("a", 1, "x") == "x");
  CHECK(unlimited.admit("a", 1, "y") == "y");
}

// ---- PeerManager on loopback --------------------------------------------------------------

namespace {

struct Received {
  ReplicaIndex from;
  std::string text;
};

// n validators on free loopback ports, managers in one io_context (this thread).
struct Cluster {
  asio::io_context io;
  std::shared_ptr<const chain::Genesis> genesis;
  PeerManagerOptions options;
  std::vector<std::vector<Received>> inbox;
  std::vector<std::string> logs;
  // Called after a message is stored in the inbox (tests that re-enter the manager).
  std::function<void(std::size_t at, ReplicaIndex from)> on_receive;
  std::vector<std::unique_ptr<PeerManager>> managers;  // null while a validator is down

  explicit Cluster(std::size_t n)
      : genesis(make_genesis("synod-test", free_ports(n))), inbox(n), managers(n) {
    options.reconnect_min_ms = 10;
    options.reconnect_max_ms = 200;
    options.handshake_timeout_ms = 3000;
    options.log_interval_ms = 0;  // every line, so tests can look for them
  }
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;
  ~Cluster() {
    for (auto& manager : managers)
      manager.reset();
  }

  std::unique_ptr<PeerManager> make(std::size_t i, std::shared_ptr<const chain::Genesis> g,
                                    crypto::KeyPair key, PeerManagerOptions o) {
    return std::make_unique<PeerManager>(
        io, std::move(g), std::move(key), std::move(o),
        [this, i](ReplicaIndex from, Bytes payload) {
          if (i < inbox.size())
            inbox[i].push_back({from, text_of(payload)});
          if (on_receive)
            on_receive(i, from);
        },
        [this, i](std::string line) { logs.push_back("[" + std::to_string(i) + "] " + line); });
  }
  void start(std::size_t i) {
    managers[i] = make(i, genesis, validator_key(i), options);
    Status status = managers[i]->start();
    INFO((status.ok() ? std::string() : status.message()));
    REQUIRE(status.ok());
  }
  void start_all() {
    for (std::size_t i = 0; i < managers.size(); ++i)
      start(i);
  }
  void kill(std::size_t i) {
    managers[i]->stop();
    managers[i].reset();
  }
  PeerManager& at(std::size_t i) { return *managers[i]; }
  bool fully_connected(std::size_t expected) const {
    for (const auto& manager : managers) {
      if (manager && manager->connected_count() != expected)
        return false;
    }
    return true;
  }
  bool has(std::size_t at, ReplicaIndex from, const std::string& text) const {
    for (const Received& message : inbox[at]) {
      if (message.from == from && message.text == text)
        return true;
    }
    return false;
  }
  bool logged(const std::string& part) const {
    for (const std::string& line : logs) {
      if (line.find(part) != std::string::npos)
        return true;
    }
    return false;
  }
  tcp::endpoint endpoint(std::size_t i) {
    return {asio::ip::address_v4::loopback(), at(i).listen_port()};
  }
};

// Established TCP connections whose local end is `port` (the accepting side of connections
// to that listener), from Linux's /proc/net/tcp; nullopt where that is unavailable.
std::optional<std::size_t> established_to(std::uint16_t listen_port) {
  std::ifstream table("/proc/net/tcp");
  if (!table)
    return std::nullopt;
  std::string line;
  std::getline(table, line);  // header
  std::size_t count = 0;
  while (std::getline(table, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state;
    fields >> slot >> local >> remote >> state;
    std::size_t colon = local.find(':');
    if (colon == std::string::npos || state != "01")  // 01 = ESTABLISHED
      continue;
    auto port = static_cast<std::uint16_t>(std::stoul(local.substr(colon + 1), nullptr, 16));
    count += port == listen_port ? 1 : 0;
  }
  return count;
}

std::shared_ptr<const Bytes> shared_text(const std::string& text) {
  return std::make_shared<const Bytes>(bytes_of(text));
}

// True once the peer closed `socket` (reads return end of stream or a reset).
bool closed_by_peer(tcp::socket& socket) {
  socket.non_blocking(true);
  std::uint8_t buffer[256];
  boost::system::error_code error;
  for (int i = 0; i < 64; ++i) {
    socket.read_some(asio::buffer(buffer), error);
    if (error == asio::error::would_block)
      return false;
    if (error)
      return true;
  }
  return false;
}

// A test-side validator speaking the protocol by hand over a plain socket.
struct RawValidator {
  tcp::socket socket;
  Handshake handshake;
  FrameDecoder decoder{kHandshakeMaxFrameBytes};
  std::optional<SecureSession> session;

  RawValidator(Cluster& cluster, std::size_t target, crypto::KeyPair key)
      : socket(cluster.io),
        handshake(HandshakeParams{cluster.genesis, std::move(key), HandshakeRole::kInitiator,
                                  static_cast<ReplicaIndex>(target)}) {
    socket.connect(cluster.endpoint(target));
  }
  void write(const Bytes& bytes) { asio::write(socket, asio::buffer(bytes)); }
  std::optional<Bytes> read_frame(asio::io_context& io) {
    std::optional<Bytes> frame;
    run_until(io, [&] {
      frame = decoder.next();
      if (frame)
        return true;
      boost::system::error_code error;
      if (socket.available(error) > 0 && !error) {
        std::uint8_t buffer[4096];
        std::size_t n = socket.read_some(asio::buffer(buffer), error);
        decoder.feed(ByteView(buffer, n));
        frame = decoder.next();
      }
      return frame.has_value();
    });
    return frame;
  }
  // Runs the handshake to completion; false on any refusal or timeout.
  bool authenticate(asio::io_context& io) {
    write(encode_frame(handshake.hello()));
    for (int i = 0; i < 2; ++i) {
      std::optional<Bytes> frame = read_frame(io);
      if (!frame)
        return false;
      HandshakeStep step = handshake.on_message(*frame);
      if (step.refusal)
        return false;
      if (step.send)
        write(encode_frame(*step.send));
    }
    if (!handshake.complete())
      return false;
    session.emplace(handshake.take_session());
    return true;
  }
};

}  // namespace

TEST_CASE("four managers connect pairwise and deliver with the right sender", "[unit][transport]") {
  Cluster cluster(4);
  cluster.start_all();
  REQUIRE(run_until(cluster.io, [&] { return cluster.fully_connected(3); }));
  for (std::size_t i = 0; i < 4; ++i) {
    CHECK(cluster.at(i).self_index() == i);
    CHECK_FALSE(cluster.at(i).is_connected(static_cast<ReplicaIndex>(i)));
  }

  for (std::size_t from = 0; from < 4; ++from) {
    for (std::size_t to = 0; to < 4; ++to) {
      if (from != to)
        cluster.at(from).send(static_cast<ReplicaIndex>(to),
                              shared_text(std::to_string(from) + "->" + std::to_string(to)));
    }
  }
  cluster.at(3).broadcast(shared_text("broadcast from 3"));
  auto all_arrived = [&] {
    for (std::size_t to = 0; to < 4; ++to) {
      for (std::size_t from = 0; from < 4; ++from) {
        if (from != to && !cluster.has(to, static_cast<ReplicaIndex>(from),
                                       std::to_string(from) + "->" + std::to_string(to)))
          return false;
      }
      if (to != 3 && !cluster.has(to, 3, "broadcast from 3"))
        return false;
    }
    return true;
  };
  REQUIRE(run_until(cluster.io, all_arrived));
  // Every message names its true sender and nothing arrives twice or at the sender.
  for (std::size_t to = 0; to < 4; ++to) {
    CHECK(cluster.inbox[to].size() == (to == 3 ? 3u : 4u));
    for (const Received& message : cluster.inbox[to]) {
      if (message.text.find("->") != std::string::npos)
        CHECK(message.text == std::to_string(message.from) + "->" + std::to_string(to));
    }
  }
  // Everyone dialed everyone at once, so every pair authenticated two connections; both
  // sides keep the one dialed by the lower index and drain the other. The links stay up,
  // and (where /proc/net/tcp exists) validator k has accepted exactly k live connections,
  // one from each lower index: one connection per pair, 6 in all.
  std::vector<std::uint64_t> dropped;
  for (std::size_t i = 0; i < 4; ++i)
    dropped.push_back(cluster.at(i).stats().connections_dropped);
  run_for(cluster.io, 300ms);
  CHECK(cluster.fully_connected(3));
  for (std::size_t i = 0; i < 4; ++i) {
    CHECK(cluster.at(i).stats().connections_dropped == dropped[i]);
    if (auto established = established_to(cluster.at(i).listen_port()))
      CHECK(*established == i);
  }

  for (std::size_t i = 0; i < 4; ++i) {
    const PeerManager::Stats& stats = cluster.at(i).stats();
    CHECK(stats.handshakes_ok >= 3);
    CHECK(stats.handshakes_refused == 0);
    CHECK(stats.decrypt_failures == 0);
    CHECK(stats.oversized_frames == 0);
    CHECK(stats.frames_in == cluster.inbox[i].size());
    CHECK(stats.bytes_in > 0);
    CHECK(stats.bytes_out > 0);
  }
}

TEST_CASE("a stopped validator is reconnected after it restarts", "[unit][transport]") {
  Cluster cluster(4);
  cluster.start_all();
  REQUIRE(run_until(cluster.io, [&] { return cluster.fully_connected(3); }));
  cluster.kill(3);
  REQUIRE(run_until(cluster.io, [&] { return cluster.fully_connected(2); }));
  for (std::size_t i = 0; i < 3; ++i)
    CHECK_FALSE(cluster.at(i).is_connected(3));
  run_for(cluster.io, 100ms);  // the others redial and fail a few times meanwhile

  cluster.start(3);  // same key, same port
  REQUIRE(run_until(cluster.io, [&] { return cluster.fully_connected(3); }));
  cluster.at(3).send(0, shared_text("back"));
  cluster.at(1).send(3, shared_text("welcome back"));
  REQUIRE(run_until(
      cluster.io, [&] { return cluster.has(0, 3, "back") && cluster.has(3, 1, "welcome back"); }));
  CHECK(cluster.at(0).stats().connections_dropped >= 1);
}

TEST_CASE("garbage and oversized lengths at the listen port are dropped", "[unit][transport]") {
  Cluster cluster(4);
  cluster.start_all();
  REQUIRE(run_until(cluster.io, [&] { return cluster.fully_connected(3); }));
  const PeerManager::Stats& stats = cluster.at(0).stats();
  std::uint64_t dropped_before = stats.connections_dropped;

  std::vector<Bytes> attacks = {
      Bytes{5, 0, 0, 0, 'h', 'e', 'l', 'l', 'o'},  // a frame, but no handshake message
      Bytes{0xf0, 0xff, 0xff, 0xff, 1, 2, 3},      // oversized length prefix
      Bytes{0, 0, 0, 0},                           // reserved zero length
  };
  std::mt19937 rng(42);
  Bytes noise(200);
  for (auto& byte : noise)
    byte = static_cast<std::uint8_t>(rng());
  attacks.push_back(noise);

  std::vector<std::unique_ptr<tcp::socket>> sockets;
  for (const Bytes& attack : attacks) {
    sockets.push_back(std::make_unique<tcp::socket>(cluster.io));
    sockets.back()->connect(cluster.endpoint(0));
    asio::write(*sockets.back(), asio::buffer(attack));
  }
  REQUIRE(run_until(cluster.io, [&] {
    for (auto& socket : sockets) {
      if (!closed_by_peer(*socket))
        return false;
    }
    return true;
  }));
  CHECK(stats.connections_dropped == dropped_before + attacks.size());
  CHECK(stats.oversized_frames >= 1);
  CHECK(stats.malformed_frames >= 1);
  CHECK(stats.handshakes_refused >= 1);
  CHECK(cluster.logged("malformed handshake message"));
  CHECK(cluster.logged("exceeds the maximum"));

  // Everyone is still connected and serving.
  CHECK(cluster.fully_connected(3));
  cluster.at(2).broadcast(shared_text("still here"));
  REQUIRE(run_until(cluster.io, [&] {
    return cluster.has(0, 2, "still here") && cluster.has(1, 2, "still here") &&
           cluster.has(3, 2, "still here");
  }));
}

TEST_CASE("a silent connection is closed when the handshake times out", "[unit][transport]") {
  Cluster cluster(2);
  cluster.options.handshake_timeout_ms = 300;
  cluster.start_all();
  REQUIRE(run_until(cluster.io, [&] { return cluster.fully_connected(1); }));
  tcp::socket silent(cluster.io);
  silent.connect(cluster.endpoint(1));
  REQUIRE(run_until(cluster.io, [&] { return closed_by_peer(silent); }));
  CHECK(cluster.at(1).stats().handshakes_refused == 1);
  CHECK(cluster.logged("handshake timed out"));
  CHECK(cluster.fully_connected(1));
}

TEST_CASE("wrong chain ids and foreign genesis files are refused and logged", "[unit][transport]") {
  Cluster cluster(3);
  cluster.start(0);
  cluster.start(1);
  REQUIRE(run_until(cluster.io, [&] { return cluster.at(0).is_connected(1); }));

  PeerManagerOptions elsewhere = cluster.options;
  elsewhere.listen_address = "127.0.0.1:0";
  // Validator 2's key, but configured for another chain.
  std::vector<std::uint16_t> ports = {cluster.endpoint(0).port(), cluster.endpoint(1).port(), 1};
  auto other_chain = make_genesis("other-chain", ports);
  auto impostor = cluster.make(99, other_chain, validator_key(2), elsewhere);
  REQUIRE(impostor->start().ok());
  // A key that is not in the real genesis, with a genesis of its own (the same chain id)
  // that lists it: another network.
  auto outsider_genesis = make_genesis(
      "synod-test", ports,
      {validator_key(0).public_key(), validator_key(1).public_key(), key_from(0x77).public_key()});
  auto outsider = cluster.make(98, outsider_genesis, key_from(0x77), elsewhere);
  REQUIRE(outsider->start().ok());

  REQUIRE(run_until(cluster.io, [&] {
    return cluster.logged("[0] transport: refused handshake") && cluster.logged("wrong chain id") &&
           cluster.logged("wrong genesis") && cluster.at(0).stats().handshakes_refused >= 2;
  }));
  CHECK(impostor->connected_count() == 0);
  CHECK(outsider->connected_count() == 0);
  CHECK_FALSE(cluster.at(0).is_connected(2));
  CHECK(cluster.at(0).is_connected(1));
  impostor->stop();
  outsider->stop();
}

TEST_CASE("a validator's bad frames after the handshake drop only its connection",
          "[unit][transport]") {
  Cluster cluster(4);
  cluster.options.max_frame_bytes = 4096;
  for (std::size_t i = 0; i < 3; ++i)
    cluster.start(i);  // validator 3 is played by the test
  REQUIRE(run_until(cluster.io, [&] { return cluster.fully_connected(2); }));
  const PeerManager::Stats& stats = cluster.at(0).stats();

  SECTION("tampered ciphertext") {
    RawValidator three(cluster, 0, validator_key(3));
    REQUIRE(three.authenticate(cluster.io));
    REQUIRE(run_until(cluster.io, [&] { return cluster.at(0).is_connected(3); }));
    Bytes good;
    three.session->seal_frame(good, bytes_of("hello from 3"));
    three.write(good);
    REQUIRE(run_until(cluster.io, [&] { return cluster.has(0, 3, "hello from 3"); }));
    cluster.at(0).send(3, shared_text("hello to 3"));
    std::optional<Bytes> reply = three.read_frame(cluster.io);
    REQUIRE(reply);
    auto opened = three.session->open(*reply);
    REQUIRE(opened);
    CHECK(text_of(*opened) == "hello to 3");

    Bytes bad;
    three.session->seal_frame(bad, bytes_of("tampered"));
    bad.back() ^= 0x01;
    three.write(bad);
    REQUIRE(run_until(cluster.io, [&] { return closed_by_peer(three.socket); }));
    CHECK(stats.decrypt_failures == 1);
    CHECK_FALSE(cluster.at(0).is_connected(3));
    CHECK_FALSE(cluster.has(0, 3, "tampered"));
    CHECK(cluster.logged("decryption failed"));
  }
  SECTION("oversized frame") {
    RawValidator three(cluster, 0, validator_key(3));
    REQUIRE(three.authenticate(cluster.io));
    std::uint32_t length = 4096 + kSealOverheadBytes + 1;
    three.write(
        Bytes{static_cast<std::uint8_t>(length), static_cast<std::uint8_t>(length >> 8), 0, 0});
    REQUIRE(run_until(cluster.io, [&] { return closed_by_peer(three.socket); }));
    CHECK(stats.oversized_frames == 1);
    CHECK(stats.decrypt_failures == 0);
  }
  SECTION("the largest allowed frame passes") {
    RawValidator three(cluster, 0, validator_key(3));
    REQUIRE(three.authenticate(cluster.io));
    Bytes frame;
    three.session->seal_frame(frame, Bytes(4096, 0x61));
    three.write(frame);
    REQUIRE(run_until(cluster.io, [&] { return cluster.has(0, 3, std::string(4096, 'a')); }));
  }
  // The honest validators never noticed.
  CHECK(cluster.at(0).is_connected(1));
  CHECK(cluster.at(0).is_connected(2));
  cluster.at(1).send(0, shared_text("ok"));
  REQUIRE(run_until(cluster.io, [&] { return cluster.has(0, 1, "ok"); }));
}

TEST_CASE("an authenticated peer that goes silent is dropped, and keepalives keep idle links up",
          "[unit][transport]") {
  Cluster cluster(4);
  cluster.options.keepalive_ms = 50;
  cluster.options.idle_timeout_ms = 300;
  for (std::size_t i = 0; i < 3; ++i)
    cluster.start(i);  // validator 3 is played by the test
  REQUIRE(run_until(cluster.io, [&] { return cluster.fully_connected(2); }));
  const PeerManager::Stats& stats = cluster.at(0).stats();
  RawValidator three(cluster, 0, validator_key(3));
  REQUIRE(three.authenticate(cluster.io));
  REQUIRE(run_until(cluster.io, [&] { return cluster.at(0).is_connected(3); }));
  // Validator 0 sends keepalives: empty payloads that authenticate.
  std::optional<Bytes> frame = three.read_frame(cluster.io);
  REQUIRE(frame);
  auto opened = three.session->open(*frame);
  REQUIRE(opened);
  CHECK(opened->empty());
  // The raw validator never answers: it is dropped after the idle timeout.
  REQUIRE(run_until(cluster.io, [&] { return !cluster.at(0).is_connected(3); }));
  CHECK(stats.idle_timeouts == 1);
  CHECK(cluster.logged("idle timeout"));
  // The honest validators sent nothing but keepalives all along and are still connected;
  // no keepalive was delivered as a message.
  CHECK(stats.keepalives_in > 0);
  CHECK(cluster.at(0).is_connected(1));
  CHECK(cluster.at(0).is_connected(2));
  CHECK(cluster.inbox[0].empty());
}

TEST_CASE("idle sockets at every port cannot keep a restarted validator out", "[unit][transport]") {
  Cluster cluster(2);
  cluster.start_all();
  REQUIRE(run_until(cluster.io, [&] { return cluster.fully_connected(1); }));
  // The attacker holds 120 unauthenticated sockets at each validator's port and replaces
  // every one the validator closes, so the ports stay full for the whole test.
  constexpr std::size_t kIdle = 120;
  std::vector<std::pair<std::size_t, std::unique_ptr<tcp::socket>>> idle;  // target, socket
  auto open_to = [&](std::size_t target) {
    auto socket = std::make_unique<tcp::socket>(cluster.io);
    boost::system::error_code ignored;
    socket->connect(cluster.endpoint(target), ignored);
    return socket;
  };
  auto fill = [&](std::size_t target) {
    for (std::size_t i = 0; i < kIdle; ++i)
      idle.emplace_back(target, open_to(target));
  };
  auto top_up = [&] {
    for (auto& [target, socket] : idle) {
      if (closed_by_peer(*socket))
        socket = open_to(target);
    }
  };
  fill(0);
  cluster.kill(1);
  cluster.start(1);
  fill(1);
  // The attack is on: more idle sockets than the unauthenticated limit at each port.
  run_for(cluster.io, 50ms);
  REQUIRE(idle.size() >= 2 * kIdle);
  REQUIRE(run_until(cluster.io, [&] {
    top_up();
    return cluster.at(0).is_connected(1) && cluster.at(1).is_connected(0);
  }));
  CHECK(cluster.at(0).stats().handshakes_evicted + cluster.at(1).stats().handshakes_evicted > 0);
}

TEST_CASE("the handshake throttle keeps each address and all of them to their rate",
          "[unit][transport]") {
  HandshakeRateLimits limits{/*per_second=*/10, /*burst=*/4, /*per_address_per_second=*/2,
                             /*per_address_burst=*/3};
  HandshakeThrottle throttle(limits);
  std::uint64_t now = 1000;
  for (int i = 0; i < 3; ++i)
    CHECK(throttle.admit("10.0.0.1", 0, now) == ThrottleVerdict::kAdmitted);
  CHECK(throttle.admit("10.0.0.1", 0, now) == ThrottleVerdict::kAddressLimited);
  // Another address has its own bucket, but all of them share the global burst of 4.
  CHECK(throttle.admit("10.0.0.2", 0, now) == ThrottleVerdict::kAdmitted);
  CHECK(throttle.admit("10.0.0.3", 0, now) == ThrottleVerdict::kGlobalLimited);
  // An address where a validator lives draws on its own, larger bucket only.
  for (int i = 0; i < 6; ++i)
    CHECK(throttle.admit("10.0.0.9", 1, now) == ThrottleVerdict::kAdmitted);
  CHECK(throttle.admit("10.0.0.9", 1, now) == ThrottleVerdict::kAddressLimited);
  // Half a second later the address has one token again (2 a second), the others one too.
  now += 500;
  CHECK(throttle.admit("10.0.0.1", 0, now) == ThrottleVerdict::kAdmitted);
  CHECK(throttle.admit("10.0.0.1", 0, now) == ThrottleVerdict::kAddressLimited);
}

TEST_CASE("a handshake flood from one address is throttled off the event loop",
          "[unit][transport]") {
  Cluster cluster(2);
  cluster.options.handshake_rate.per_address_per_second = 5;
  cluster.options.handshake_rate.per_address_burst = 10;
  cluster.start_all();
  REQUIRE(run_until(cluster.io, [&] { return cluster.fully_connected(1); }));
  // A HELLO naming validator 1 passes every check that needs no cryptography: each one the
  // throttle admits costs validator 0 a key pair, a key exchange and a signature.
  Bytes hello = encode_frame(
      Handshake(HandshakeParams{cluster.genesis, validator_key(1), HandshakeRole::kInitiator, 0})
          .hello());
  const std::uint64_t loop_crypto_before = handshake_crypto_on_this_thread();
  const std::uint64_t handshakes_before = cluster.at(0).stats().handshakes_ok;
  // One connection after another, each dropped once its fate is known: the attacker never
  // holds more than a few sockets, so only the throttle can stop it (not the per-address
  // limit on unauthenticated sockets).
  constexpr std::size_t kFlood = 40;
  std::size_t answered = 0;
  auto started = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < kFlood; ++i) {
    tcp::socket socket(cluster.io);
    boost::system::error_code error;
    socket.open(tcp::v4(), error);
    socket.bind(tcp::endpoint(asio::ip::make_address("127.0.0.2"), 0), error);
    if (error) {
      WARN("cannot bind 127.0.0.2 here: " << error.message());
      return;
    }
    socket.connect(cluster.endpoint(0), error);
    REQUIRE_FALSE(error);
    asio::write(socket, asio::buffer(hello));
    // Answered (our HELLO came back: crypto was spent on it) or closed with nothing sent.
    int fate = 0;
    socket.non_blocking(true);
    REQUIRE(run_until(cluster.io, [&] {
      std::uint8_t byte[1];
      std::size_t n = socket.read_some(asio::buffer(byte), error);
      fate = n > 0 ? 1 : error && error != asio::error::would_block ? 2 : 0;
      return fate != 0;
    }));
    answered += fate == 1 ? 1 : 0;
  }
  double elapsed_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const PeerManager::Stats& stats = cluster.at(0).stats();
  INFO("answered " << answered << " of " << kFlood << " in " << elapsed_s << " s");
  // The flood happened and was cut down to the address's burst and rate.
  CHECK(stats.handshakes_throttled == kFlood - answered);
  CHECK(stats.handshakes_throttled > 0);
  CHECK(answered <= 10 + static_cast<std::size_t>(5 * (elapsed_s + 1)));
  CHECK(cluster.logged("too many handshakes from 127.0.0.2"));
  // A validator restarting during the flood gets back in, and not one X25519 or Ed25519
  // operation ran on the event loop's thread (this one) all along.
  cluster.kill(1);
  cluster.start(1);
  REQUIRE(run_until(cluster.io, [&] { return cluster.fully_connected(1); }));
  CHECK(cluster.at(0).stats().handshakes_ok > handshakes_before);
  CHECK(handshake_crypto_on_this_thread() == loop_crypto_before);
}

TEST_CASE("a full send queue drops new frames for that peer only", "[unit][transport]") {
  Cluster cluster(3);
  cluster.options.send_queue_max_bytes = 64 * 1024;
  cluster.options.max_frame_bytes = 32 * 1024;
  cluster.start_all();
  REQUIRE(run_until(cluster.io, [&] { return cluster.fully_connected(2); }));
  const PeerManager::Stats& stats = cluster.at(0).stats();

  // Nothing is written while the io_context is not running, so the queue fills: one 16 KiB
  // payload goes into the write in flight, three more fill the queue, the rest are dropped.
  for (int i = 0; i < 20; ++i)
    cluster.at(0).send(
        1, std::make_shared<const Bytes>(16 * 1024, static_cast<std::uint8_t>('a' + i)));
  CHECK(stats.frames_dropped_queue_full == 16);
  cluster.at(0).send(2, shared_text("other peer unaffected"));
  cluster.at(0).send(1, std::make_shared<const Bytes>(40 * 1024, 0));
  CHECK(stats.frames_dropped_too_large == 1);
  cluster.at(0).send(0, shared_text("to myself"));  // ignored

  REQUIRE(run_until(cluster.io, [&] {
    return cluster.inbox[1].size() == 4 && cluster.has(2, 0, "other peer unaffected");
  }));
  CHECK(cluster.inbox[1][0].text == std::string(16 * 1024, 'a'));
  CHECK(cluster.inbox[1][3].text == std::string(16 * 1024, 'd'));
  // Once drained, the queue takes frames again.
  cluster.at(0).send(1, shared_text("after the burst"));
  REQUIRE(run_until(cluster.io, [&] { return cluster.has(1, 0, "after the burst"); }));
  CHECK(stats.frames_dropped_queue_full == 16);
  CHECK(cluster.logged("send queue to validator 1 is full"));
}

TEST_CASE("no message is delivered after stop(), even when called from the handler",
          "[unit][transport]") {
  Cluster cluster(2);
  cluster.start_all();
  REQUIRE(run_until(cluster.io, [&] { return cluster.fully_connected(1); }));
  cluster.on_receive = [&](std::size_t at, ReplicaIndex) {
    if (at == 1)
      cluster.at(1).stop();
  };
  for (int i = 0; i < 10; ++i)
    cluster.at(0).send(1, shared_text("message " + std::to_string(i)));
  REQUIRE(run_until(cluster.io, [&] { return !cluster.inbox[1].empty(); }));
  run_for(cluster.io, 100ms);
  CHECK(cluster.inbox[1].size() == 1);
  CHECK(cluster.at(1).connected_count() == 0);
  REQUIRE(run_until(cluster.io, [&] { return cluster.at(0).connected_count() == 0; }));
  cluster.at(1).send(0, shared_text("after stop"));  // a no-op
  run_for(cluster.io, 50ms);
  CHECK(cluster.inbox[0].empty());
}

TEST_CASE("start() reports a taken port and a key outside the genesis", "[unit][transport]") {
  asio::io_context io;
  tcp::acceptor taken(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  std::uint16_t port = taken.local_endpoint().port();
  auto genesis = make_genesis("synod-test", {port, 1});
  auto ignore = [](ReplicaIndex, Bytes) {};
  {
    PeerManager manager(io, genesis, validator_key(0), {}, ignore, {});
    Status status = manager.start();
    REQUIRE_FALSE(status.ok());
    CHECK(status.message().find("cannot listen on 127.0.0.1:" + std::to_string(port)) == 0);
  }
  {
    PeerManager manager(io, genesis, key_from(0x77), {}, ignore, {});
    Status status = manager.start();
    REQUIRE_FALSE(status.ok());
    CHECK(status.message().find("not a genesis validator") != std::string::npos);
  }
  for (int defect = 0; defect < 3; ++defect) {
    PeerManagerOptions options;
    options.listen_address = "127.0.0.1:0";
    if (defect == 0)
      options.max_frame_bytes = 0;
    if (defect == 1)
      options.reconnect_min_ms = options.reconnect_max_ms + 1;
    if (defect == 2)
      options.handshake_timeout_ms = 0;
    PeerManager manager(io, genesis, validator_key(0), options, ignore, {});
    CHECK_FALSE(manager.start().ok());
  }
  {
    PeerManagerOptions options;
    options.listen_address = "127.0.0.1:0";
    PeerManager manager(io, genesis, validator_key(0), options, ignore, {});
    REQUIRE(manager.start().ok());
    CHECK(manager.listen_port() != 0);
    CHECK_FALSE(manager.start().ok());  // once only
    manager.stop();
    manager.stop();  // idempotent
  }
}
