#include "client/json_fields.h"

namespace synod::client {

using nlohmann::json;

const json& field(const json& object, const char* key) {
  static const json kAbsent;  // null; constant, so safe to share between threads
  if (!object.is_object())
    return kAbsent;
  auto found = object.find(key);
  return found == object.end() ? kAbsent : *found;
}

std::uint64_t unsigned_field(const json& object, const char* key) {
  const json& value = field(object, key);
  return value.is_number_unsigned() ? value.get<std::uint64_t>() : 0;
}

std::string string_field(const json& object, const char* key) {
  const json& value = field(object, key);
  return value.is_string() ? value.get<std::string>() : std::string();
}

bool bool_field(const json& object, const char* key) {
  const json& value = field(object, key);
  return value.is_boolean() && value.get<bool>();
}

std::string field_text(const json& object, const char* key) {
  if (!object.is_object())
    return "";
  auto found = object.find(key);
  if (found == object.end())
    return "";  // absent; a member that is null reads "null"
  return found->is_string() ? found->get<std::string>() : found->dump();
}

}  // namespace synod::client
