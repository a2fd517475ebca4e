// State::Working: the copies of the accounts one execution touches. Internal to chain/
// (state.cpp and state_pos.cpp); the state itself is never written while executing.
#pragma once

#include <map>

#include "chain/state.h"

namespace synod::chain {

class State::Working {
 public:
  explicit Working(const State& base) : base_(base) {}

  // The working copy of `address`, made from the state on first use.
  Account& at(const Address& address) {
    auto it = touched_.find(address);
    if (it == touched_.end())
      it = touched_.emplace(address, base_.account(address)).first;
    return it->second;
  }

  // The changes against the state, sorted by address (the map's order), unchanged
  // accounts left out.
  StateDiff diff() const {
    StateDiff diff;
    diff.changes.reserve(touched_.size());
    for (const auto& [address, after] : touched_) {
      auto it = base_.accounts_.find(address);
      std::optional<Account> before;
      if (it != base_.accounts_.end())
        before = it->second;
      if (before == after)
        continue;
      diff.changes.push_back(AccountChange{address, before, after});
    }
    return diff;
  }

 private:
  const State& base_;
  // An ordered map: receiver addresses are chosen by senders, so no hashing scheme of ours
  // decides how they spread, and the diff comes out sorted by address for free.
  std::map<Address, Account> touched_;
};

}  // namespace synod::chain
