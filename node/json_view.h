// JSON views of chain types for JSON-RPC responses and the transaction form submit_tx
// accepts. JSON is only for people and scripts: hashes and signatures are always over the
// canonical binary encoding, which responses also carry as hex ("raw") so a client can
// check them without trusting this rendering.
#pragma once

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "chain/block.h"
#include "chain/state.h"

namespace synod::node {

nlohmann::json transaction_to_json(const chain::Transaction& tx);
// The JSON form: {"chain_id", "from" (public key hex), "to" (address), "amount", "fee",
// "nonce", "signature" (hex)}; every field required and strictly typed.
Result<chain::Transaction> transaction_from_json(const nlohmann::json& value);

nlohmann::json header_to_json(const chain::BlockHeader& header);
nlohmann::json certificate_to_json(const chain::CommitCertificate& certificate);
nlohmann::json block_to_json(const chain::Block& block);
nlohmann::json account_to_json(const chain::Address& address, const chain::Account& account);

}  // namespace synod::node
