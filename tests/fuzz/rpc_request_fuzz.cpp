// Fuzz target: the JSON-RPC 2.0 body parser and dispatcher (what an HTTP client POSTs).
//
// Properties: every body gets exactly one answer, which is empty (only notifications) or
// JSON shaped as JSON-RPC responses; a parsed request rebuilt as JSON parses back to the
// same request; and the parsed document re-serializes stably.
#include <string>

#include "node/rpc/json_rpc.h"
#include "tests/fuzz/fuzz_target.h"

using namespace synod;
using nlohmann::json;

namespace {

const node::RpcDispatcher& dispatcher() {
  static const node::RpcDispatcher instance = [] {
    node::RpcDispatcher d;
    d.add_method("echo", [](const json& params, node::RpcReply reply) { reply.result(params); });
    d.add_method("fail", [](const json&, node::RpcReply reply) {
      reply.error(node::kRpcInvalidParams, "no");
    });
    d.add_method("throw", [](const json& params, node::RpcReply) {
      (void)params.at("missing");  // throws on any params: the dispatcher answers -32603
    });
    d.add_method("silent", [](const json&, node::RpcReply) {});
    return d;
  }();
  return instance;
}

void check_request_round_trip(const node::RpcRequest& request) {
  json rebuilt = {{"jsonrpc", "2.0"}, {"method", request.method}, {"params", request.params}};
  if (!request.notification)
    rebuilt["id"] = request.id;
  auto again = node::parse_rpc_request(rebuilt);
  const auto* parsed = std::get_if<node::RpcRequest>(&again);
  fuzz::require(parsed != nullptr, "a rebuilt request parses");
  fuzz::require(parsed->method == request.method && parsed->params == request.params &&
                    parsed->id == request.id && parsed->notification == request.notification,
                "a rebuilt request parses to the same request");
}

void check_response(const std::string& response, const node::RpcBody& body) {
  if (response.empty())
    return;
  const json document = json::parse(response, nullptr, /*allow_exceptions=*/false);
  fuzz::require(!document.is_discarded(), "the response is JSON");
  fuzz::require(document.is_array() == body.batch, "a batch gets an array");
  const json entries = document.is_array() ? document : json::array({document});
  fuzz::require(entries.size() <= body.entries.size(), "at most one response per entry");
  for (const json& entry : entries) {
    fuzz::require(entry.is_object() && entry.value("jsonrpc", "") == "2.0" &&
                      (entry.contains("result") != entry.contains("error")),
                  "each response is a JSON-RPC 2.0 result or error");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const node::RpcBody body = node::parse_rpc_body(text);
  fuzz::require(!body.entries.empty(), "every body yields an entry");
  for (const node::RpcEntry& entry : body.entries) {
    if (const auto* request = std::get_if<node::RpcRequest>(&entry))
      check_request_round_trip(*request);
    else
      (void)node::dump_json(std::get<json>(entry));
  }

  int answers = 0;
  std::string response;
  dispatcher().handle(text, [&](std::string answer) {
    ++answers;
    response = std::move(answer);
  });
  fuzz::require(answers == 1, "every body is answered exactly once");
  check_response(response, body);

  const json document = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!document.is_discarded()) {
    const std::string dumped = node::dump_json(document);
    const json reparsed = json::parse(dumped, nullptr, /*allow_exceptions=*/false);
    fuzz::require(!reparsed.is_discarded() && node::dump_json(reparsed) == dumped,
                  "JSON re-serializes stably");
  }
  return 0;
}

std::vector<Bytes> synod::fuzz::seed_inputs() {
  const std::string texts[] = {
      R"({"jsonrpc": "2.0", "method": "echo", "params": {"a": [1, 2.5, "x"]}, "id": 1})",
      R"({"jsonrpc": "2.0", "method": "fail", "params": [true, null], "id": "s"})",
      R"({"jsonrpc": "2.0", "method": "echo"})",
      R"([{"jsonrpc": "2.0", "method": "throw", "id": null},
          {"jsonrpc": "2.0", "method": "silent", "id": 2},
          {"jsonrpc": "2.0", "method": "nope", "id": 3}, 4, {"jsonrpc": "1.0"}])",
      R"({"jsonrpc": "2.0", "method": "get_block", "params": {"height": 18446744073709551615},
          "id": -1e300})",
      R"([[[[{"id": "\u00e9\ud83d\ude00"}]]]])",
  };
  std::vector<Bytes> seeds;
  for (const auto& text : texts)
    seeds.emplace_back(text.begin(), text.end());
  return seeds;
}
