// Filters over an engine's output (chain::Actions) for tests: the actions of one kind.
#pragma once

#include <cstddef>
#include <variant>
#include <vector>

#include "chain/engine.h"

namespace synod::testing {

template <typename T>
std::vector<T> only(const chain::Actions& actions) {
  std::vector<T> out;
  for (const auto& action : actions) {
    if (const auto* typed = std::get_if<T>(&action))
      out.push_back(*typed);
  }
  return out;
}

template <typename T>
std::size_t count(const chain::Actions& actions) {
  return only<T>(actions).size();
}

}  // namespace synod::testing
