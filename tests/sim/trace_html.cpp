#include "tests/sim/trace_html.h"

#include <cassert>

#include "web/assets.h"

namespace synod::sim {

std::string script_safe_json(const nlohmann::json& value) {
  // ensure_ascii also escapes U+2028/U+2029, which old JS engines took as line ends.
  std::string text = value.dump(-1, ' ', true, nlohmann::json::error_handler_t::replace);
  return web::replace_all(std::move(text), "</", "<\\/");
}

std::string render_trace_html(const nlohmann::json& trace) {
  auto page = web::asset("msc.html");
  auto script = web::asset("msc.js");
  auto style = web::asset("msc.css");
  assert(page && script && style);  // compiled in by web/CMakeLists.txt
  std::string out(*page);
  out = web::replace_all(std::move(out), "/*SYNOD_MSC_CSS*/", *style);
  out = web::replace_all(std::move(out), "/*SYNOD_MSC_JS*/", *script);
  // Last: the trace is data, and nothing in it is taken for a placeholder.
  const std::string marker = "/*SYNOD_TRACE_JSON*/";
  const auto at = out.find(marker);
  assert(at != std::string::npos);
  out.replace(at, marker.size(), script_safe_json(trace));
  return out;
}

}  // namespace synod::sim
