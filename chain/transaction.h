// Signed transactions.
//
// Canonical encoding (little-endian, see codec.h):
//   u8 kind | string chain_id | 32 from | 20 to | u64 amount | u64 fee | u64 nonce | 64 signature
// The sender signs "synod/tx/v1" || the encoding without the signature, so the domain tag
// and the chain id prefix everything signed. The transaction hash (its id) is SHA-256 of
// the full encoding, signature included.
//
// Only transfers exist today. Kind tags 2, 3 and 4 are reserved for the proof-of-stake
// kinds (stake, unstake, slashing evidence); until they are defined, decoding rejects them
// as unknown tags.
#pragma once

#include <cstdint>
#include <string>

#include "chain/address.h"
#include "chain/codec.h"
#include "crypto/ed25519.h"
#include "crypto/sha256.h"

namespace synod::chain {

enum class TxKind : std::uint8_t {
  kTransfer = 1,
};

struct Transaction {
  TxKind kind = TxKind::kTransfer;
  std::string chain_id;
  crypto::PublicKey from;
  Address to;
  std::uint64_t amount = 0;
  std::uint64_t fee = 0;
  std::uint64_t nonce = 0;
  crypto::Signature signature;

  Bytes signing_bytes() const;
  void sign(const crypto::KeyPair& key);  // the key must be `from`'s
  bool signature_valid() const;
  Bytes encode() const;
  std::size_t encoded_size() const;  // encode().size(), without encoding
  crypto::Hash256 hash() const;
  Address sender() const { return address_of(from); }

  bool operator==(const Transaction&) const = default;
};

inline constexpr std::size_t kMinTransactionBytes = 1 + 4 + 32 + 20 + 8 * 3 + 64;

inline std::size_t Transaction::encoded_size() const {
  return kMinTransactionBytes + chain_id.size();
}

void write(Writer& out, const Transaction& tx);
Transaction read_transaction(Reader& in);
Result<Transaction> decode_transaction(ByteView bytes);

// A convenience for wallets, tests and benchmarks: a signed transfer.
Transaction make_transfer(const crypto::KeyPair& sender, std::string chain_id, const Address& to,
                          std::uint64_t amount, std::uint64_t fee, std::uint64_t nonce);

}  // namespace synod::chain
