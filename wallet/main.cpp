// synod-wallet: keys, balances and transfers against a Synod node over JSON-RPC. Signing
// happens here; the secret key never leaves this process.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <nlohmann/json.hpp>

#include "wallet/wallet_commands.h"

namespace {

using synod::wallet::Globals;

// --node, --json and --genesis on the main command and on every subcommand, so they work
// before or after the subcommand name and show in every --help.
void add_globals(CLI::App& app, Globals& globals) {
  app.add_option("--node", globals.node,
                 "RPC address HOST:PORT of a validator or a full node (default: $SYNOD_NODE, "
                 "else " +
                     std::string(synod::wallet::kDefaultNode) + ")")
      ->type_name("HOST:PORT");
  app.add_flag("--json", globals.json, "Print one JSON object instead of text");
  app.add_option("--genesis", globals.genesis_file,
                 "Genesis file to verify commit certificates against (default: the genesis "
                 "pinned from the node on first use)")
      ->type_name("FILE");
}

int fail(const Globals& globals, const std::string& message) {
  std::fprintf(stderr, "synod-wallet: error: %s\n", message.c_str());
  if (globals.json)
    std::printf("%s\n", nlohmann::json{{"error", message}}.dump().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"synod-wallet: keys, balances and transfers on a Synod chain", "synod-wallet"};
  app.require_subcommand(1);
  Globals globals;
  add_globals(app, globals);

  std::string out_file;
  auto* keygen = app.add_subcommand("keygen", "Make a new key pair and write it to a key file");
  keygen->add_option("--out", out_file, "Key file to write (mode 0600; never overwritten)")
      ->type_name("FILE")
      ->required();

  std::string key_file;
  auto* address = app.add_subcommand("address", "Print the address of a key file");
  address->add_option("--key", key_file, "Key file")->required()->type_name("FILE");

  std::string address_text;
  auto* balance = app.add_subcommand("balance", "Show an account's balance and nonce");
  balance->add_option("address", address_text, "Account address (syn...)");
  balance->add_option("--key", key_file, "Key file whose account to show (instead of ADDRESS)")
      ->type_name("FILE");

  synod::wallet::TransferArgs transfer_args;
  auto* transfer = app.add_subcommand(
      "transfer", "Sign a transfer locally, submit it and wait until it is committed");
  transfer->add_option("--key", transfer_args.key_file, "Sender's key file")
      ->required()
      ->type_name("FILE");
  transfer->add_option("--to", transfer_args.to, "Recipient address (syn...)")
      ->required()
      ->type_name("ADDRESS");
  transfer->add_option("--amount", transfer_args.amount, "Whole amount in the smallest unit")
      ->required()
      ->type_name("N");
  transfer->add_option("--fee", transfer_args.fee, "Fee paid to the block proposer (default 0)")
      ->type_name("N");
  transfer
      ->add_option("--nonce", transfer_args.nonce,
                   "Nonce to use (default: the account's next nonce)")
      ->type_name("N");
  transfer->add_flag("--no-wait", transfer_args.no_wait,
                     "Return after submitting, without waiting for the commit");
  transfer
      ->add_option("--timeout", transfer_args.timeout_s,
                   "Seconds to wait for the commit (default 30)")
      ->type_name("SECONDS");

  std::string hash;
  auto* tx = app.add_subcommand("tx", "Show a transaction: pending or committed, and where");
  tx->add_option("hash", hash, "Transaction hash (64 hex digits)")->required();

  std::string which;
  auto* block = app.add_subcommand(
      "block", "Show a block and verify its commit certificate against the genesis");
  block->add_option("height", which, "Block height, or \"latest\" (default)");

  auto* status = app.add_subcommand("status", "Show the node's view of the chain");
  auto* validators = app.add_subcommand("validators", "List the genesis validator set");

  for (CLI::App* sub : {keygen, address, balance, transfer, tx, block, status, validators})
    add_globals(*sub, globals);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "synod-wallet: error: %s (see synod-wallet --help)\n", e.what());
    return 2;
  }

  try {
    synod::Status result;
    if (*keygen)
      result = synod::wallet::keygen(globals, out_file);
    else if (*address)
      result = synod::wallet::address(globals, key_file);
    else if (*balance)
      result = synod::wallet::balance(globals, address_text, key_file);
    else if (*transfer)
      result = synod::wallet::transfer(globals, transfer_args);
    else if (*tx)
      result = synod::wallet::show_tx(globals, hash);
    else if (*block)
      result = synod::wallet::show_block(globals, which);
    else if (*status)
      result = synod::wallet::status(globals);
    else if (*validators)
      result = synod::wallet::validators(globals);
    if (!result)
      return fail(globals, result.message());
  } catch (const nlohmann::json::exception&) {
    return fail(globals, "the node sent an answer this wallet cannot read");
  } catch (const std::exception& e) {
    return fail(globals, e.what());
  }
  return 0;
}
