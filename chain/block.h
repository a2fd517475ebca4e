// Block headers, blocks and PBFT commit certificates.
//
// Header encoding: u64 height | 32 prev_hash | 32 tx_root | 32 state_root |
//   u64 timestamp_ms | 32 proposer | u8 seal tag | seal fields
// where the seal is PBFT (u64 view, u64 sequence), PoW (u64 nonce, 32 target, big-endian)
// or PoS (u64 slot_time_s, 32 difficulty, big-endian, 64 signature). The block hash is
// SHA-256("synod/block/v1" || header encoding); the transactions are bound to it through tx_root
// (the Merkle root of their hashes), and the ledger state after the block through state_root.
//
// A commit certificate is the 2f+1 signed PBFT commits for one block. It is not part of
// the block hash: it is proof about the block, produced after it.
#pragma once

#include <cstdint>
#include <optional>
#include <variant>
#include <vector>

#include "chain/codec.h"
#include "chain/signing_domain.h"
#include "chain/transaction.h"
#include "crypto/sha256.h"

namespace synod::chain {

struct PbftSeal {
  std::uint64_t view = 0;
  std::uint64_t sequence = 0;
  bool operator==(const PbftSeal&) const = default;
};
struct PowSeal {
  std::uint64_t nonce = 0;
  crypto::Hash256 target;  // big-endian 256-bit threshold the block hash must not exceed
  bool operator==(const PowSeal&) const = default;
};
// A proof-of-stake seal: the second whose lottery the proposer won, the difficulty the
// chain required then, and the proposer's signature over the header (pos_seal.h). Two such
// signed headers at one height by one proposer prove the nothing-at-stake offence.
struct PosSeal {
  std::uint64_t slot_time_s = 0;
  crypto::Hash256 difficulty;  // big-endian 256-bit number
  crypto::Signature signature;
  bool operator==(const PosSeal&) const = default;
};
using Seal = std::variant<PbftSeal, PowSeal, PosSeal>;

struct BlockHeader {
  std::uint64_t height = 0;
  crypto::Hash256 prev_hash;
  crypto::Hash256 tx_root;
  crypto::Hash256 state_root;
  std::uint64_t timestamp_ms = 0;
  crypto::PublicKey proposer;
  Seal seal = PbftSeal{};

  crypto::Hash256 hash() const;
  bool operator==(const BlockHeader&) const = default;
};

struct CommitSignature {
  std::uint32_t validator_index = 0;
  crypto::Signature signature;
  bool operator==(const CommitSignature&) const = default;
};

struct CommitCertificate {
  std::uint64_t view = 0;
  std::uint64_t sequence = 0;
  crypto::Hash256 block_hash;
  std::vector<CommitSignature> signatures;  // strictly increasing validator_index
  bool operator==(const CommitCertificate&) const = default;
};

// The bytes a validator signs in a PBFT COMMIT (and so in a certificate):
// "synod/pbft/commit/v2" || chain_id || genesis_hash || view || sequence || block_hash.
Bytes commit_signing_bytes(const SigningDomain& domain, std::uint64_t view, std::uint64_t sequence,
                           const crypto::Hash256& block_hash);

struct Block {
  BlockHeader header;
  std::vector<Transaction> transactions;
  std::optional<CommitCertificate> certificate;

  crypto::Hash256 hash() const { return header.hash(); }
  Bytes encode() const;
  bool operator==(const Block&) const = default;
};

crypto::Hash256 transactions_root(const std::vector<Transaction>& transactions);

void write(Writer& out, const BlockHeader& header);
void write(Writer& out, const CommitCertificate& certificate);
void write(Writer& out, const Block& block);
BlockHeader read_header(Reader& in);
CommitCertificate read_certificate(Reader& in);
Block read_block(Reader& in);

Result<BlockHeader> decode_header(ByteView bytes);
Result<CommitCertificate> decode_certificate(ByteView bytes);
Result<Block> decode_block(ByteView bytes);

}  // namespace synod::chain
