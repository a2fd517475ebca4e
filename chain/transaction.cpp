#include "chain/transaction.h"

#include "chain/limits.h"

namespace synod::chain {
namespace {

constexpr std::string_view kTxDomain = "synod/tx/v1";

void write_unsigned(Writer& out, const Transaction& tx) {
  out.u8(static_cast<std::uint8_t>(tx.kind));
  out.string(tx.chain_id);
  out.fixed(tx.from);
  out.fixed(tx.to);
  out.u64(tx.amount);
  out.u64(tx.fee);
  out.u64(tx.nonce);
}

}  // namespace

Bytes Transaction::signing_bytes() const {
  Writer out;
  out.reserve(kTxDomain.size() + kMinTransactionBytes + chain_id.size());
  out.raw(as_bytes(kTxDomain));
  write_unsigned(out, *this);
  return out.take();
}

void Transaction::sign(const crypto::KeyPair& key) {
  signature = key.sign(signing_bytes());
}

bool Transaction::signature_valid() const {
  return crypto::verify(from, signing_bytes(), signature);
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
  if (in.ok() && kind != static_cast<std::uint8_t>(TxKind::kTransfer)) {
    in.fail("unknown transaction kind " + std::to_string(kind));
  }
  tx.kind = TxKind::kTransfer;
  tx.chain_id = in.string(kMaxChainIdBytes);
  tx.from = in.fixed<crypto::PublicKey>();
  tx.to = in.fixed<Address>();
  tx.amount = in.u64();
  tx.fee = in.u64();
  tx.nonce = in.u64();
  tx.signature = in.fixed<crypto::Signature>();
  return tx;
}

Result<Transaction> decode_transaction(ByteView bytes) {
  return decode_all<Transaction>(bytes, "transaction", read_transaction);
}

Transaction make_transfer(const crypto::KeyPair& sender, std::string chain_id, const Address& to,
                          std::uint64_t amount, std::uint64_t fee, std::uint64_t nonce) {
  Transaction tx;
  tx.chain_id = std::move(chain_id);
  tx.from = sender.public_key();
  tx.to = to;
  tx.amount = amount;
  tx.fee = fee;
  tx.nonce = nonce;
  tx.sign(sender);
  return tx;
}

}  // namespace synod::chain
