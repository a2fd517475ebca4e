// Reading fields of the JSON a node answers with. The answer came over the wire and the node
// may be older or newer than this client: a field that is missing, or of another type, or
// asked of something that is not an object reads as a default (0, "", false, null) instead
// of throwing. Use these where a default is the right display or decision; where a missing
// field is an error, check with field() and say so.
//
// Thread safety: pure functions of their arguments.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace synod::client {

// The member `key` of `object`; a null value when `object` is not an object or has no such
// member. The reference is to `object`'s member or to a static null: valid while `object`
// is. Chains safely: field(field(error, "data"), "reason").
const nlohmann::json& field(const nlohmann::json& object, const char* key);

// A non-negative integer member; 0 when absent or not a non-negative integer.
std::uint64_t unsigned_field(const nlohmann::json& object, const char* key);

// A string member; "" when absent or not a string.
std::string string_field(const nlohmann::json& object, const char* key);

// A boolean member; false when absent, null (a full node has no view change and no peer
// links) or not a boolean.
bool bool_field(const nlohmann::json& object, const char* key);

// A member as text for people: a string as it is, any other value as compact JSON
// (42, [1,2], null), "" when absent.
std::string field_text(const nlohmann::json& object, const char* key);

}  // namespace synod::client
