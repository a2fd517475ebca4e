// synod-wallet: keys, balances and transfers against a Synod node over JSON-RPC. Signing
// happens here; the secret key never leaves this process.
#include <CLI/CLI.hpp>
#include <string>
#include <utility>

#include "wallet/cli_support.h"
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
                 "Genesis file to verify blocks against: PBFT commit certificates, PoW the "
                 "chain from block 0, PoS the chain from block 0 with the stake lottery "
                 "replayed (default: the genesis pinned from the node on first use)")
      ->type_name("FILE");
}

// The command line as typed, and the subcommands to tell which one was chosen.
struct CommandLine {
  Globals globals;
  std::string out_file;
  std::string key_file;  // address, balance
  std::string address_text;
  synod::wallet::TransferArgs transfer_args;
  synod::wallet::TransferArgs stake_args;  // stake, unstake and evidence
  std::string hash;
  std::string which;
  CLI::App *keygen = nullptr, *address = nullptr, *balance = nullptr, *transfer = nullptr,
           *tx = nullptr, *block = nullptr, *status = nullptr, *validators = nullptr,
           *stake = nullptr, *unstake = nullptr, *evidence = nullptr;
};

void add_key_commands(CLI::App& app, CommandLine& line) {
  line.keygen = app.add_subcommand("keygen", "Make a new key pair and write it to a key file");
  line.keygen
      ->add_option("--out", line.out_file, "Key file to write (mode 0600; never overwritten)")
      ->type_name("FILE")
      ->required();

  line.address = app.add_subcommand("address", "Print the address of a key file");
  line.address->add_option("--key", line.key_file, "Key file")->required()->type_name("FILE");

  line.balance = app.add_subcommand("balance", "Show an account's balance and nonce");
  line.balance->add_option("address", line.address_text, "Account address (syn...)");
  line.balance
      ->add_option("--key", line.key_file, "Key file whose account to show (instead of ADDRESS)")
      ->type_name("FILE");
}

void add_transfer(CLI::App& app, CommandLine& line) {
  synod::wallet::TransferArgs& args = line.transfer_args;
  auto* transfer = app.add_subcommand(
      "transfer", "Sign a transfer locally, submit it and wait until it is committed");
  transfer->add_option("--key", args.key_file, "Sender's key file")->required()->type_name("FILE");
  transfer->add_option("--to", args.to, "Recipient address (syn...)")
      ->required()
      ->type_name("ADDRESS");
  transfer->add_option("--amount", args.amount, "Whole amount in the smallest unit")
      ->required()
      ->type_name("N");
  transfer->add_option("--fee", args.fee, "Fee paid to the block proposer (default 0)")
      ->type_name("N");
  transfer->add_option("--nonce", args.nonce, "Nonce to use (default: the account's next nonce)")
      ->type_name("N");
  transfer->add_flag("--no-wait", args.no_wait,
                     "Return after submitting, without waiting for the commit");
  transfer
      ->add_option("--confirmations", args.confirmations,
                   "Wait until the transfer's block has K confirmations (the block itself is "
                   "1, each block on top one more) and verify the chain to it (default: PBFT "
                   "0, final once committed; PoW 1, in a block)")
      ->type_name("K");
  transfer
      ->add_option("--timeout", args.timeout_s,
                   "Seconds to wait (default 30; PoW: plus 5 block intervals a confirmation)")
      ->type_name("SECONDS");
  line.transfer = transfer;
}

// The waiting options transfer, stake, unstake and evidence share.
void add_waiting_options(CLI::App& command, synod::wallet::TransferArgs& args) {
  command.add_option("--fee", args.fee, "Fee paid to the block proposer (default 0)")
      ->type_name("N");
  command.add_option("--nonce", args.nonce, "Nonce to use (default: the account's next nonce)")
      ->type_name("N");
  command.add_flag("--no-wait", args.no_wait, "Return after submitting, without waiting");
  command
      .add_option("--confirmations", args.confirmations,
                  "Wait until its block has K confirmations and verify the chain to it "
                  "(default 1)")
      ->type_name("K");
  command.add_option("--timeout", args.timeout_s, "Seconds to wait")->type_name("SECONDS");
}

