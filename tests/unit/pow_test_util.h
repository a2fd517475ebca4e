// Shared helpers of the pow_* unit tests: the PoW genesis and chain builder of
// tests/support/pow_chain.h, and action filters.
#pragma once

#include <cstddef>
#include <vector>

#include "chain/engine.h"
#include "tests/support/pow_chain.h"

namespace pow_test {

template <typename T>
std::vector<T> only(const Actions& actions) {
  std::vector<T> out;
  for (const auto& action : actions) {
    if (const auto* typed = std::get_if<T>(&action))
      out.push_back(*typed);
  }
  return out;
}

template <typename T>
std::size_t count(const Actions& actions) {
  return only<T>(actions).size();
}

}  // namespace pow_test
