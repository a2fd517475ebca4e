// node/event_feed.h: the push stream's history, long-poll waiters and bounds.
#include <catch2/catch.hpp>

#include <optional>

#include "node/event_feed.h"

using namespace synod::node;
using nlohmann::json;

namespace {

json state_at(std::uint64_t height) {
  return {{"height", height}, {"view", 0}};
}

}  // namespace

TEST_CASE("event feed records a state only when it changed", "[unit][events]") {
  EventFeed feed;
  CHECK(feed.record(state_at(1), 10));
  CHECK_FALSE(feed.record(state_at(1), 20));
  CHECK(feed.record(state_at(2), 30));
  CHECK(feed.latest() == 2);
}

TEST_CASE("event feed answers at once with newer events, or waits for the next one",
          "[unit][events]") {
  EventFeed feed;
  feed.record(state_at(1), 0);
  feed.record(state_at(2), 1);
  std::optional<json> answer;
  REQUIRE(feed.request(1, 5'000, 2, [&](json a) { answer = std::move(a); }));
  REQUIRE(answer);
  CHECK((*answer)["seq"] == 2);
  REQUIRE((*answer)["events"].size() == 1);
  CHECK((*answer)["events"][0]["state"]["height"] == 2);

  answer.reset();
  REQUIRE(feed.request(2, 5'000, 3, [&](json a) { answer = std::move(a); }));
  CHECK_FALSE(answer);
  CHECK(feed.waiting() == 1);
  feed.record(state_at(3), 100);
  REQUIRE(answer);
  CHECK((*answer)["events"][0]["state"]["height"] == 3);
  CHECK(feed.waiting() == 0);
}

TEST_CASE("event feed answers a waiter empty at its deadline", "[unit][events]") {
  EventFeed feed;
  feed.record(state_at(1), 0);
  std::optional<json> answer;
  REQUIRE(feed.request(1, 300, 1'000, [&](json a) { answer = std::move(a); }));
  feed.expire(1'299);
  CHECK_FALSE(answer);
  feed.expire(1'300);
  REQUIRE(answer);
  CHECK((*answer)["events"].empty());
  CHECK((*answer)["seq"] == 1);
}

TEST_CASE("event feed bounds its waiters, history and answers", "[unit][events]") {
  EventFeedOptions options;
  options.waiters_max = 2;
  options.history_max = 10;
  options.events_per_answer_max = 4;
  EventFeed feed(options);
  feed.record(state_at(0), 0);
  auto ignore = [](json) {};
  CHECK(feed.request(1, 1'000, 0, ignore));
  CHECK(feed.request(1, 1'000, 0, ignore));
  CHECK_FALSE(feed.request(1, 1'000, 0, ignore));  // a third client is refused

  for (std::uint64_t h = 1; h <= 30; ++h)
    feed.record(state_at(h), h);
  std::optional<json> answer;
  feed.request(5, 1'000, 40, [&](json a) { answer = std::move(a); });
  REQUIRE(answer);
  CHECK((*answer)["missed"] == true);  // 6 to 20 are forgotten
  REQUIRE((*answer)["events"].size() == 4);
  CHECK((*answer)["events"][3]["seq"] == 31);

  // A client of an earlier run of the node (a sequence number beyond ours) starts over.
  answer.reset();
  feed.request(500, 1'000, 41, [&](json a) { answer = std::move(a); });
  REQUIRE(answer);
  CHECK((*answer)["missed"] == true);
  REQUIRE((*answer)["events"].size() == 1);
  CHECK((*answer)["events"][0]["seq"] == 31);
}

TEST_CASE("event feed is wanted only while clients keep asking", "[unit][events]") {
  EventFeedOptions options;
  options.interest_ms = 1'000;
  EventFeed feed(options);
  CHECK_FALSE(feed.wanted(0));
  feed.request(0, 0, 100, [](json) {});
  CHECK(feed.wanted(500));
  CHECK_FALSE(feed.wanted(1'100));
}
