// Helpers shared by the JSON-RPC method files (node_rpc*.cpp): error codes, parameters.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "base/bytes.h"
#include "crypto/hex.h"

namespace synod::node::rpc_detail {

using nlohmann::json;

inline constexpr int kInvalidParams = -32602;
inline constexpr int kTransactionRefused = -32001;
inline constexpr int kNotFound = -32004;
inline constexpr int kInternal = -32603;
// The request's answers already took the whole response budget (RpcLimits).
inline constexpr int kBudgetSpent = -32006;
inline constexpr int kUpstreamUnavailable = -32010;
// A long poll refused: every waiter slot, or every one this client address may hold, taken.
inline constexpr int kTooManyWaiters = -32005;

// Named parameter `key` from an object, or the first positional one from an array.
inline const json* param(const json& params, const char* key) {
  if (params.is_object() && params.contains(key))
    return &params[key];
  if (params.is_array() && !params.empty())
    return &params[0];
  return nullptr;
}

inline std::string hex(ByteView bytes) {
  return crypto::to_hex(bytes);
}

}  // namespace synod::node::rpc_detail
