// Helpers shared by the JSON-RPC method files (node_rpc*.cpp): error codes, parameters.
#pragma once

#include <mutex>
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

// One block's canonical bytes, taken on the event loop, and their hex, made at most once by
// whichever RPC thread renders an answer holding it first (long-poll waiters share it).
class SharedBlockHex {
 public:
  explicit SharedBlockHex(Bytes encoded) : bytes_(std::move(encoded)) {}
  std::size_t hex_size() const { return 2 * bytes_.size(); }
  const std::string& text() const {
    std::call_once(once_, [this] { hex_ = crypto::to_hex(bytes_); });
    return hex_;
  }

 private:
  const Bytes bytes_;
  mutable std::once_flag once_;
  mutable std::string hex_;  // written once, under once_
};

}  // namespace synod::node::rpc_detail
