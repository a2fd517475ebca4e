#include "node/rpc/http_connection.h"

#include <chrono>
#include <string_view>
#include <utility>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/beast/http/write.hpp>

namespace synod::node::http_detail {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using nlohmann::json;

constexpr std::uint32_t kHeaderBytesMax = 16 * 1024;
// After a response that ends the connection (413, 400, HTTP/1.0) we stop sending and read
// and discard what the client still sends for a while, then close. Closing a socket with
// unread input makes the kernel send RST, which can destroy the response in flight.
constexpr std::chrono::milliseconds kLingerTimeout{1000};
constexpr std::size_t kLingerBytesMax = 8 << 20;
constexpr std::size_t kDrainChunkBytes = 64 * 1024;
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
constexpr const char* kServerName = "synod";

bool is_http_parse_error(const beast::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_method).category();
}

// The path without the query string.
std::string_view path_of(beast::string_view target) {
  const std::string_view view(target.data(), target.size());
  return view.substr(0, view.find('?'));
}

}  // namespace

bool ServerState::register_connection(Connection* connection, std::weak_ptr<Connection> weak) {
  std::lock_guard lock(mutex_);
  if (stopped_) {
    return false;
  }
  live_.emplace(connection, std::move(weak));
  return true;
}

void ServerState::unregister_connection(Connection* connection) {
  std::lock_guard lock(mutex_);
  live_.erase(connection);
}

std::vector<std::shared_ptr<Connection>> ServerState::stop_and_take_connections() {
  std::vector<std::shared_ptr<Connection>> connections;
  std::lock_guard lock(mutex_);
  stopped_ = true;
  for (const auto& [raw, weak] : live_) {
    if (auto connection = weak.lock()) {
      connections.push_back(std::move(connection));
    }
  }
  return connections;
}

bool ServerState::take_address_slot(const std::string& address) {
  std::lock_guard lock(mutex_);
  std::size_t& used = per_address_[address];
  if (used >= options.max_connections_per_address) {
    if (used == 0) {
      per_address_.erase(address);
    }
    return false;
  }
  ++used;
  return true;
}

void ServerState::release_address_slot(const std::string& address) {
  std::lock_guard lock(mutex_);
  auto it = per_address_.find(address);
  if (it != per_address_.end() && --it->second == 0) {
    per_address_.erase(it);
  }
}

bool ServerState::stopped() const {
  std::lock_guard lock(mutex_);
  return stopped_;
}

Connection::Connection(asio::ip::tcp::socket socket, std::shared_ptr<ServerState> state,
                       std::string address)
    : state_(std::move(state)), address_(std::move(address)), stream_(std::move(socket)) {
  state_->connection_count.fetch_add(1);
}

Connection::~Connection() {
  state_->unregister_connection(this);
  state_->release_address_slot(address_);
  state_->connection_count.fetch_sub(1);
}

void Connection::start() {
  if (!state_->register_connection(this, weak_from_this())) {
    return;  // stopped meanwhile; the socket closes with this object
  }
  asio::post(stream_.get_executor(),
             beast::bind_front_handler(&Connection::read_request, shared_from_this()));
}

void Connection::close() {
  asio::post(stream_.get_executor(), [self = shared_from_this()] { self->close_now(); });
}

void Connection::read_request() {
  if (closed_) {
    return;
  }
  parser_.emplace();
  parser_->header_limit(kHeaderBytesMax);
  parser_->body_limit(state_->options.max_body_bytes);
  // One deadline for the whole request, headers and body (and the keep-alive idle time).
  stream_.expires_after(std::chrono::milliseconds(state_->options.read_timeout_ms));
  http::async_read_header(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
}

void Connection::on_header(beast::error_code ec) {
  if (ec) {
    on_read_error(ec);
    return;
  }
  // Clients such as curl send "Expect: 100-continue" before a large body and wait for this.
  const auto expect = parser_->get()[http::field::expect];
  if (!beast::iequals(expect, "100-continue")) {
    read_body();
    return;
  }
  asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                    [self = shared_from_this()](beast::error_code write_ec, std::size_t) {
                      if (write_ec) {
                        self->close_now();
                      } else {
                        self->read_body();
                      }
                    });
}

void Connection::read_body() {
  http::async_read(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_request(ec); });
}

void Connection::on_request(beast::error_code ec) {
  if (ec) {
    on_read_error(ec);
    return;
  }
  stream_.expires_never();  // a method may take its time; the client waits for it
  Request request = parser_->release();
  parser_.reset();
  route(std::move(request));
}

void Connection::on_read_error(beast::error_code ec) {
  if (ec == http::error::body_limit) {
    send_fatal(http::status::payload_too_large, "request body too large");
  } else if (ec == http::error::header_limit) {
    send_fatal(http::status::request_header_fields_too_large, "request headers too large");
  } else if (ec != http::error::end_of_stream && ec != http::error::partial_message &&
             is_http_parse_error(ec)) {
    send_fatal(http::status::bad_request, "malformed HTTP request");
  } else {
    close_now();  // the peer closed, reset or timed out: nobody to answer
  }
}

