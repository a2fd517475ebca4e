#include "web/assets.h"

#include <cstddef>

namespace synod::web {
namespace detail {
struct EmbeddedAsset {
  std::string_view name;
  std::string_view content;
};
extern const EmbeddedAsset kEmbeddedAssets[];
extern const std::size_t kEmbeddedAssetCount;
}  // namespace detail

std::optional<std::string_view> asset(std::string_view name) {
  for (std::size_t i = 0; i < detail::kEmbeddedAssetCount; ++i) {
    if (detail::kEmbeddedAssets[i].name == name)
      return detail::kEmbeddedAssets[i].content;
  }
  return std::nullopt;
}

std::string_view content_type(std::string_view name) {
  auto ends_with = [name](std::string_view suffix) { return name.ends_with(suffix); };
  if (ends_with(".html"))
    return "text/html; charset=utf-8";
  if (ends_with(".js"))
    return "text/javascript; charset=utf-8";
  if (ends_with(".css"))
    return "text/css; charset=utf-8";
  if (ends_with(".json"))
    return "application/json";
  return "application/octet-stream";
}

std::string replace_all(std::string text, std::string_view placeholder, std::string_view value) {
  if (placeholder.empty())
    return text;
  for (std::size_t at = text.find(placeholder); at != std::string::npos;
       at = text.find(placeholder, at + value.size())) {
    text.replace(at, placeholder.size(), value);
  }
  return text;
}

}  // namespace synod::web