// Proof-of-stake: stake and unstake an amount of the key's own account, submit evidence.
void add_stake_commands(CLI::App& app, CommandLine& line) {
  synod::wallet::TransferArgs& args = line.stake_args;
  line.stake = app.add_subcommand("stake", "PoS: bond part of the key's balance as stake");
  line.unstake = app.add_subcommand(
      "unstake", "PoS: start unbonding stake (spendable after the genesis' unbonding delay)");
  for (CLI::App* command : {line.stake, line.unstake}) {
    command->add_option("--key", args.key_file, "The staker's key file")
        ->required()
        ->type_name("FILE");
    command->add_option("--amount", args.amount, "Whole amount in the smallest unit")
        ->required()
        ->type_name("N");
    add_waiting_options(*command, args);
  }
  line.evidence =
      app.add_subcommand("evidence",
                         "PoS: submit two signed headers of one validator at one height (a "
                         "double-sign) as slashing evidence; the reporter earns a share");
  line.evidence
      ->add_option("file", args.evidence_file,
                   "JSON {\"first\": HEX, \"second\": HEX}: blocks (get_block "
                   "\"raw\") or headers")
      ->required()
      ->type_name("FILE");
  line.evidence->add_option("--key", args.key_file, "The reporter's key file")
      ->required()
      ->type_name("FILE");
  add_waiting_options(*line.evidence, args);
}

void add_show_commands(CLI::App& app, CommandLine& line) {
  line.tx = app.add_subcommand("tx", "Show a transaction: pending or committed, and where");
  line.tx->add_option("hash", line.hash, "Transaction hash (64 hex digits)")->required();

  line.block = app.add_subcommand(
      "block", "Show a block and verify its commit certificate against the genesis");
  line.block->add_option("height", line.which, "Block height, or \"latest\" (default)");

  line.status = app.add_subcommand("status", "Show the node's view of the chain");
  line.validators = app.add_subcommand("validators", "List the genesis validator set");
}

// Every subcommand, in the order --help lists them, each also taking the global options.
void add_commands(CLI::App& app, CommandLine& line) {
  add_key_commands(app, line);
  add_transfer(app, line);
  add_stake_commands(app, line);
  add_show_commands(app, line);
  for (CLI::App* sub :
       {line.keygen, line.address, line.balance, line.transfer, line.stake, line.unstake,
        line.evidence, line.tx, line.block, line.status, line.validators})
    add_globals(*sub, line.globals);
}

synod::Status run(const CommandLine& line) {
  const Globals& globals = line.globals;
  if (*line.keygen)
    return synod::wallet::keygen(globals, line.out_file);
  if (*line.address)
    return synod::wallet::address(globals, line.key_file);
  if (*line.balance)
    return synod::wallet::balance(globals, line.address_text, line.key_file);
  if (*line.transfer)
    return synod::wallet::transfer(globals, line.transfer_args);
  for (auto [command, kind] : {std::pair{line.stake, "stake"}, std::pair{line.unstake, "unstake"},
                               std::pair{line.evidence, "evidence"}}) {
    if (*command) {
      synod::wallet::TransferArgs args = line.stake_args;
      args.kind = kind;
      return synod::wallet::transfer(globals, args);
    }
  }
  if (*line.tx)
    return synod::wallet::show_tx(globals, line.hash);
  if (*line.block)
    return synod::wallet::show_block(globals, line.which);
  if (*line.status)
    return synod::wallet::status(globals);
  if (*line.validators)
    return synod::wallet::validators(globals);
  return synod::Status::success();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"synod-wallet: keys, balances and transfers on a Synod chain", "synod-wallet"};
  app.require_subcommand(1);
  CommandLine line;
  add_globals(app, line.globals);
  add_commands(app, line);
  if (auto exit_code = synod::cli::parse_command_line(app, argc, argv))
    return *exit_code;
  return synod::cli::run_command("synod-wallet", line.globals.json,
                                 "the node sent an answer this wallet cannot read",
                                 [&]() -> synod::Result<int> {
                                   if (auto status = run(line); !status)
                                     return status.error();
                                   return 0;
                                 });
}
