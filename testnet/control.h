// The synod-testnet subcommands that create, start, inspect and stop a local testnet.
// Each prints its result (a table for people, one JSON object with --json) and returns an
// error for main() to print as one line.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "testnet/layout.h"

namespace synod::testnet {

Status cmd_init(const InitOptions& options, bool json);
// `byzantine`: "NODE=KIND[,KIND]" items.
Status cmd_up(const std::string& dir, const std::vector<std::string>& byzantine,
              std::uint64_t timeout_s, bool json);
Status cmd_status(const std::string& dir, bool json);
// action: "kill" (SIGKILL), "pause" (SIGSTOP) or "resume" (SIGCONT).
Status cmd_signal(const std::string& dir, const std::string& node, const std::string& action,
                  bool json);
Status cmd_restart(const std::string& dir, const std::string& node, const std::string& byzantine,
                   std::uint64_t timeout_s, bool json);
Status cmd_down(const std::string& dir, std::uint64_t grace_s, bool json);
Status cmd_logs(const std::string& dir, const std::string& node, std::size_t lines, bool follow,
                bool as_json);

}  // namespace synod::testnet