void Connection::route(Request request) {
  const std::string_view path = path_of(request.target());
  const http::verb method = request.method();
  if (path == "/") {
    if (method == http::verb::post) {
      serve_rpc(request);
    } else {
      send_error(request, http::status::method_not_allowed, "use POST for JSON-RPC");
    }
  } else if (path == "/health" || path == "/metrics") {
    if (method != http::verb::get) {
      send_error(request, http::status::method_not_allowed, "use GET");
    } else if (path == "/health") {
      serve_health(request);
    } else {
      serve_metrics(request);
    }
  } else {
    send_error(request, http::status::not_found, "not found");
  }
}

void Connection::serve_rpc(const Request& request) {
  const unsigned version = request.version();
  const bool keep_alive = request.keep_alive();
  auto self = shared_from_this();
  // The answers are rendered and sent on this strand, whichever thread replied last: a
  // method on the node's event loop only hands over its answer (or what builds it).
  RpcCaller caller{address_, [self](std::function<void()> work) {
                     asio::post(self->stream_.get_executor(), std::move(work));
                   }};
  state_->dispatcher.handle(
      request.body(),
      [self, version, keep_alive](std::string body) {
        const bool empty = body.empty();
        Response response{empty ? http::status::no_content : http::status::ok, version};
        response.keep_alive(keep_alive);
        if (!empty) {
          response.set(http::field::content_type, "application/json");
          response.body() = std::move(body);
        }
        self->send(std::move(response));
      },
      std::move(caller));
}

void Connection::run_handler(std::function<Response()> make) {
  auto work = [self = shared_from_this(), make = std::move(make)] {
    asio::post(self->stream_.get_executor(),
               [self, response = make()]() mutable { self->send(std::move(response)); });
  };
  if (state_->options.run_handlers) {
    state_->options.run_handlers(std::move(work));
  } else {
    work();
  }
}

void Connection::serve_health(const Request& request) {
  const unsigned version = request.version();
  const bool keep_alive = request.keep_alive();
  run_handler([state = state_, version, keep_alive] {
    json body;
    http::status status = http::status::ok;
    try {
      body = state->health ? state->health() : json{{"status", "ok"}};
    } catch (...) {
      status = http::status::internal_server_error;
      body = json{{"status", "error"}};
    }
    Response response{status, version};
    response.keep_alive(keep_alive);
    response.set(http::field::content_type, "application/json");
    response.body() = dump_json(body);
    return response;
  });
}

void Connection::serve_metrics(const Request& request) {
  if (!state_->metrics) {
    send_error(request, http::status::not_found, "metrics are not enabled");
    return;
  }
  const unsigned version = request.version();
  const bool keep_alive = request.keep_alive();
  run_handler([state = state_, version, keep_alive] {
    Response response{http::status::ok, version};
    response.keep_alive(keep_alive);
    try {
      response.body() = state->metrics();
      response.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
    } catch (...) {
      response.result(http::status::internal_server_error);
      response.set(http::field::content_type, "application/json");
      response.body() = dump_json(json{{"error", "metrics failed"}});
    }
    return response;
  });
}

void Connection::send_error(const Request& request, http::status status,
                            const std::string& message) {
  Response response{status, request.version()};
  response.keep_alive(request.keep_alive());
  if (status == http::status::method_not_allowed) {
    response.set(http::field::allow, path_of(request.target()) == "/" ? "POST" : "GET");
  }
  response.set(http::field::content_type, "application/json");
  response.body() = dump_json(json{{"error", message}});
  send(std::move(response));
}

// An answer to a request we could not read to the end: the connection ends after it.
void Connection::send_fatal(http::status status, const std::string& message) {
  Response response{status, 11};
  response.keep_alive(false);
  response.set(http::field::content_type, "application/json");
  response.body() = dump_json(json{{"error", message}});
  send(std::move(response));
}

void Connection::send(Response response) {
  if (closed_) {
    return;
  }
  response_ = std::move(response);
  response_->set(http::field::server, kServerName);
  response_->prepare_payload();
  stream_.expires_after(std::chrono::milliseconds(state_->options.write_timeout_ms));
  http::async_write(
      stream_, *response_,
      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_write(ec); });
}

void Connection::on_write(beast::error_code ec) {
  const bool last = !response_ || response_->need_eof();
  response_.reset();
  if (ec) {
    close_now();
  } else if (last) {
    linger();
  } else {
    read_request();
  }
}

void Connection::linger() {
  if (closed_) {
    return;
  }
  beast::error_code ignored;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  drain_buffer_.resize(kDrainChunkBytes);
  stream_.expires_after(kLingerTimeout);
  // Input already buffered was read from the socket; only what is still coming matters.
  stream_.async_read_some(asio::buffer(drain_buffer_),
                          beast::bind_front_handler(&Connection::on_drain, shared_from_this()));
}

void Connection::on_drain(beast::error_code ec, std::size_t bytes) {
  drained_bytes_ += bytes;
  if (ec || closed_ || drained_bytes_ > kLingerBytesMax) {
    close_now();
    return;
  }
  stream_.async_read_some(asio::buffer(drain_buffer_),
                          beast::bind_front_handler(&Connection::on_drain, shared_from_this()));
}

void Connection::close_now() {
  if (closed_) {
    return;
  }
  closed_ = true;
  beast::error_code ignored;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  stream_.close();
}

}  // namespace synod::node::http_detail
