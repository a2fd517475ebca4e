// What `synod-testnet init` and `status` say about a proof-of-stake testnet: the lottery's
// parameters, and per node its height, head, chain length, tips, difficulty, its own stake
// and the offences its slasher saw. Agreement is judged as for proof-of-work (pow_status.h):
// best chains compared a few blocks below the lowest tip, a fork at the tip being no
// disagreement.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "testnet/layout.h"
#include "wallet/cli_support.h"

namespace synod::testnet {

nlohmann::json pos_init_json(const Testnet& testnet);
// The consensus paragraph of init's text report.
std::string pos_consensus_text(const Testnet& testnet);
// The status table for a PoS testnet and one row's mode-specific cells.
cli::Table pos_status_table();
std::vector<std::string> pos_status_cells(const nlohmann::json& status);

}  // namespace synod::testnet
