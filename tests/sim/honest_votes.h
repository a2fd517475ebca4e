// A safety checker on what honest replicas sign: a correct PBFT replica never signs two
// different digests for one (message type, view, sequence) — no two PRE-PREPAREs, PREPAREs
// or COMMITs, and no two CHECKPOINTs for one sequence. Agreement only fails once such votes
// line up into two quorums; this checker sees the first conflicting signature, which is how
// a replica that forgot its votes across a restart shows up (pbft/vote_log.h).
//
// Feed it every message an honest slot sends (the cluster's LinkFilter sees them all;
// a broadcast may be fed once per copy).
// Thread safety: none.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "pbft/messages.h"
#include "tests/sim/cluster.h"
#include "tests/sim/invariants.h"

namespace synod::sim {

class HonestVoteChecker {
 public:
  // `message` as sent by `validator`; only what `validator` itself signed counts (a
  // forwarded NEW-VIEW carries another sender's signature).
  void on_sent(ReplicaIndex validator, const pbft::Message& message, TimeMs now);

  const std::vector<Violation>& violations() const { return violations_; }

 private:
  // (validator, message type, view, sequence) -> digest signed first
  using Key = std::tuple<ReplicaIndex, std::uint8_t, std::uint64_t, std::uint64_t>;
  void record(const Key& key, const crypto::Hash256& digest, TimeMs now);

  std::map<Key, crypto::Hash256> signed_;
  std::set<std::pair<Key, crypto::Hash256>> reported_;  // each conflicting digest once
  std::vector<Violation> violations_;
};

}  // namespace synod::sim
