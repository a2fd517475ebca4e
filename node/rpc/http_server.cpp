#include "node/rpc/http_server.h"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <chrono>
#include <string_view>
#include <utility>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "node/rpc/http_connection.h"

namespace synod::node {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

// After an accept error (e.g. out of file descriptors) wait before trying again, rather
// than spinning on the same error.
constexpr std::chrono::milliseconds kAcceptRetryDelay{50};

// "IP:port" with an IPv4 or bracketed IPv6 literal, or "localhost:port" (127.0.0.1); no
// name resolution.
Result<tcp::endpoint> parse_listen_address(std::string_view text) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return make_error("listen address \"" + std::string(text) + "\" is not IP:port");
  }
  std::string_view host = text.substr(0, colon);
  const std::string_view port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host == "localhost") {
    host = "127.0.0.1";
  }
  unsigned port = 0;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
      port > 65535) {
    return make_error("listen address \"" + std::string(text) + "\" has a bad port");
  }
  boost::system::error_code address_ec;
  const asio::ip::address address = asio::ip::make_address(std::string(host), address_ec);
  if (address_ec) {
    return make_error("listen address \"" + std::string(text) + "\" is not an IP address");
  }
  return tcp::endpoint(address, static_cast<std::uint16_t>(port));
}

}  // namespace

std::string client_address_key(const asio::ip::address& address) {
  if (address.is_v4()) {
    return address.to_string();
  }
  const asio::ip::address_v6 v6 = address.to_v6();
  if (v6.is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_string();
  }
  asio::ip::address_v6::bytes_type bytes = v6.to_bytes();
  std::fill(bytes.begin() + 8, bytes.end(), 0);
  return asio::ip::address_v6(bytes).to_string() + "/64";
}

namespace http_detail {

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(asio::io_context& io_context, std::shared_ptr<ServerState> state)
      : io_context_(io_context),
        state_(std::move(state)),
        acceptor_(asio::make_strand(io_context)),
        retry_timer_(acceptor_.get_executor()) {}

  Result<std::uint16_t> listen(const tcp::endpoint& endpoint, const std::string& text) {
    boost::system::error_code ec;
    const auto failed = [&](const char* step) {
      return make_error("cannot " + std::string(step) + " " + text + ": " + ec.message());
    };
    if (acceptor_.open(endpoint.protocol(), ec); ec) {
      return failed("open a socket for");
    }
    // Lets a restarted node rebind while old connections sit in TIME_WAIT; a live listener
    // on the port still makes bind() fail.
    if (acceptor_.set_option(tcp::acceptor::reuse_address(true), ec); ec) {
      return failed("configure");
    }
    if (acceptor_.bind(endpoint, ec); ec) {
      return failed("bind");
    }
    if (acceptor_.listen(asio::socket_base::max_listen_connections, ec); ec) {
      return failed("listen on");
    }
    const tcp::endpoint local = acceptor_.local_endpoint(ec);
    if (ec) {
      return failed("read the port of");
    }
    return local.port();
  }

  void accept() {
    acceptor_.async_accept(
        asio::make_strand(io_context_),
        [self = shared_from_this()](boost::system::error_code ec, tcp::socket socket) {
          self->on_accept(ec, std::move(socket));
        });
  }

  void close() {
    asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
      boost::system::error_code ignored;
      self->acceptor_.close(ignored);
      self->retry_timer_.cancel();
    });
  }

 private:
  void on_accept(boost::system::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open() || state_->stopped()) {
      return;
    }
    if (ec) {
      retry_timer_.expires_after(kAcceptRetryDelay);
      retry_timer_.async_wait([self = shared_from_this()](boost::system::error_code wait_ec) {
        if (!wait_ec && self->acceptor_.is_open()) {
          self->accept();
        }
      });
      return;
    }
    // Only this strand adds connections, so the count cannot pass the limit.
    boost::system::error_code ignored;
    const tcp::endpoint remote = socket.remote_endpoint(ignored);
    std::string address = ignored ? std::string() : client_address_key(remote.address());
    if (state_->connection_count.load() >= state_->options.max_connections ||
        !state_->take_address_slot(address)) {
      socket.close(ignored);
      if (state_->options.connections_refused != nullptr) {
        state_->options.connections_refused->inc();
      }
    } else {
      // Replies are small and latency-bound: never hold one back waiting for an ACK.
      socket.set_option(tcp::no_delay(true), ignored);
      std::make_shared<Connection>(std::move(socket), state_, std::move(address))->start();
    }
    accept();
  }

  asio::io_context& io_context_;
  const std::shared_ptr<ServerState> state_;
  tcp::acceptor acceptor_;
  asio::steady_timer retry_timer_;
};

}  // namespace http_detail

HttpServer::HttpServer(asio::io_context& io_context, HttpServerOptions options)
    : io_context_(io_context),
      state_(std::make_shared<http_detail::ServerState>(std::move(options))) {}

HttpServer::~HttpServer() {
  stop();
}

void HttpServer::add_method(std::string name, RpcMethod method) {
  assert(!started_);
  state_->dispatcher.add_method(std::move(name), std::move(method));
}

void HttpServer::set_health(std::function<nlohmann::json()> health) {
  assert(!started_);
  state_->health = std::move(health);
}

void HttpServer::set_metrics(std::function<std::string()> render) {
  assert(!started_);
  state_->metrics = std::move(render);
}

Status HttpServer::start() {
  assert(!started_);
  const std::string& text = state_->options.listen_address;
  const Result<tcp::endpoint> endpoint = parse_listen_address(text);
  if (!endpoint) {
    return endpoint.error();
  }
  auto listener = std::make_shared<http_detail::Listener>(io_context_, state_);
  const Result<std::uint16_t> port = listener->listen(*endpoint, text);
  if (!port) {
    return port.error();
  }
  started_ = true;
  port_ = *port;
  listener_ = std::move(listener);
  listener_->accept();
  return Status::success();
}

void HttpServer::stop() {
  for (const auto& connection : state_->stop_and_take_connections()) {
    connection->close();
  }
  if (listener_) {
    listener_->close();
  }
}

std::size_t HttpServer::connection_count() const {
  return state_->connection_count.load();
}

}  // namespace synod::node
