// A recorded run (trace_recorder.h) as one self-contained HTML page: the chart's script and
// style (web/msc.js, web/msc.css) and the trace inlined, nothing loaded from the network.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace synod::sim {

std::string render_trace_html(const nlohmann::json& trace);

// The trace as JSON that can sit inside an HTML <script> element: "</" is written "<\/"
// (the same string to a JSON parser), so no label can close the element.
std::string script_safe_json(const nlohmann::json& value);

}  // namespace synod::sim
