// A small synchronous JSON-RPC 2.0 client over HTTP/1.1 (Boost.Beast) for the user tools,
// full nodes (following their upstreams) and tests.
//
// One RpcClient holds one keep-alive connection to one node and reconnects when the node
// closed it. Every step has a deadline (connect, then the whole request/response), so a
// stopped or paused node gives a clear error rather than a hang. Errors are values: a
// transport failure ("cannot reach node at 127.0.0.1:26657: connection refused") is kept
// apart from a JSON-RPC error object the node sent back (which carries its code and data).
//
// Thread safety: none. Use one client per thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace synod::client {

struct Endpoint {
  std::string host;
  std::uint16_t port = 0;
  std::string to_string() const { return host + ":" + std::to_string(port); }
};

// "HOST:PORT" (an optional "http://" prefix and trailing "/" are accepted).
Result<Endpoint> parse_endpoint(std::string_view text);

// JSON-RPC error codes the node uses (node/node_rpc.cpp).
inline constexpr int kRpcInvalidParams = -32602;
inline constexpr int kRpcTransactionRefused = -32001;
inline constexpr int kRpcNotFound = -32004;

struct RpcError {
  enum class Kind {
    kTransport,    // could not connect, timed out, connection lost
    kHttp,         // the server answered with a non-200 status
    kBadResponse,  // the body is not a JSON-RPC response we can read
    kRpc,          // the node answered with a JSON-RPC error object
  };
  Kind kind = Kind::kTransport;
  int code = 0;  // the JSON-RPC error code when kind == kRpc, else the HTTP status or 0
  std::string message;
  nlohmann::json data;  // the error object's "data" (kRpc), else null
};

// The outcome of one call: a result or an error.
class RpcOutcome {
 public:
  RpcOutcome(nlohmann::json result) : result_(std::move(result)) {}  // NOLINT: implicit
  RpcOutcome(RpcError error) : error_(std::move(error)) {}           // NOLINT: implicit

  bool ok() const { return !error_.has_value(); }
  const nlohmann::json& result() const { return result_; }
  const RpcError& error() const { return *error_; }
  bool is_rpc_error(int code) const {
    return error_ && error_->kind == RpcError::Kind::kRpc && error_->code == code;
  }

 private:
  nlohmann::json result_;
  std::optional<RpcError> error_;
};

struct RpcClientOptions {
  std::chrono::milliseconds connect_timeout{3000};
  std::chrono::milliseconds request_timeout{10000};  // writing the request and reading the reply
};

class RpcClient {
 public:
  explicit RpcClient(Endpoint endpoint, RpcClientOptions options = {});
  ~RpcClient();
  RpcClient(const RpcClient&) = delete;
  RpcClient& operator=(const RpcClient&) = delete;

  const Endpoint& endpoint() const { return endpoint_; }

  // One JSON-RPC call. `params` is an object or array.
  RpcOutcome call(const std::string& method,
                  const nlohmann::json& params = nlohmann::json::object());

  // A JSON-RPC batch; one outcome per call, in order. A transport or HTTP failure fails
  // every entry with the same error.
  std::vector<RpcOutcome> call_batch(
      const std::vector<std::pair<std::string, nlohmann::json>>& calls);

  // POSTs a ready-made JSON body to "/" and returns the response body. For load generators
  // that build request text without a JSON tree.
  Result<std::string> post_raw(const std::string& body);

  // GET `target` ("/health", "/metrics"): the response body of a 200 answer.
  Result<std::string> get(const std::string& target);

  // Closes the connection (the next call reconnects).
  void close();

 private:
  struct Connection;
  struct HttpReply {
    unsigned status = 0;
    std::string body;
  };
  Result<HttpReply> exchange(bool post, const std::string& target, const std::string& body);
  Result<HttpReply> exchange_once(bool post, const std::string& target, const std::string& body,
                                  bool& reused);
  Status connect();
  std::string describe_failure(const std::string& what, const std::string& detail) const;

  Endpoint endpoint_;
  RpcClientOptions options_;
  std::unique_ptr<Connection> connection_;
  std::uint64_t next_id_ = 1;
};

// Turns an RpcError into the one-line message the CLIs print.
std::string describe(const RpcError& error);

}  // namespace synod::client
