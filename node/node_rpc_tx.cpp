// The JSON-RPC methods about transactions: submit_tx (a full node relays it to an
// upstream) and get_tx.
#include "chain/genesis.h"
#include "chain/limits.h"
#include "node/json_view.h"
#include "node/node_impl.h"
#include "node/rpc_detail.h"

namespace synod::node {

using nlohmann::json;
using namespace rpc_detail;

void Node::Impl::rpc_submit_tx(const json& params, RpcReply reply) {
  chain::Transaction tx;
  if (const json* raw = param(params, "tx"); raw && raw->is_string()) {
    auto bytes = crypto::from_hex(raw->get<std::string>());
    if (!bytes)
      return reply.error(kInvalidParams, "tx: " + bytes.message());
    auto decoded = chain::decode_transaction(*bytes);
    if (!decoded)
      return reply.error(kInvalidParams, decoded.message());
    tx = std::move(*decoded);
  } else if (const json* form = param(params, "transaction"); form && form->is_object()) {
    auto parsed = transaction_from_json(*form);
    if (!parsed)
      return reply.error(kInvalidParams, parsed.message());
    tx = std::move(*parsed);
  } else {
    return reply.error(
        kInvalidParams,
        "expected {\"tx\": hex of the signed transaction} or {\"transaction\": {...}}");
  }
  const crypto::Hash256 tx_hash = tx.hash();
  std::string hash = hex(tx_hash.view());
  if (is_full_node()) {
    relay(std::move(tx), [reply](client::RpcOutcome outcome) mutable {
      if (outcome.ok())
        return reply.result(outcome.result());
      const auto& error = outcome.error();
      if (error.kind == client::RpcError::Kind::kRpc)
        return reply.error(error.code, error.message, error.data);
      reply.error(kUpstreamUnavailable,
                  "no upstream could take the transaction: " + client::describe(error));
    });
    return;
  }
  if (auto refusal = dry_run_stake_kind(tx)) {
    // The reason first, as for a mempool refusal: "transaction 0 rejected" would speak of a
    // block the submitter never sees.
    const std::string reason = chain::to_string(refusal->reason);
    const std::string detail = refusal->detail.empty() ? "" : " (" + refusal->detail + ")";
    return reply.error(kTransactionRefused, "transaction refused: " + reason + detail,
                       json{{"reason", reason}, {"hash", hash}});
  }
  submit(std::move(tx), tx_hash, [reply, hash](std::optional<std::string> refusal) mutable {
    if (refusal) {
      reply.error(kTransactionRefused, "transaction refused: " + *refusal,
                  json{{"reason", *refusal}, {"hash", hash}});
    } else {
      reply.result({{"hash", hash}, {"status", "pending"}});
    }
  });
}

// The mempool checks nonces and balances only; a stake, unstake or evidence transaction
// that is next in its sender's line is executed against the head's state first, so that
// forged, contradictory, expired or duplicate evidence is refused at once with its reason.
std::optional<chain::TxRejection> Node::Impl::dry_run_stake_kind(const chain::Transaction& tx) {
  if (tx.kind == chain::TxKind::kTransfer)
    return std::nullopt;
  const chain::State& state = engine->state();
  if (tx.nonce != state.account(tx.sender()).nonce)
    return std::nullopt;  // behind its sender's pending transactions: checked in a block
  chain::Execution execution =
      state.execute({tx}, tx.sender(), chain::SignaturePolicy::kVerify, 0, head_height() + 1);
  return execution.rejection;
}

namespace {

json committed_tx_json(json out, const chain::TxLocation& location, std::uint64_t head_height) {
  out["status"] = "committed";
  out["height"] = location.height;
  out["index"] = location.index;
  out["block_hash"] = hex(location.block_hash.view());
  out["confirmations"] = head_height - location.height + 1;
  out["in_best_chain"] = true;
  return out;
}

}  // namespace

// Transactions of blocks not yet indexed are answered from memory; the index lookup, a read
// of SQLite, is made on an RPC thread like get_block's (node/block_reads.h).
void Node::Impl::rpc_get_tx(const json& params, RpcReply reply) {
  const json* value = param(params, "hash");
  if (!value || !value->is_string())
    return reply.error(kInvalidParams, "expected {\"hash\": hex}");
  auto hash = crypto::fixed_from_hex<crypto::Hash256>(value->get<std::string>(), "hash");
  if (!hash)
    return reply.error(kInvalidParams, hash.message());
  json out = {{"hash", value->get<std::string>()}};
  if (auto it = backlog.unindexed_transactions.find(*hash);
      it != backlog.unindexed_transactions.end())
    return reply.result(committed_tx_json(std::move(out), it->second, head_height()));
  bool pending = mempool->contains(*hash) || relayed_recently(*hash);
  reply.answer_from([readers = store_readers, tx_hash = *hash, out = std::move(out), pending,
                     head = head_height()]() mutable -> RpcAnswer {
    auto store = readers->this_thread();
    if (!store)
      return RpcFailure{kInternal, store.message()};
    auto found = (*store)->find_transaction(tx_hash);
    if (!found)
      return RpcFailure{kInternal, found.message()};
    if (found->has_value())
      return committed_tx_json(std::move(out), **found, head);
    out["status"] = pending ? "pending" : "unknown";
    return out;
  });
}

}  // namespace synod::node
