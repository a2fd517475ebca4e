// Slots of a scarce resource (long-poll waiters) limited in total and per client address, so
// that one address cannot take them all and lock everyone else out.
//
// A slot is held by a token and given back when the last copy of the token is dropped,
// wherever that happens.
//
// Thread safety: every member, and dropping tokens, from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace synod::node {

enum class SlotRefusal : std::uint8_t { kNone, kAllTaken, kAddressFull };

class AddressSlots {
 public:
  using Token = std::shared_ptr<const void>;

  AddressSlots(std::size_t total_max, std::size_t per_address_max);

  // A slot for `address`, or null (and why in `refusal`) when none is left for it.
  Token take(const std::string& address, SlotRefusal* refusal = nullptr);
  std::size_t taken() const;
  std::size_t taken_by(const std::string& address) const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace synod::node
