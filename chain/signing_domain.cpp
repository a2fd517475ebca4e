#include "chain/signing_domain.h"

#include "chain/genesis.h"

namespace synod::chain {

SigningDomain SigningDomain::of(const Genesis& genesis) {
  return SigningDomain{genesis.chain_id, genesis.hash()};
}

void write(Writer& out, const SigningDomain& domain) {
  out.string(domain.chain_id);
  out.fixed(domain.genesis_hash);
}

}  // namespace synod::chain
