// JSON-RPC 2.0 (https://www.jsonrpc.org/specification): request parsing, response building
// and dispatch to registered methods. No I/O: the HTTP server (http_server.h) feeds it
// request bodies and sends back what it produces; tests and fuzzers call it directly.
//
// Every body is untrusted. Parsing never throws; a bad body yields the JSON-RPC error
// object to send (-32700 parse error, -32600 invalid request). Batches and nesting depth
// are bounded by RpcLimits.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

namespace synod::node {

// Error codes reserved by JSON-RPC 2.0.
inline constexpr int kRpcParseError = -32700;
inline constexpr int kRpcInvalidRequest = -32600;
inline constexpr int kRpcMethodNotFound = -32601;
inline constexpr int kRpcInvalidParams = -32602;
inline constexpr int kRpcInternalError = -32603;
// Application errors (the spec's "server error" range) are -32099 .. -32000.
inline constexpr int kRpcApplicationErrorHighest = -32000;
inline constexpr int kRpcApplicationErrorLowest = -32099;

struct RpcLimits {
  std::size_t max_batch_entries = 100;  // a larger batch is one -32600 error
  std::size_t max_nesting_depth = 64;   // deeper JSON is one -32600 error, never parsed
  // What the methods answering one body (a batch's entries together) may build: a method
  // that makes large answers sizes them to its budget_share() and charges what it built.
  std::size_t max_response_bytes = 16u << 20;
};

// Runs a piece of work elsewhere: on an event loop, a strand, another thread. Empty: at once,
// on the calling thread.
using RpcRunner = std::function<void(std::function<void()> work)>;

// Who sent a body, and where its response is finished.
struct RpcCaller {
  std::string address;  // the client's address key (http_server.h), for per-address limits
  // Where the response body is rendered (the answers serialized) and `done` is called.
  // Empty: on the thread that sent the last reply.
  RpcRunner finish;
};

struct RpcRequest {
  std::string method;
  nlohmann::json params = nlohmann::json::object();  // object or array; {} when omitted
  nlohmann::json id;                                 // string, number or null
  bool notification = false;  // the request had no "id": nothing is sent back
};

// One entry of a body: a valid request, or the error response to send in its place.
using RpcEntry = std::variant<RpcRequest, nlohmann::json>;

struct RpcBody {
  bool batch = false;  // the body was a (non-empty, bounded) array: respond with an array
  // One per batch element, in order; a single entry when not a batch. A body that fails as
  // a whole (parse error, empty or oversized batch, too deep) is a single error entry.
  std::vector<RpcEntry> entries;
};

RpcEntry parse_rpc_request(const nlohmann::json& value);
RpcBody parse_rpc_body(std::string_view body, const RpcLimits& limits = {});

nlohmann::json make_rpc_result(nlohmann::json id, nlohmann::json result);
// `data` is omitted from the error object when null.
nlohmann::json make_rpc_error(nlohmann::json id, int code, std::string message,
                              nlohmann::json data = nullptr);
// Serializes compactly and never throws: invalid UTF-8 in strings is replaced with U+FFFD.
std::string dump_json(const nlohmann::json& value);

// An answer made where the response is rendered (RpcReply::answer_from): the result, or the
// error object's code and message.
struct RpcFailure {
  int code = kRpcInternalError;
  std::string message;
};
using RpcAnswer = std::variant<nlohmann::json, RpcFailure>;

// The way a method answers one request. Copies share one state; the first result() or
// error() wins and later calls are ignored. A reply may be sent later (asynchronously) and
// from any thread. If every copy is destroyed without a reply, the caller receives -32603
// "method did not reply", so a client is never left waiting on a dropped request.
class RpcReply {
 public:
  // Builds the response object (with "jsonrpc" and "id"), where the body is rendered.
  using Response = std::function<nlohmann::json()>;
  using Sink = std::function<void(Response response)>;  // empty: discard (notification)

  using Budget = std::shared_ptr<std::atomic<std::size_t>>;

  // `budget`: bytes the body's answers may still take, shared by a batch's entries (null:
  // no limit). `caller`: the client's address key.
  RpcReply(nlohmann::json id, Sink sink, Budget budget = nullptr, std::string caller = {});

  void result(nlohmann::json value) const;
  // The result is made by `build` when the response is rendered, which the HTTP server does
  // on its own threads: a method on a busy thread takes a snapshot of what it needs (owned by
  // `build`) and leaves the encoding to them. `build` may run on any thread, once.
  void result_from(std::function<nlohmann::json()> build) const;
  // The same for work that may fail where it runs (reads from the store): `build` answers
  // with the result or an error. It must not hold this reply (the reply holds it); what it
  // needs of the reply is the budget, through budget_share().
  void answer_from(std::function<RpcAnswer()> build) const;
  void error(int code, std::string message, nlohmann::json data = nullptr) const;
  // The client's address key ("" when unknown): what per-address limits count by.
  const std::string& caller() const;
  bool sent() const;
  // The body's response budget, shared with the other entries of its batch, for a method or
  // an answer built later (answer_from): left() is what the answer may still take (SIZE_MAX
  // without a budget), charge() takes it.
  class BudgetShare {
   public:
    explicit BudgetShare(Budget budget) : budget_(std::move(budget)) {}
    std::size_t left() const;
    void charge(std::size_t bytes) const;

   private:
    Budget budget_;
  };
  BudgetShare budget_share() const { return BudgetShare(budget_); }

 private:
  struct State;
  std::shared_ptr<State> state_;
  Budget budget_;
};

// A method gets the request's params ({} when omitted) and must answer through `reply`
// exactly once. It runs where the dispatcher's method runner puts it (by default on the thread
// that calls RpcDispatcher::handle()) and must not block; slow work replies later. A thrown
// exception becomes -32603.
// Rejecting params: reply.error(kRpcInvalidParams, "...").
using RpcMethod = std::function<void(const nlohmann::json& params, RpcReply reply)>;

class RpcDispatcher {
 public:
  // Called exactly once with the HTTP response body: JSON text, or "" when nothing is to be
  // sent (the body held only notifications).
  using Done = std::function<void(std::string response_body)>;

  // `run_methods`: where methods run (the node passes its event loop, whose state they
  // read); a body's calls go there together, in order. Parsing stays on handle()'s thread.
  explicit RpcDispatcher(RpcLimits limits = {}, RpcRunner run_methods = {});

  // Not thread-safe: register every method before the first handle().
  void add_method(std::string name, RpcMethod method);

  // Parses `body` and calls the methods it names, in order. `done` runs through
  // caller.finish; without it, on this thread when every reply was synchronous, otherwise on
  // the thread that sent the last reply. Safe to call concurrently once registration is over.
  void handle(std::string_view body, Done done, RpcCaller caller = {}) const;

 private:
  void call(const RpcRequest& request, const RpcReply& reply) const;

  RpcLimits limits_;
  RpcRunner run_methods_;
  std::map<std::string, RpcMethod, std::less<>> methods_;
};

}  // namespace synod::node
