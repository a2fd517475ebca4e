// The pieces of `init --hosts` and of the netns link rules that need no namespaces: hosts
// files, address assignment, durations, loss rates, partitions, the rules file.
#include <catch2/catch.hpp>

#include "testnet/hosts.h"
#include "testnet/layout.h"
#include "testnet/link_rules.h"
#include "testnet/link_scheduler.h"
#include "testnet/netns.h"
#include "tests/support/temp_dir.h"

using namespace synod::testnet;

TEST_CASE("hosts file: addresses, comments and blank lines", "[netns]") {
  auto hosts = parse_hosts("# four hosts\n10.0.0.1\n  10.0.0.2  # second\n\n10.0.0.3\r\n10.0.0.4");
  REQUIRE(hosts);
  CHECK(*hosts == std::vector<std::string>{"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"});
}

TEST_CASE("hosts file: bad lines are errors that name the line", "[netns]") {
  CHECK(parse_hosts("10.0.0.1\nnode-b.example\n").message().find("line 2") != std::string::npos);
  CHECK(!parse_hosts("10.0.0.1:26656\n"));
  CHECK(!parse_hosts("10.0.0.256\n"));
  CHECK(!parse_hosts("0.0.0.0\n"));
  CHECK(!parse_hosts("# nothing\n\n"));
  CHECK(!parse_hosts(std::string(300, '1')));
  std::string many;
  for (int i = 0; i < 129; ++i)
    many += "10.0.0.1\n";
  CHECK(parse_hosts(many).message().find("more than 128") != std::string::npos);
}

TEST_CASE("addresses: a host of its own keeps the base ports, a shared host gives the next ones",
          "[netns]") {
  auto spread = assign_addresses({"10.0.0.1", "10.0.0.2"}, 2, 26656);
  CHECK(spread[0].peer() == "10.0.0.1:26656");
  CHECK(spread[1].rpc() == "10.0.0.2:26657");
  CHECK(ports_needed(spread, 26656) == 2);
  auto shared = assign_addresses({"10.0.0.1", "10.0.0.2", "10.0.0.1"}, 3, 26656);
  CHECK(shared[2].peer() == "10.0.0.1:26658");
  CHECK(shared[2].rpc() == "10.0.0.1:26659");
  CHECK(ports_needed(shared, 26656) == 4);
  auto loopback = assign_addresses({}, 3, 30000);
  CHECK(loopback[2].rpc() == "127.0.0.1:30005");
}

TEST_CASE("init --hosts writes each node's own addresses, genesis included", "[netns]") {
  synod::testing::TempDir dir;
  InitOptions options;
  options.dir = (dir.path() / "net").string();
  options.nodes = 4;
  options.full_nodes = 1;
  options.hosts = {"10.9.0.1", "10.9.0.2", "10.9.0.3", "10.9.0.4", "10.9.0.5"};
  auto testnet = init_testnet(options);
  REQUIRE(testnet);
  CHECK(testnet->genesis.validators.at(3).peer_address == "10.9.0.4:26656");
  CHECK(testnet->nodes[3].rpc.to_string() == "10.9.0.4:26657");
  CHECK(testnet->nodes[4].rpc.to_string() == "10.9.0.5:26657");
  CHECK(testnet->nodes[4].upstreams.front() == "10.9.0.1:26657");
  CHECK(testnet->nodes[0].netns.empty());

  options.force = true;
  options.hosts.pop_back();
  CHECK(init_testnet(options).message().find("4 hosts for 5 nodes") != std::string::npos);
}

