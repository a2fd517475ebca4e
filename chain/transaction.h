// Signed transactions.
//
// Canonical encoding (little-endian, see codec.h):
//   u8 kind | string chain_id | 32 from | 20 to | u64 amount | u64 fee | u64 nonce |
//   [bytes evidence, for kind evidence only] | 64 signature
// The sender signs "synod/tx/v2" || the signing domain (chain/signing_domain.h: chain id
// and genesis hash) || the encoding without the signature. Two networks may share a chain id
// and keys (a testnet made again from the same keys); they never share a genesis, so a
// transaction signed for one does not verify on the other. The chain id stays a field of
// the encoding so that a foreign transaction is refused before any signature check. The
// transaction hash (its id) is SHA-256 of the full encoding, signature included; the
// genesis hash is not in it.
//
// Kinds: a transfer moves `amount` to `to`. The proof-of-stake kinds (valid only on a PoS
// chain, see state.h) name the sender itself as `to`: stake bonds `amount` of the
// balance, unstake starts unbonding `amount` of the stake, and evidence carries two signed
// headers (pos_seal.h) that prove a double-sign, with amount 0. A transfer's encoding is
// unchanged from before the PoS kinds existed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "chain/address.h"
#include "chain/codec.h"
#include "chain/signing_domain.h"
#include "crypto/ed25519.h"
#include "crypto/sha256.h"

namespace synod::chain {

enum class TxKind : std::uint8_t {
  kTransfer = 1,
  kStake = 2,
  kUnstake = 3,
  kEvidence = 4,
};
const char* to_string(TxKind kind);  // "transfer", "stake", "unstake", "evidence"
std::optional<TxKind> parse_tx_kind(std::string_view text);

// Two encoded headers and their length prefixes fit easily.
inline constexpr std::size_t kMaxEvidenceBytes = 1024;

struct Transaction {
  TxKind kind = TxKind::kTransfer;
  std::string chain_id;
  crypto::PublicKey from;
  Address to;
  std::uint64_t amount = 0;
  std::uint64_t fee = 0;
  std::uint64_t nonce = 0;
  Bytes evidence;  // kind evidence only (encode_evidence in pos_seal.h); empty otherwise
  crypto::Signature signature;

  // `domain` is the chain's the transaction is for; its chain id is the transaction's.
  Bytes signing_bytes(const SigningDomain& domain) const;
  void sign(const crypto::KeyPair& key, const SigningDomain& domain);  // the key must be `from`'s
  bool signature_valid(const SigningDomain& domain) const;
  Bytes encode() const;
  std::size_t encoded_size() const;  // encode().size(), without encoding
  crypto::Hash256 hash() const;
  Address sender() const { return address_of(from); }
  // What the transaction takes from the sender's balance: amount and fee for a transfer
  // or a stake, the fee alone for an unstake or evidence.
  std::uint64_t balance_cost() const;

  bool operator==(const Transaction&) const = default;
};

inline constexpr std::size_t kMinTransactionBytes = 1 + 4 + 32 + 20 + 8 * 3 + 64;

inline std::size_t Transaction::encoded_size() const {
  return kMinTransactionBytes + chain_id.size() +
         (kind == TxKind::kEvidence ? 4 + evidence.size() : 0);
}

void write(Writer& out, const Transaction& tx);
Transaction read_transaction(Reader& in);
Result<Transaction> decode_transaction(ByteView bytes);

// A convenience for wallets, tests and benchmarks: a transfer for `domain`'s chain (its
// chain id), signed in that domain.
Transaction make_transfer(const crypto::KeyPair& sender, const SigningDomain& domain,
                          const Address& to, std::uint64_t amount, std::uint64_t fee,
                          std::uint64_t nonce);
// Signed proof-of-stake transactions (the sender is its own `to`).
Transaction make_stake(const crypto::KeyPair& sender, const SigningDomain& domain, TxKind kind,
                       std::uint64_t amount, std::uint64_t fee, std::uint64_t nonce);
Transaction make_evidence(const crypto::KeyPair& reporter, const SigningDomain& domain,
                          Bytes evidence, std::uint64_t fee, std::uint64_t nonce);

}  // namespace synod::chain
