#include "testnet/web_server.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <optional>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "testnet/scenarios.h"
#include "testnet/web_actions.h"
#include "testnet/web_guard.h"
#include "testnet/web_hub.h"
#include "testnet/web_relay.h"
#include "web/assets.h"

namespace synod::testnet {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using nlohmann::json;
using Request = http::request<http::string_body>;

constexpr std::size_t kConnectionsMax = 32;
constexpr std::size_t kBodyBytesMax = 16 * 1024;
// What is read and thrown away of an unread request before the socket closes (see
// drain_then_close).
constexpr std::size_t kDrainBytesMax = 256 * 1024;
constexpr std::chrono::seconds kDrainTimeMax{2};
constexpr int kSocketTimeoutS = 10;
constexpr std::chrono::seconds kHeartbeat{15};
// Changes closer together than this go out as one state (four nodes at 5 Hz each would
// otherwise send the whole state 20 times a second).
constexpr std::chrono::milliseconds kFrameInterval{150};

struct Server {
  WebHub& hub;
  WebActions& actions;
  std::uint16_t port;  // the one listened on, named in refusals
  std::atomic<std::size_t> connections{0};
};

// A socket read or write that stalls this long fails: a silent client cannot hold a thread.
void set_timeouts(tcp::socket& socket) {
  timeval timeout{kSocketTimeoutS, 0};
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
}

void respond(tcp::socket& socket, http::status status, std::string_view type, std::string body) {
  http::response<http::string_body> response{status, 11};
  response.set(http::field::content_type, beast::string_view(type.data(), type.size()));
  response.set(http::field::cache_control, "no-store");
  response.keep_alive(false);
  response.body() = std::move(body);
  response.prepare_payload();
  beast::error_code ignored;
  http::write(socket, response, ignored);
}

void respond_json(tcp::socket& socket, http::status status, const json& body) {
  respond(socket, status, "application/json", body.dump());
}

// The value of `key` in the query string of `target` ("" when absent). Values are plain
// names and numbers, so no percent-decoding is needed; anything else fails validation.
std::string query_value(std::string_view target, std::string_view key) {
  const auto question = target.find('?');
  if (question == std::string_view::npos)
    return "";
  std::string_view query = target.substr(question + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const auto equals = pair.find('=');
    if (equals != std::string_view::npos && pair.substr(0, equals) == key)
      return std::string(pair.substr(equals + 1));
    if (amp == std::string_view::npos)
      break;
    query = query.substr(amp + 1);
  }
  return "";
}

std::optional<std::size_t> node_index(const std::string& text, std::size_t nodes) {
  if (text.empty() || text.size() > 4 || text.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  const std::size_t index = std::stoul(text);
  return index < nodes ? std::optional(index) : std::nullopt;
}

// The whole state now and after each change, until the browser goes away.
void stream_events(tcp::socket& socket, WebHub& hub) {
  const std::string head =
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n"
      "Connection: close\r\n\r\nretry: 1000\n\n";
  beast::error_code error;
  asio::write(socket, asio::buffer(head), error);
  std::uint64_t seen = 0;
  while (!error) {
    const std::uint64_t version = hub.wait_change(seen, kHeartbeat);
    std::string frame = ": heartbeat\n\n";
    if (version != seen) {
      frame = "event: state\ndata: " + *hub.snapshot_text() + "\n\n";
      seen = version;
    }
    asio::write(socket, asio::buffer(frame), error);
    std::this_thread::sleep_for(kFrameInterval);
  }
}

void serve_asset(tcp::socket& socket, std::string_view name) {
  auto content = web::asset(name);
  if (!content) {
    respond_json(socket, http::status::not_found, {{"error", "not found"}});
    return;
  }
  respond(socket, http::status::ok, web::content_type(name), std::string(*content));
}

void answer(tcp::socket& socket, http::status status, const Result<std::string>& outcome,
            const char* key) {
  if (outcome)
    respond_json(socket, status, {{key, *outcome}});
  else
    respond_json(socket, http::status::bad_request, {{"error", outcome.message()}});
}

void serve_post(tcp::socket& socket, Server& server, std::string_view path,
                std::string_view target) {
  const std::size_t nodes = server.actions.nodes();
  if (path == "/api/node" || path == "/api/transfer") {
    auto index = node_index(query_value(target, "node"), nodes);
    if (!index) {
      respond_json(socket, http::status::bad_request, {{"error", "node: an index of a node"}});
    } else if (path == "/api/node") {
      answer(socket, http::status::accepted,
             server.actions.node_command(query_value(target, "action"), *index), "action");
    } else {
      answer(socket, http::status::ok, server.actions.transfer(*index), "hash");
    }
  } else if (path == "/api/scenario") {
    const std::string name = query_value(target, "name");
    const auto names = scenario_names();
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      respond_json(socket, http::status::bad_request, {{"error", "unknown scenario"}});
      return;
    }
    answer(socket, http::status::accepted, server.actions.scenario(name), "action");
  } else {
    respond_json(socket, http::status::not_found, {{"error", "not found"}});
  }
}

void serve_get(tcp::socket& socket, Server& server, std::string_view path,
               std::string_view target) {
  if (path == "/") {
    serve_asset(socket, "index.html");
  } else if (path == "/events") {
    stream_events(socket, server.hub);
  } else if (path == "/api/state") {
    json state = server.hub.snapshot();
    state["scenarios"] = scenario_names();
    respond_json(socket, http::status::ok, state);
  } else if (path == "/api/block") {
    const std::string hash = query_value(target, "hash");
    if (hash.size() != 64 || hash.find_first_not_of("0123456789abcdef") != std::string::npos) {
      respond_json(socket, http::status::bad_request, {{"error", "hash: 64 hex digits"}});
      return;
    }
    auto block = server.actions.block(hash);
    if (block)
      respond_json(socket, http::status::ok, *block);
    else
      respond_json(socket, http::status::not_found, {{"error", block.message()}});
  } else {
    serve_asset(socket, path.substr(1));
  }
}

std::optional<std::string_view> header(const Request& request, http::field field) {
  const auto found = request.find(field);
  if (found == request.end())
    return std::nullopt;
  return std::string_view(found->value().data(), found->value().size());
}

// After a request that was not read to its end (too large, malformed): closing a socket
// that still holds unread bytes sends a reset, and the client may lose our answer with
// it. So stop sending, then read until the client closes its side, within bounds: a
// client that keeps sending cannot hold the thread.
void drain_then_close(tcp::socket& socket) {
  const auto deadline = std::chrono::steady_clock::now() + kDrainTimeMax;
  beast::error_code error;
  socket.shutdown(tcp::socket::shutdown_send, error);
  std::array<char, 4096> discard{};
  for (std::size_t drained = 0; !error && drained < kDrainBytesMax;) {
    const auto left = std::chrono::duration_cast<std::chrono::microseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      break;
    // Each read waits at most what is left, not the socket's whole read timeout.
    timeval timeout{static_cast<time_t>(left.count() / 1'000'000),
                    static_cast<suseconds_t>(left.count() % 1'000'000)};
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    drained += socket.read_some(asio::buffer(discard), error);
  }
}

void serve_request(tcp::socket& socket, Server& server, const Request& request) {
  const bool is_post = request.method() == http::verb::post;
  if (auto allowed =
          check_request_source(header(request, http::field::host),
                               header(request, http::field::origin), is_post, server.port);
      !allowed) {
    respond_json(socket, http::status::forbidden, {{"error", allowed.message()}});
    return;
  }
  const std::string_view target(request.target().data(), request.target().size());
  const std::string_view path = target.substr(0, target.find('?'));
  if (request.method() == http::verb::get)
    serve_get(socket, server, path, target);
  else if (is_post)
    serve_post(socket, server, path, target);
  else
    respond_json(socket, http::status::method_not_allowed, {{"error", "GET or POST"}});
}

void serve_connection(tcp::socket socket, Server& server) {
  set_timeouts(socket);
  beast::flat_buffer buffer;
  http::request_parser<http::string_body> parser;
  parser.body_limit(kBodyBytesMax);
  parser.header_limit(8 * 1024);
  beast::error_code error;
  http::read(socket, buffer, parser, error);
  if (error == http::error::body_limit) {
    respond_json(socket, http::status::payload_too_large,
                 {{"error", "request body over " + std::to_string(kBodyBytesMax) + " bytes"}});
    drain_then_close(socket);
    return;
  }
  if (error) {
    respond_json(socket, http::status::bad_request, {{"error", "malformed request"}});
    drain_then_close(socket);
    return;
  }
  serve_request(socket, server, parser.get());
  beast::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_send, ignored);
}

