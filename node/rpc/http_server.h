// The node's HTTP front door: JSON-RPC 2.0 on POST /, GET /health and GET /metrics, served
// by Boost.Beast (HTTP/1.1, keep-alive) on an io_context the caller owns and runs.
//
// Routes:
//   POST /         JSON-RPC 2.0 (json_rpc.h); 200 with the response, 204 when the body held
//                  only notifications. JSON-RPC errors (even parse errors) are HTTP 200.
//   GET /health    200 with the health function's JSON ({"status":"ok"} by default).
//   GET /metrics   200 text/plain; version=0.0.4 (404 when no metrics function is set).
//   other paths 404, other methods on a known path 405. JSON bodies everywhere else.
// Bad clients: a body over max_body_bytes gets 413, a malformed request (garbage bytes)
// 400, oversized headers 431, and the connection is closed; a request whose headers and
// body do not arrive within read_timeout_ms (also the keep-alive idle limit) or a response
// the client does not take within write_timeout_ms closes the connection. Connections past
// max_connections, or past max_connections_per_address from one client address, are
// accepted and closed at once, so one address cannot take every slot. None of this affects
// other connections.
//
// A client's address key is its IP address, or for IPv6 its /64 network (one host usually
// holds a whole /64).
//
// Threading: configure (add_method, set_health, set_metrics) and start() before the
// io_context runs handlers of this server; after that the configuration is read-only.
// Each connection lives on its own strand, so the io_context may be run by several threads:
// reading, parsing, rendering answers and writing run there. Methods, the health function
// and the metrics function run through options.run_handlers (by default on those threads)
// and must not block (methods that have slow work reply later, from any thread). stop() may
// be called from any thread.
//
// Lifetime: the io_context must outlive the HttpServer. Destroying the server stops it;
// connections finish closing on the io_context.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <nlohmann/json.hpp>

#include "base/result.h"
#include "node/rpc/json_rpc.h"
#include "node/rpc/metrics.h"

namespace synod::node {

namespace http_detail {
struct ServerState;  // configuration and connection registry shared with connections
class Listener;      // the acceptor
}  // namespace http_detail

struct HttpServerOptions {
  // "IP:port" ("[::1]:8545" for IPv6; "localhost" means 127.0.0.1); port 0 picks a free one.
  std::string listen_address = "127.0.0.1:0";
  std::size_t max_body_bytes = 1 << 20;
  std::uint64_t read_timeout_ms = 10000;  // whole request: headers and body
  std::uint64_t write_timeout_ms = 10000;
  std::size_t max_connections = 256;
  std::size_t max_connections_per_address = 64;
  RpcLimits rpc_limits;
  // Where methods, /health and /metrics run: the node passes its event loop, whose state
  // they read. Empty: on the connection's strand.
  RpcRunner run_handlers;
  // Counts connections closed at once for a full server or a full address; may be null.
  Counter* connections_refused = nullptr;
};

// The key per-address limits count a client by: the IP address, or an IPv6 address's /64.
std::string client_address_key(const boost::asio::ip::address& address);

class HttpServer {
 public:
  HttpServer(boost::asio::io_context& io_context, HttpServerOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  void add_method(std::string name, RpcMethod method);      // before start()
  void set_health(std::function<nlohmann::json()> health);  // before start(); returns the body
  void set_metrics(std::function<std::string()> render);    // before start()

  // Binds and listens (synchronously), then accepts on the io_context. An error names the
  // address and the reason: not "IP:port", port out of range, address in use, ...
  Status start();
  // Stops accepting and closes every connection; idempotent. Pending replies are dropped.
  void stop();

  std::uint16_t port() const { return port_; }  // the bound port, after a successful start()
  std::size_t connection_count() const;         // open connections, for tests and metrics

 private:
  boost::asio::io_context& io_context_;
  std::shared_ptr<http_detail::ServerState> state_;
  std::shared_ptr<http_detail::Listener> listener_;
  std::uint16_t port_ = 0;
  bool started_ = false;
};

}  // namespace synod::node
