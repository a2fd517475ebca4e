// The web view's files (web/*.html, *.js, *.css), compiled into the binary by
// web/embed_assets.cmake.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace synod::web {

// The content of the asset named `name` ("msc.js"), or nullopt if there is none.
std::optional<std::string_view> asset(std::string_view name);

// The Content-Type to serve an asset with, from its extension.
std::string_view content_type(std::string_view name);

// `text` with every occurrence of `placeholder` replaced by `value`.
std::string replace_all(std::string text, std::string_view placeholder, std::string_view value);

}  // namespace synod::web