TEST_CASE("durations and loss rates", "[netns]") {
  CHECK(*parse_duration_us("50ms", "--delay") == 50'000);
  CHECK(*parse_duration_us("1.5ms", "--delay") == 1'500);
  CHECK(*parse_duration_us("200us", "--delay") == 200);
  CHECK(*parse_duration_us("1s", "--delay") == 1'000'000);
  CHECK(*parse_duration_us("0", "--delay") == 0);
  for (const char* bad : {"50", "ms", "-5ms", "1.2345ms", "11s", "5 ms", "1e3ms", ".5ms", ""})
    CHECK(!parse_duration_us(bad, "--delay"));
  CHECK(*parse_loss_ppm("1%") == 10'000);
  CHECK(*parse_loss_ppm("0.5%") == 5'000);
  CHECK(*parse_loss_ppm("100%") == 1'000'000);
  CHECK(*parse_loss_ppm("0") == 0);
  for (const char* bad : {"1", "101%", "-1%", "%", "0.0001%"})
    CHECK(!parse_loss_ppm(bad));
  CHECK(!parse_shape("1ms", "2ms", ""));
  auto shape = parse_shape("50ms", "5ms", "1%");
  REQUIRE(shape);
  CHECK(shape->describe() == "50 ms ± 5 ms one way, 1% loss");
  CHECK(LinkShape{}.describe() == "no delay, no loss");
}

TEST_CASE("partitions: groups, names, nodes left out stand alone", "[netns]") {
  auto groups = parse_partition("0,1/2,3", 4, 0);
  REQUIRE(groups);
  CHECK(*groups == std::vector<std::size_t>{0, 0, 1, 1});
  auto named = parse_partition("node-0/node-2,full-0", 4, 1);
  REQUIRE(named);
  // node-1 and node-3 were not named: each is a group of its own.
  CHECK(*named == std::vector<std::size_t>{0, 2, 1, 3, 1});
  LinkRules rules;
  rules.group_of = *groups;
  CHECK(rules.connected(0, 1));
  CHECK(!rules.connected(1, 2));
  CHECK(LinkRules{}.connected(0, 3));
  for (const char* bad : {"0,1", "0,1/", "/2", "0,1/1", "0/4", "0,,1/2", "a/b", ""})
    CHECK(!parse_partition(bad, 4, 0));
}

TEST_CASE("link rules file round trip and checks", "[netns]") {
  LinkRules rules;
  rules.generation = 7;
  rules.shape = {50'000, 5'000, 10'000};
  rules.group_of = {0, 0, 1, 1};
  auto back = rules_from_json(rules_to_json(rules), 4);
  REQUIRE(back);
  CHECK(back->generation == 7);
  CHECK(back->shape.delay_us == 50'000);
  CHECK(back->group_of == rules.group_of);
  CHECK(!rules_from_json(rules_to_json(rules), 5));  // another testnet's file
  auto json = rules_to_json(rules);
  json["jitter_us"] = 60'000;  // more than the delay
  CHECK(!rules_from_json(json, 4));
  CHECK(!rules_from_json(nlohmann::json::parse("[1,2]"), 4));
}

TEST_CASE("netns names: per testnet directory, short enough for a device", "[netns]") {
  CHECK(netns_prefix("/tmp/a") != netns_prefix("/tmp/b"));
  CHECK(netns_prefix("/tmp/a").rfind("synod-", 0) == 0);
  CHECK(tun_name("/tmp/a", 63).size() <= 15);  // IFNAMSIZ - 1
  CHECK(host_tun_name("/tmp/a").size() <= 15);
}

namespace {

// An IPv4 header (20 bytes) addressed to `destination`, a.b.c.d.
std::vector<std::uint8_t> ipv4_packet(std::uint8_t a, std::uint8_t b, std::uint8_t c,
                                      std::uint8_t d) {
  std::vector<std::uint8_t> packet(40, 0);
  packet[0] = 0x45;
  packet[16] = a;
  packet[17] = b;
  packet[18] = c;
  packet[19] = d;
  return packet;
}

constexpr std::int64_t kMs = 1'000'000;  // nanoseconds

}  // namespace

TEST_CASE("link scheduler: IPv4 destinations only", "[netns]") {
  auto packet = ipv4_packet(10, 77, 3, 2);
  CHECK(*ipv4_destination(packet.data(), packet.size()) == 0x0A4D0302u);
  CHECK(!ipv4_destination(packet.data(), 19));
  packet[0] = 0x60;  // IPv6
  CHECK(!ipv4_destination(packet.data(), packet.size()));
}

TEST_CASE("link scheduler: delay between nodes, the host's link clean", "[netns]") {
  LinkScheduler scheduler(4, 1);
  CHECK(scheduler.decide(0, 1, 5 * kMs).fate == LinkScheduler::Fate::kNow);
  LinkRules rules;
  rules.shape.delay_us = 50'000;
  scheduler.set_rules(rules);
  auto decision = scheduler.decide(0, 1, 5 * kMs);
  CHECK(decision.fate == LinkScheduler::Fate::kLater);
  CHECK(decision.due_ns == 55 * kMs);
  // The host is end 4: never delayed, either way.
  CHECK(scheduler.decide(4, 2, 5 * kMs).fate == LinkScheduler::Fate::kNow);
  CHECK(scheduler.decide(3, 4, 5 * kMs).fate == LinkScheduler::Fate::kNow);
}

TEST_CASE("link scheduler: jitter spreads delays and never reorders a link", "[netns]") {
  LinkScheduler scheduler(3, 7);
  LinkRules rules;
  rules.shape.delay_us = 10'000;
  rules.shape.jitter_us = 5'000;
  scheduler.set_rules(rules);
  // Sparse packets (20 ms apart, more than the jitter's range): each delay is 5..15 ms.
  std::int64_t shortest = INT64_MAX, longest = 0;
  for (std::int64_t i = 0; i < 1'000; ++i) {
    std::int64_t now = i * 20 * kMs;
    auto decision = scheduler.decide(0, 1, now);
    REQUIRE(decision.fate == LinkScheduler::Fate::kLater);
    shortest = std::min(shortest, decision.due_ns - now);
    longest = std::max(longest, decision.due_ns - now);
  }
  CHECK(shortest >= 5 * kMs);
  CHECK(shortest < 6 * kMs);
  CHECK(longest <= 15 * kMs);
  CHECK(longest > 14 * kMs);
  // Dense packets (0.1 ms apart): jitter would reorder them; the link keeps their order.
  std::int64_t last_due = 0;
  for (std::int64_t i = 0; i < 10'000; ++i) {
    std::int64_t now = i * kMs / 10;
    auto decision = scheduler.decide(0, 2, now);
    CHECK(decision.due_ns >= now + 5 * kMs);
    CHECK(decision.due_ns >= last_due);
    last_due = decision.due_ns;
  }
}

TEST_CASE("link scheduler: loss at about the given rate", "[netns]") {
  LinkScheduler scheduler(2, 42);
  LinkRules rules;
  rules.shape.loss_ppm = 10'000;  // 1%
  scheduler.set_rules(rules);
  int lost = 0;
  for (int i = 0; i < 100'000; ++i)
    lost += scheduler.decide(1, 0, i).fate == LinkScheduler::Fate::kLost ? 1 : 0;
  // 1,000 expected; the binomial's standard deviation is about 31.
  CHECK(lost > 850);
  CHECK(lost < 1'150);
  CHECK(scheduler.decide(2, 0, 0).fate == LinkScheduler::Fate::kNow);  // the host: no loss
}

TEST_CASE("link scheduler: a partition cuts between groups only", "[netns]") {
  LinkScheduler scheduler(4, 3);
  LinkRules rules;
  rules.group_of = *parse_partition("0,1/2,3", 4, 0);
  scheduler.set_rules(rules);
  CHECK(scheduler.decide(0, 1, 0).fate == LinkScheduler::Fate::kNow);
  CHECK(scheduler.decide(2, 3, 0).fate == LinkScheduler::Fate::kNow);
  CHECK(scheduler.decide(1, 2, 0).fate == LinkScheduler::Fate::kCut);
  CHECK(scheduler.decide(3, 0, 0).fate == LinkScheduler::Fate::kCut);
  CHECK(scheduler.decide(4, 3, 0).fate == LinkScheduler::Fate::kNow);  // the host reaches all
  rules.group_of.clear();
  scheduler.set_rules(rules);
  CHECK(scheduler.decide(1, 2, 0).fate == LinkScheduler::Fate::kNow);
}

TEST_CASE("packet queue: due order, ties in arrival order, a byte limit", "[netns]") {
  PacketQueue queue(100);
  std::vector<std::uint8_t> bytes(30, 0);
  bytes[0] = 1;
  CHECK(queue.push(20, 1, bytes.data(), bytes.size()));
  bytes[0] = 2;
  CHECK(queue.push(10, 2, bytes.data(), bytes.size()));
  bytes[0] = 3;
  CHECK(queue.push(10, 3, bytes.data(), bytes.size()));
  CHECK(!queue.push(30, 0, bytes.data(), bytes.size()));  // 120 bytes > 100
  CHECK(queue.queued_bytes() == 90);
  std::vector<int> delivered;
  auto deliver = [&](std::size_t to, const std::vector<std::uint8_t>& packet) {
    CHECK(packet[0] == to);
    delivered.push_back(static_cast<int>(to));
  };
  CHECK(queue.pop_due(5, deliver) == 10);
  CHECK(delivered.empty());
  CHECK(queue.pop_due(10, deliver) == 20);
  CHECK(delivered == std::vector<int>{2, 3});
  CHECK(queue.pop_due(25, deliver) == -1);
  CHECK(delivered == std::vector<int>{2, 3, 1});
  CHECK(queue.queued_bytes() == 0);
}
