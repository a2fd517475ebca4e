#include "node/rpc/address_slots.h"

#include <mutex>
#include <unordered_map>

namespace synod::node {

struct AddressSlots::State {
  State(std::size_t total, std::size_t per_address)
      : total_max(total), per_address_max(per_address) {}
  const std::size_t total_max;
  const std::size_t per_address_max;
  mutable std::mutex mutex;
  std::size_t taken = 0;                                    // guarded by mutex
  std::unordered_map<std::string, std::size_t> by_address;  // guarded by mutex
};

AddressSlots::AddressSlots(std::size_t total_max, std::size_t per_address_max)
    : state_(std::make_shared<State>(total_max, per_address_max)) {}

AddressSlots::Token AddressSlots::take(const std::string& address, SlotRefusal* refusal) {
  SlotRefusal why = SlotRefusal::kNone;
  {
    std::lock_guard lock(state_->mutex);
    auto it = state_->by_address.find(address);
    std::size_t held = it == state_->by_address.end() ? 0 : it->second;
    if (state_->taken >= state_->total_max)
      why = SlotRefusal::kAllTaken;
    else if (held >= state_->per_address_max)
      why = SlotRefusal::kAddressFull;
    else {
      ++state_->taken;
      ++state_->by_address[address];
    }
  }
  if (refusal != nullptr)
    *refusal = why;
  if (why != SlotRefusal::kNone)
    return nullptr;
  // The token is an empty object whose deleter gives the slot back.
  return Token(static_cast<const void*>(state_.get()), [state = state_, address](const void*) {
    std::lock_guard lock(state->mutex);
    --state->taken;
    auto it = state->by_address.find(address);
    if (it != state->by_address.end() && --it->second == 0)
      state->by_address.erase(it);
  });
}

std::size_t AddressSlots::taken() const {
  std::lock_guard lock(state_->mutex);
  return state_->taken;
}

std::size_t AddressSlots::taken_by(const std::string& address) const {
  std::lock_guard lock(state_->mutex);
  auto it = state_->by_address.find(address);
  return it == state_->by_address.end() ? 0 : it->second;
}

}  // namespace synod::node
