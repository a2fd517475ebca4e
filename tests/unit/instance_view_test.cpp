// The live page's view of the PBFT instance after the head (node/instance_view.h), read from
// a consensus dump as the replica reports it.
#include <catch2/catch.hpp>

#include "node/instance_view.h"

using nlohmann::json;
using synod::node::instance_view;

namespace {

constexpr bool kNoPrePrepare = false;
constexpr bool kPrePrepared = true;

json slot(std::uint64_t sequence, bool pre_prepared, std::uint64_t prepares, std::uint64_t commits,
          bool prepared) {
  return {{"sequence", sequence}, {"view", 2},
          {"transactions", 5},    {"pre_prepared", pre_prepared},
          {"prepares", prepares}, {"commits", commits},
          {"prepared", prepared}};
}

json dump_with(json instances, json last_committed = nullptr) {
  return {{"instances", std::move(instances)}, {"last_committed", std::move(last_committed)}};
}

}  // namespace

TEST_CASE("instance view names each PBFT phase from the slot's votes", "[web]") {
  const std::size_t quorum = 3;
  // Prepares from fast peers can beat the pre-prepare to a backup.
  CHECK(instance_view(dump_with({slot(8, kNoPrePrepare, 2, 0, false)}), 7, quorum)["phase"] ==
        "pre-prepare");
  CHECK(instance_view(dump_with({slot(8, kNoPrePrepare, 2, 0, false)}), 7,
                      quorum)["pre_prepared"] == false);
  const json preparing = instance_view(dump_with({slot(8, kPrePrepared, 1, 0, false)}), 7, quorum);
  CHECK(preparing["phase"] == "prepare");
  CHECK(preparing["pre_prepared"] == true);
  CHECK(preparing["prepares"] == 1);
  CHECK(preparing["transactions"] == 5);
  CHECK(instance_view(dump_with({slot(8, kPrePrepared, 3, 1, true)}), 7, quorum)["phase"] ==
        "commit");
  CHECK(instance_view(dump_with({slot(8, kPrePrepared, 3, 3, true)}), 7, quorum)["phase"] ==
        "committed");
}

TEST_CASE("instance view shows the lowest instance in flight above the head", "[web]") {
  const json dump =
      dump_with({slot(10, kPrePrepared, 0, 0, false), slot(9, kPrePrepared, 2, 0, false),
                 slot(7, kPrePrepared, 3, 3, true)},
                slot(7, kPrePrepared, 3, 3, true));
  const json view = instance_view(dump, 8, 3);
  CHECK(view["sequence"] == 9);
  CHECK(view["phase"] == "prepare");
}

TEST_CASE("instance view falls back to the head's own instance between blocks", "[web]") {
  const json last = slot(7, kPrePrepared, 3, 4, true);
  const json view = instance_view(dump_with(json::array(), last), 7, 3);
  CHECK(view["sequence"] == 7);
  CHECK(view["phase"] == "committed");
  CHECK(view["commits"] == 4);
  // Not the head's (the head came by state transfer since): nothing to show.
  CHECK(instance_view(dump_with(json::array(), last), 9, 3).is_null());
  CHECK(instance_view(dump_with(json::array()), 7, 3).is_null());
  CHECK(instance_view(json::object(), 7, 3).is_null());
  CHECK(instance_view(json{{"instances", "garbage"}}, 7, 3).is_null());
}
