#include "chain/transaction.h"

#include "chain/limits.h"

namespace synod::chain {
namespace {

// v1 signed the encoding alone (so the chain id, not the genesis); v2 adds the domain.
constexpr std::string_view kTxTag = "synod/tx/v2";

void write_unsigned(Writer& out, const Transaction& tx) {
  out.u8(static_cast<std::uint8_t>(tx.kind));
  out.string(tx.chain_id);
  out.fixed(tx.from);
  out.fixed(tx.to);
  out.u64(tx.amount);
  out.u64(tx.fee);
  out.u64(tx.nonce);
  if (tx.kind == TxKind::kEvidence)
    out.bytes(tx.evidence);
}

bool known_kind(std::uint8_t kind) {
  return kind >= static_cast<std::uint8_t>(TxKind::kTransfer) &&
         kind <= static_cast<std::uint8_t>(TxKind::kEvidence);
}

}  // namespace

const char* to_string(TxKind kind) {
  switch (kind) {
    case TxKind::kTransfer:
      return "transfer";
    case TxKind::kStake:
      return "stake";
    case TxKind::kUnstake:
      return "unstake";
    case TxKind::kEvidence:
      return "evidence";
  }
  return "unknown";
}

std::optional<TxKind> parse_tx_kind(std::string_view text) {
  for (TxKind kind : {TxKind::kTransfer, TxKind::kStake, TxKind::kUnstake, TxKind::kEvidence}) {
    if (text == to_string(kind))
      return kind;
  }
  return std::nullopt;
}

std::uint64_t Transaction::balance_cost() const {
  if (kind == TxKind::kUnstake || kind == TxKind::kEvidence)
    return fee;
  return amount > UINT64_MAX - fee ? UINT64_MAX : amount + fee;
}

Bytes Transaction::signing_bytes(const SigningDomain& domain) const {
  Writer out;
  out.reserve(kTxTag.size() + 4 + domain.chain_id.size() + crypto::Hash256::kSize + encoded_size());
  out.raw(as_bytes(kTxTag));
  write(out, domain);
  write_unsigned(out, *this);
  return out.take();
}

void Transaction::sign(const crypto::KeyPair& key, const SigningDomain& domain) {
  signature = key.sign(signing_bytes(domain));
}

bool Transaction::signature_valid(const SigningDomain& domain) const {
  return crypto::verify(from, signing_bytes(domain), signature);
}

Bytes Transaction::encode() const {
  Writer out;
  out.reserve(encoded_size());
  write(out, *this);
  return out.take();
}

crypto::Hash256 Transaction::hash() const {
  return crypto::sha256(encode());
}

void write(Writer& out, const Transaction& tx) {
  write_unsigned(out, tx);
  out.fixed(tx.signature);
}

Transaction read_transaction(Reader& in) {
  Transaction tx;
  std::uint8_t kind = in.u8();
  if (in.ok() && !known_kind(kind))
    in.fail("unknown transaction kind " + std::to_string(kind));
  tx.kind = in.ok() ? static_cast<TxKind>(kind) : TxKind::kTransfer;
  tx.chain_id = in.string(kMaxChainIdBytes);
  tx.from = in.fixed<crypto::PublicKey>();
  tx.to = in.fixed<Address>();
  tx.amount = in.u64();
  tx.fee = in.u64();
  tx.nonce = in.u64();
  if (tx.kind == TxKind::kEvidence)
    tx.evidence = in.bytes(kMaxEvidenceBytes);
  tx.signature = in.fixed<crypto::Signature>();
  return tx;
}

Result<Transaction> decode_transaction(ByteView bytes) {
  return decode_all<Transaction>(bytes, "transaction", read_transaction);
}

Transaction make_transfer(const crypto::KeyPair& sender, const SigningDomain& domain,
                          const Address& to, std::uint64_t amount, std::uint64_t fee,
                          std::uint64_t nonce) {
  Transaction tx;
  tx.chain_id = domain.chain_id;
  tx.from = sender.public_key();
  tx.to = to;
  tx.amount = amount;
  tx.fee = fee;
  tx.nonce = nonce;
  tx.sign(sender, domain);
  return tx;
}

Transaction make_stake(const crypto::KeyPair& sender, const SigningDomain& domain, TxKind kind,
                       std::uint64_t amount, std::uint64_t fee, std::uint64_t nonce) {
  Transaction tx;
  tx.kind = kind;
  tx.chain_id = domain.chain_id;
  tx.from = sender.public_key();
  tx.to = address_of(tx.from);
  tx.amount = amount;
  tx.fee = fee;
  tx.nonce = nonce;
  tx.sign(sender, domain);
  return tx;
}

Transaction make_evidence(const crypto::KeyPair& reporter, const SigningDomain& domain,
                          Bytes evidence, std::uint64_t fee, std::uint64_t nonce) {
  Transaction tx;
  tx.kind = TxKind::kEvidence;
  tx.chain_id = domain.chain_id;
  tx.from = reporter.public_key();
  tx.to = address_of(tx.from);
  tx.fee = fee;
  tx.nonce = nonce;
  tx.evidence = std::move(evidence);
  tx.sign(reporter, domain);
  return tx;
}

}  // namespace synod::chain
