// The synod-wallet subcommands. Each prints its result (a table for people, one JSON
// object with --json) and returns an error for main() to print as one line.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/result.h"

namespace synod::wallet {

// Options every subcommand accepts.
struct Globals {
  std::string node;  // HOST:PORT; empty: $SYNOD_NODE, else the local testnet default
  bool json = false;
  std::string genesis_file;  // empty: pin the node's genesis on first use
};

inline constexpr const char* kDefaultNode = "127.0.0.1:26657";

struct TransferArgs {
  // What to sign: a transfer, or a PoS stake, unstake (the sender is its own recipient;
  // no --to) or evidence (no --to or --amount; evidence_file holds the two headers).
  std::string kind = "transfer";
  std::string evidence_file;
  std::string key_file;
  std::string to;
  std::string amount;
  std::string fee = "0";
  std::string nonce;  // empty: the account's next nonce
  bool no_wait = false;
  // Empty: the defaults — PBFT 0 (committed is final), PoW 1 (in a block of the best chain).
  std::string confirmations;
  // Empty: 30 s, plus in PoW mode five block intervals a confirmation.
  std::string timeout_s;
};

Status keygen(const Globals& globals, const std::string& out_file);
Status address(const Globals& globals, const std::string& key_file);
Status balance(const Globals& globals, const std::string& address_text,
               const std::string& key_file);
// transfer, stake, unstake and evidence: sign, submit, wait, verify.
Status transfer(const Globals& globals, const TransferArgs& args);
Status show_tx(const Globals& globals, const std::string& hash);
Status show_block(const Globals& globals, const std::string& which);
Status status(const Globals& globals);
Status validators(const Globals& globals);

}  // namespace synod::wallet
