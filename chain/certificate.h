// Checking a PBFT commit certificate with nothing but the genesis: anyone holding it can
// confirm a block is final without trusting the node that served the block.
#pragma once

#include "base/result.h"
#include "chain/block.h"
#include "chain/genesis.h"

namespace synod::chain {

// OK when `certificate` names `block_hash` and carries valid commit signatures from at
// least a quorum (2f+1) of distinct validators of `validators`, made in `domain` (the
// chain id and genesis hash of the genesis that names them).
Status verify_certificate(const CommitCertificate& certificate, const crypto::Hash256& block_hash,
                          const ValidatorSet& validators, const SigningDomain& domain);

// A certificate for block.hash() that also agrees with the block's PBFT seal.
Status verify_block_certificate(const Block& block, const ValidatorSet& validators,
                                const SigningDomain& domain);

}  // namespace synod::chain
