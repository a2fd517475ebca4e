#include "chain/block.h"

#include "chain/limits.h"
#include "crypto/merkle.h"

namespace synod::chain {
namespace {

constexpr std::string_view kBlockDomain = "synod/block/v1";
constexpr std::string_view kCommitDomain = "synod/pbft/commit/v2";
constexpr std::size_t kHeaderFixedBytes = 8 + 32 * 3 + 8 + 32 + 1;
constexpr std::size_t kCommitSignatureBytes = 4 + 64;

enum SealTag : std::uint8_t { kPbftTag = 1, kPowTag = 2, kPosTag = 3 };

}  // namespace

crypto::Hash256 BlockHeader::hash() const {
  Writer out;
  out.reserve(kBlockDomain.size() + kHeaderFixedBytes + 48);
  out.raw(as_bytes(kBlockDomain));
  write(out, *this);
  return crypto::sha256(out.data());
}

Bytes commit_signing_bytes(const SigningDomain& domain, std::uint64_t view, std::uint64_t sequence,
                           const crypto::Hash256& block_hash) {
  Writer out;
  out.raw(as_bytes(kCommitDomain));
  write(out, domain);
  out.u64(view);
  out.u64(sequence);
  out.fixed(block_hash);
  return out.take();
}

Bytes Block::encode() const {
  Writer out;
  write(out, *this);
  return out.take();
}

crypto::Hash256 transactions_root(const std::vector<Transaction>& transactions) {
  std::vector<crypto::Hash256> hashes;
  hashes.reserve(transactions.size());
  for (const auto& tx : transactions)
    hashes.push_back(tx.hash());
  return crypto::merkle_root(hashes);
}

void write(Writer& out, const BlockHeader& header) {
  out.u64(header.height);
  out.fixed(header.prev_hash);
  out.fixed(header.tx_root);
  out.fixed(header.state_root);
  out.u64(header.timestamp_ms);
  out.fixed(header.proposer);
  if (const auto* pbft = std::get_if<PbftSeal>(&header.seal)) {
    out.u8(kPbftTag);
    out.u64(pbft->view);
    out.u64(pbft->sequence);
  } else if (const auto* pow = std::get_if<PowSeal>(&header.seal)) {
    out.u8(kPowTag);
    out.u64(pow->nonce);
    out.fixed(pow->target);
  } else {
    const auto& pos = std::get<PosSeal>(header.seal);
    out.u8(kPosTag);
    out.u64(pos.slot_time_s);
    out.fixed(pos.difficulty);
    out.fixed(pos.signature);
  }
}

BlockHeader read_header(Reader& in) {
  BlockHeader header;
  header.height = in.u64();
  header.prev_hash = in.fixed<crypto::Hash256>();
  header.tx_root = in.fixed<crypto::Hash256>();
  header.state_root = in.fixed<crypto::Hash256>();
  header.timestamp_ms = in.u64();
  header.proposer = in.fixed<crypto::PublicKey>();
  std::uint8_t tag = in.u8();
  switch (tag) {
    case kPbftTag: {
      PbftSeal seal;
      seal.view = in.u64();
      seal.sequence = in.u64();
      header.seal = seal;
      break;
    }
    case kPowTag: {
      PowSeal seal;
      seal.nonce = in.u64();
      seal.target = in.fixed<crypto::Hash256>();
      header.seal = seal;
      break;
    }
    case kPosTag: {
      PosSeal seal;
      seal.slot_time_s = in.u64();
      seal.difficulty = in.fixed<crypto::Hash256>();
      seal.signature = in.fixed<crypto::Signature>();
      header.seal = seal;
      break;
    }
    default:
      in.fail("unknown seal tag " + std::to_string(tag));
  }
  return header;
}

void write(Writer& out, const CommitCertificate& certificate) {
  out.u64(certificate.view);
  out.u64(certificate.sequence);
  out.fixed(certificate.block_hash);
  out.count(certificate.signatures.size());
  for (const auto& entry : certificate.signatures) {
    out.u32(entry.validator_index);
    out.fixed(entry.signature);
  }
}

CommitCertificate read_certificate(Reader& in) {
  CommitCertificate certificate;
  certificate.view = in.u64();
  certificate.sequence = in.u64();
  certificate.block_hash = in.fixed<crypto::Hash256>();
  std::size_t n = in.count(kMaxValidators, kCommitSignatureBytes);
  certificate.signatures.reserve(n);
  for (std::size_t i = 0; i < n && in.ok(); ++i) {
    CommitSignature entry;
    entry.validator_index = in.u32();
    entry.signature = in.fixed<crypto::Signature>();
    if (i > 0 && entry.validator_index <= certificate.signatures.back().validator_index) {
      in.fail("certificate signatures not in strictly increasing validator order");
    }
    certificate.signatures.push_back(entry);
  }
  return certificate;
}

void write(Writer& out, const Block& block) {
  write(out, block.header);
  out.count(block.transactions.size());
  for (const auto& tx : block.transactions)
    write(out, tx);
  out.boolean(block.certificate.has_value());
  if (block.certificate)
    write(out, *block.certificate);
}

Block read_block(Reader& in) {
  Block block;
  block.header = read_header(in);
  std::size_t n = in.count(kMaxBlockTransactions, kMinTransactionBytes);
  block.transactions.reserve(n);
  for (std::size_t i = 0; i < n && in.ok(); ++i)
    block.transactions.push_back(read_transaction(in));
  if (in.boolean())
    block.certificate = read_certificate(in);
  return block;
}

Result<BlockHeader> decode_header(ByteView bytes) {
  return decode_all<BlockHeader>(bytes, "block header", read_header);
}

Result<CommitCertificate> decode_certificate(ByteView bytes) {
  return decode_all<CommitCertificate>(bytes, "commit certificate", read_certificate);
}

Result<Block> decode_block(ByteView bytes) {
  if (bytes.size() > kMaxBlockBytes) {
    return make_error("block: " + std::to_string(bytes.size()) + " bytes exceeds limit " +
                      std::to_string(kMaxBlockBytes));
  }
  return decode_all<Block>(bytes, "block", read_block);
}

}  // namespace synod::chain
