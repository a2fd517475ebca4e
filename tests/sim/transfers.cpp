#include "tests/sim/transfers.h"

#include <cassert>

namespace synod::sim {

TransferSource::TransferSource(const std::vector<crypto::KeyPair>& accounts,
                               chain::SigningDomain domain)
    : accounts_(accounts), domain_(std::move(domain)), next_nonce_(accounts.size(), 0) {
  assert(accounts_.size() >= 2);
}

chain::Transaction TransferSource::next(Rng& rng, std::uint64_t amount_max, std::uint64_t fee) {
  const std::size_t from = rng.below(accounts_.size());
  std::size_t to = rng.below(accounts_.size() - 1);
  if (to >= from)
    ++to;
  return chain::make_transfer(accounts_[from], domain_,
                              chain::address_of(accounts_[to].public_key()),
                              rng.between(1, amount_max), fee, next_nonce_[from]++);
}

}  // namespace synod::sim
