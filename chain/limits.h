// Hard limits of the data model. Decoders check them before allocating; the engines and
// the node use them to bound queues and messages.
#pragma once

#include <cstddef>

namespace synod::chain {

inline constexpr std::size_t kMaxChainIdBytes = 64;
inline constexpr std::size_t kMaxValidators = 256;
inline constexpr std::size_t kMaxBlockTransactions = 20'000;
inline constexpr std::size_t kMaxBlockBytes = 8 * 1024 * 1024;
inline constexpr std::size_t kMaxValidatorNameBytes = 64;
inline constexpr std::size_t kMaxPeerAddressBytes = 256;
// Block 0's undo data lists every genesis account, and a state diff holds at most
// 2 * kMaxBlockTransactions + 1 changes.
inline constexpr std::size_t kMaxGenesisAccounts = 2 * kMaxBlockTransactions;

}  // namespace synod::chain