void accept_loop(tcp::acceptor& acceptor, Server& server) {
  for (;;) {
    beast::error_code error;
    tcp::socket socket(acceptor.get_executor());
    acceptor.accept(socket, error);
    if (error)
      continue;
    if (server.connections >= kConnectionsMax)
      continue;  // the socket closes here: too many browsers at once
    ++server.connections;
    std::thread([socket = std::move(socket), &server]() mutable {
      serve_connection(std::move(socket), server);
      --server.connections;
    }).detach();
  }
}

}  // namespace

Status cmd_web(const std::string& dir, std::uint16_t port) {
  auto testnet = load_testnet(dir);
  if (!testnet)
    return testnet.error();
  // SIGINT and SIGTERM are taken by sigwait below, in no thread by a handler.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  asio::io_context io;
  tcp::acceptor acceptor(io);
  beast::error_code error;
  const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
  acceptor.open(endpoint.protocol(), error);
  if (!error)
    acceptor.set_option(asio::socket_base::reuse_address(true), error);
  if (!error)
    acceptor.bind(endpoint, error);
  if (!error)
    acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (error)
    return make_error("cannot listen on 127.0.0.1:" + std::to_string(port) + ": " +
                      error.message());

  WebHub hub(*testnet);
  WebActions actions(*testnet, hub);
  WebRelay relay(*testnet, hub);
  relay.start();
  Server server{hub, actions, acceptor.local_endpoint().port()};
  std::thread([&] { accept_loop(acceptor, server); }).detach();
  std::printf("synod-testnet web: serving %s on http://127.0.0.1:%u/ (Ctrl-C stops it)\n",
              dir.c_str(), static_cast<unsigned>(server.port));
  std::fflush(stdout);
  int signal = 0;
  sigwait(&stop_signals, &signal);
  actions.stop_running();
  std::printf("synod-testnet web: stopped\n");
  std::fflush(stdout);
  // Connection threads may sit in a blocking read; the process ends without joining them.
  std::_Exit(0);
}

}  // namespace synod::testnet
