// What every transaction signature (chain/transaction.h), every PBFT signature (messages,
// and so commit certificates) and every proof-of-stake seal (and so slashing evidence,
// chain/pos_seal.h) is bound to: the chain id and the genesis hash. Two networks may share a
// chain id and even keys (a testnet made again from the same keys with other accounts); they
// never share a genesis, so a transaction, message, certificate or seal from one does not
// verify on the other. The handshake binds the genesis hash the same way
// (node/transport/handshake.h).
#pragma once

#include <string>

#include "chain/codec.h"
#include "crypto/sha256.h"

namespace synod::chain {

struct Genesis;

struct SigningDomain {
  std::string chain_id;
  crypto::Hash256 genesis_hash;

  // Hashes the genesis: compute it once and keep it.
  static SigningDomain of(const Genesis& genesis);
};

// The domain as signed: chain id (length-prefixed) || genesis hash.
void write(Writer& out, const SigningDomain& domain);

}  // namespace synod::chain
