#include "node/json_view.h"

#include "crypto/hex.h"

namespace synod::node {

using nlohmann::json;

namespace {

std::string hex(ByteView bytes) {
  return crypto::to_hex(bytes);
}

}  // namespace

json transaction_to_json(const chain::Transaction& tx) {
  json out = {{"hash", hex(tx.hash().view())},
              {"kind", chain::to_string(tx.kind)},
              {"chain_id", tx.chain_id},
              {"from", hex(tx.from.view())},
              {"from_address", chain::to_string(tx.sender())},
              {"to", chain::to_string(tx.to)},
              {"amount", tx.amount},
              {"fee", tx.fee},
              {"nonce", tx.nonce},
              {"signature", hex(tx.signature.view())}};
  if (tx.kind == chain::TxKind::kEvidence)
    out["evidence"] = hex(tx.evidence);
  return out;
}

Result<chain::Transaction> transaction_from_json(const json& value) {
  if (!value.is_object())
    return make_error("transaction: expected an object");
  for (const char* key : {"chain_id", "from", "to", "signature"}) {
    if (!value.contains(key) || !value[key].is_string()) {
      return make_error(std::string("transaction.") + key + ": expected a string");
    }
  }
  for (const char* key : {"amount", "fee", "nonce"}) {
    if (!value.contains(key) || !value[key].is_number_unsigned()) {
      return make_error(std::string("transaction.") + key + ": expected a non-negative integer");
    }
  }
  chain::Transaction tx;
  if (value.contains("kind")) {  // absent: a transfer, as before the PoS kinds
    auto kind = value["kind"].is_string() ? chain::parse_tx_kind(value["kind"].get<std::string>())
                                          : std::nullopt;
    if (!kind)
      return make_error("transaction.kind: expected transfer, stake, unstake or evidence");
    tx.kind = *kind;
  }
  if (tx.kind == chain::TxKind::kEvidence) {
    if (!value.contains("evidence") || !value["evidence"].is_string())
      return make_error("transaction.evidence: expected a hex string");
    auto evidence = crypto::from_hex(value["evidence"].get<std::string>());
    if (!evidence || evidence->size() > chain::kMaxEvidenceBytes)
      return make_error("transaction.evidence: expected at most " +
                        std::to_string(chain::kMaxEvidenceBytes) + " bytes of hex");
    tx.evidence = std::move(*evidence);
  }
  tx.chain_id = value["chain_id"].get<std::string>();
  auto from = crypto::fixed_from_hex<crypto::PublicKey>(value["from"].get<std::string>(),
                                                        "transaction.from");
  if (!from)
    return from.error();
  tx.from = *from;
  auto to = chain::parse_address(value["to"].get<std::string>());
  if (!to)
    return make_error("transaction.to: " + to.message());
  tx.to = *to;
  tx.amount = value["amount"].get<std::uint64_t>();
  tx.fee = value["fee"].get<std::uint64_t>();
  tx.nonce = value["nonce"].get<std::uint64_t>();
  auto signature = crypto::fixed_from_hex<crypto::Signature>(value["signature"].get<std::string>(),
                                                             "transaction.signature");
  if (!signature)
    return signature.error();
  tx.signature = *signature;
  return tx;
}

json header_to_json(const chain::BlockHeader& header) {
  json out = {{"height", header.height},
              {"hash", hex(header.hash().view())},
              {"prev_hash", hex(header.prev_hash.view())},
              {"tx_root", hex(header.tx_root.view())},
              {"state_root", hex(header.state_root.view())},
              {"timestamp_ms", header.timestamp_ms},
              {"proposer", hex(header.proposer.view())}};
  if (const auto* pbft = std::get_if<chain::PbftSeal>(&header.seal)) {
    out["seal"] = {{"kind", "pbft"}, {"view", pbft->view}, {"sequence", pbft->sequence}};
  } else if (const auto* pow = std::get_if<chain::PowSeal>(&header.seal)) {
    out["seal"] = {{"kind", "pow"}, {"nonce", pow->nonce}, {"target", hex(pow->target.view())}};
  } else {
    const auto& pos = std::get<chain::PosSeal>(header.seal);
    out["seal"] = {{"kind", "pos"},
                   {"slot_time_s", pos.slot_time_s},
                   {"difficulty", hex(pos.difficulty.view())},
                   {"signature", hex(pos.signature.view())}};
  }
  return out;
}

json certificate_to_json(const chain::CommitCertificate& certificate) {
  json signatures = json::array();
  for (const auto& entry : certificate.signatures) {
    signatures.push_back(
        {{"validator_index", entry.validator_index}, {"signature", hex(entry.signature.view())}});
  }
  return {{"view", certificate.view},
          {"sequence", certificate.sequence},
          {"block_hash", hex(certificate.block_hash.view())},
          {"signatures", signatures}};
}

json block_to_json(const chain::Block& block) {
  json transactions = json::array();
  for (const auto& tx : block.transactions)
    transactions.push_back(transaction_to_json(tx));
  json out = {{"header", header_to_json(block.header)},
              {"hash", hex(block.hash().view())},
              {"transactions", transactions},
              {"certificate", nullptr},
              {"raw", hex(block.encode())}};
  if (block.certificate)
    out["certificate"] = certificate_to_json(*block.certificate);
  return out;
}

json account_to_json(const chain::Address& address, const chain::Account& account) {
  json out = {{"address", chain::to_string(address)},
              {"balance", account.balance},
              {"nonce", account.nonce},
              {"stake", account.stake}};
  if (account.unbonding != 0) {
    out["unbonding"] = account.unbonding;
    out["unbonding_height"] = account.unbonding_height;
  }
  if (account.slashed()) {  // why the stake went, for anyone reading the account
    out["slashed"] = {{"reason", "double_sign"},
                      {"offence_height", account.offence_height},
                      {"slashed_at_height", account.slashed_height}};
  }
  if (account.stake != 0 || account.slashed())
    out["lottery_stake"] = account.lottery_stake();
  return out;
}

}  // namespace synod::node
