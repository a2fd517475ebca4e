// Internal to http_server.cpp: one HTTP/1.1 connection and the state it shares with the
// server. Not part of the module's interface.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <nlohmann/json.hpp>

#include "node/rpc/http_server.h"
#include "node/rpc/json_rpc.h"

namespace synod::node::http_detail {

class Connection;

struct ServerState {
  explicit ServerState(HttpServerOptions server_options)
      : options(std::move(server_options)), dispatcher(options.rpc_limits, options.run_handlers) {}

  // Configuration: written before start(), read-only afterwards (no lock needed).
  const HttpServerOptions options;
  RpcDispatcher dispatcher;
  std::function<nlohmann::json()> health;
  std::function<std::string()> metrics;

  std::atomic<std::size_t> connection_count{0};

  // Takes a connection slot for `address` (a client_address_key); false when that address
  // holds max_connections_per_address already. Each success needs one release_address().
  bool take_address_slot(const std::string& address);
  void release_address_slot(const std::string& address);

  // The registry lets stop() close every connection. register_connection() returns false
  // once the server is stopped.
  bool register_connection(Connection* connection, std::weak_ptr<Connection> weak);
  void unregister_connection(Connection* connection);
  std::vector<std::shared_ptr<Connection>> stop_and_take_connections();
  bool stopped() const;

 private:
  mutable std::mutex mutex_;
  bool stopped_ = false;                                             // guarded by mutex_
  std::unordered_map<Connection*, std::weak_ptr<Connection>> live_;  // guarded by mutex_
  std::unordered_map<std::string, std::size_t> per_address_;         // guarded by mutex_
};

// Reads requests one at a time, answers each, and reads the next (keep-alive). Every
// member runs on the connection's strand except close(), which posts to it.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using Request = boost::beast::http::request<boost::beast::http::string_body>;
  using Response = boost::beast::http::response<boost::beast::http::string_body>;

  // `address`: the client's address key, whose slot (already taken) the connection releases.
  Connection(boost::asio::ip::tcp::socket socket, std::shared_ptr<ServerState> state,
             std::string address);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void start();
  void close();  // from any thread

 private:
  void read_request();
  void on_header(boost::beast::error_code ec);
  void read_body();
  void on_request(boost::beast::error_code ec);
  void on_read_error(boost::beast::error_code ec);

  void route(Request request);
  void serve_rpc(const Request& request);
  void serve_health(const Request& request);
  void serve_metrics(const Request& request);
  // Runs `make` through options.run_handlers and sends what it returns from the strand.
  void run_handler(std::function<Response()> make);

  void send(Response response);
  void send_error(const Request& request, boost::beast::http::status status,
                  const std::string& message);
  void send_fatal(boost::beast::http::status status, const std::string& message);
  void on_write(boost::beast::error_code ec);

  void linger();
  void on_drain(boost::beast::error_code ec, std::size_t bytes);
  void close_now();

  const std::shared_ptr<ServerState> state_;
  const std::string address_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  std::optional<Response> response_;  // the one being written
  std::vector<char> drain_buffer_;    // used only while lingering
  std::size_t drained_bytes_ = 0;
  bool closed_ = false;
};

}  // namespace synod::node::http_detail
