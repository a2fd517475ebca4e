#include "client/rpc_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>

namespace synod::client {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using nlohmann::json;
using tcp = asio::ip::tcp;

namespace {

// Responses carry whole blocks (JSON plus raw hex); a 20,000-transaction block is ~18 MB.
constexpr std::uint64_t kMaxResponseBytes = 64ull * 1024 * 1024;

std::string lower_first(std::string text) {
  if (!text.empty() && text[0] >= 'A' && text[0] <= 'Z')
    text[0] = static_cast<char>(text[0] - 'A' + 'a');
  return text;
}

std::string seconds_text(std::chrono::milliseconds duration) {
  auto ms = duration.count();
  if (ms % 1000 == 0)
    return std::to_string(ms / 1000) + " s";
  return std::to_string(ms) + " ms";
}

RpcError bad_response(const std::string& message) {
  return RpcError{RpcError::Kind::kBadResponse, 0, message, nullptr};
}

// One JSON-RPC response object -> outcome.
RpcOutcome outcome_of(const json& response) {
  if (!response.is_object())
    return bad_response("node sent a JSON-RPC response that is not an object");
  if (response.contains("error")) {
    const json& error = response["error"];
    if (!error.is_object())
      return bad_response("node sent a malformed JSON-RPC error");
    RpcError out{RpcError::Kind::kRpc, 0, "", nullptr};
    if (error.contains("code") && error["code"].is_number_integer())
      out.code = error["code"].get<int>();
    if (error.contains("message") && error["message"].is_string())
      out.message = error["message"].get<std::string>();
    if (error.contains("data"))
      out.data = error["data"];
    return out;
  }
  if (!response.contains("result"))
    return bad_response("node sent a JSON-RPC response with neither result nor error");
  return response["result"];
}

}  // namespace

Result<Endpoint> parse_endpoint(std::string_view text) {
  std::string_view rest = text;
  if (rest.substr(0, 7) == "http://")
    rest.remove_prefix(7);
  if (!rest.empty() && rest.back() == '/')
    rest.remove_suffix(1);
  auto colon = rest.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == rest.size()) {
    return make_error("node address must be HOST:PORT, got \"" + std::string(text) + "\"");
  }
  std::string_view port_text = rest.substr(colon + 1);
  unsigned port = 0;
  auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (error != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
      port > 65535) {
    return make_error("node address: bad port \"" + std::string(port_text) + "\" in \"" +
                      std::string(text) + "\" (1 to 65535)");
  }
  Endpoint endpoint;
  endpoint.host = std::string(rest.substr(0, colon));
  if (endpoint.host.size() > 2 && endpoint.host.front() == '[' && endpoint.host.back() == ']')
    endpoint.host = endpoint.host.substr(1, endpoint.host.size() - 2);
  endpoint.port = static_cast<std::uint16_t>(port);
  return endpoint;
}

std::string describe(const RpcError& error) {
  return error.message;
}

struct RpcClient::Connection {
  asio::io_context io;
  beast::tcp_stream stream{io};
  beast::flat_buffer buffer;
  bool open = false;

  // Runs the queued asynchronous operation to completion (or its deadline).
  void run() {
    io.restart();
    io.run();
  }
};

RpcClient::RpcClient(Endpoint endpoint, RpcClientOptions options)
    : endpoint_(std::move(endpoint)), options_(options) {}

RpcClient::~RpcClient() = default;

void RpcClient::close() {
  if (connection_ && connection_->open) {
    beast::error_code ignored;
    connection_->stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    connection_->stream.close();
  }
  connection_.reset();
}

std::string RpcClient::describe_failure(const std::string& what, const std::string& detail) const {
  return what + " " + endpoint_.to_string() + ": " + detail;
}

Status RpcClient::connect() {
  connection_ = std::make_unique<Connection>();
  tcp::resolver resolver(connection_->io);
  beast::error_code ec;
  auto endpoints = resolver.resolve(endpoint_.host, std::to_string(endpoint_.port), ec);
  if (ec) {
    connection_.reset();
    return make_error(describe_failure("cannot resolve node address", lower_first(ec.message())));
  }
  beast::error_code connect_ec = asio::error::would_block;
  connection_->stream.expires_after(options_.connect_timeout);
  connection_->stream.async_connect(
      endpoints,
      [&connect_ec](beast::error_code result, const tcp::endpoint&) { connect_ec = result; });
  connection_->run();
  if (connect_ec) {
    std::string detail = connect_ec == beast::error::timeout
                             ? "no answer within " + seconds_text(options_.connect_timeout)
                             : lower_first(connect_ec.message());
    connection_.reset();
    return make_error(describe_failure("cannot reach node at", detail));
  }
  connection_->stream.socket().set_option(tcp::no_delay(true), ec);
  connection_->open = true;
  return Status::success();
}

Result<RpcClient::HttpReply> RpcClient::exchange_once(bool post, const std::string& target,
                                                      const std::string& body, bool& reused) {
  reused = connection_ && connection_->open;
  if (!reused) {
    if (auto status = connect(); !status)
      return status.error();
  }
  Connection& connection = *connection_;
  http::request<http::string_body> request{post ? http::verb::post : http::verb::get, target, 11};
  request.set(http::field::host, endpoint_.to_string());
  request.set(http::field::user_agent, "synod-client");
  request.keep_alive(true);
  if (post) {
    request.set(http::field::content_type, "application/json");
    request.body() = body;
    request.prepare_payload();
  }

  beast::error_code ec = asio::error::would_block;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxResponseBytes);
  connection.stream.expires_after(options_.request_timeout);
  http::async_write(connection.stream, request, [&](beast::error_code write_ec, std::size_t) {
    if (write_ec) {
      ec = write_ec;
      return;
    }
    http::async_read(connection.stream, connection.buffer, parser,
                     [&ec](beast::error_code read_ec, std::size_t) { ec = read_ec; });
  });
  connection.run();
  if (ec) {
    close();
    if (ec == beast::error::timeout) {
      reused = false;  // a node that is merely slow would only time out again
      return make_error("node at " + endpoint_.to_string() + " did not answer within " +
                        seconds_text(options_.request_timeout));
    }
    return make_error(describe_failure("lost connection to node at", lower_first(ec.message())));
  }
  auto response = parser.release();
  HttpReply reply{response.result_int(), std::move(response.body())};
  if (!response.keep_alive())
    close();
  reused = false;  // a complete answer arrived: no retry needed
  return reply;
}

Result<RpcClient::HttpReply> RpcClient::exchange(bool post, const std::string& target,
                                                 const std::string& body) {
  bool reused = false;
  auto reply = exchange_once(post, target, body, reused);
  // A keep-alive connection the node closed while idle fails on first use: retry once on a
  // fresh connection. (A complete failure on a fresh connection is reported as is.)
  if (!reply && reused)
    reply = exchange_once(post, target, body, reused);
  return reply;
}

Result<std::string> RpcClient::post_raw(const std::string& body) {
  auto reply = exchange(true, "/", body);
  if (!reply)
    return reply.error();
  if (reply->status != 200) {
    return make_error("node at " + endpoint_.to_string() + " answered HTTP " +
                      std::to_string(reply->status) + ": " + reply->body.substr(0, 200));
  }
  return std::move(reply->body);
}

Result<std::string> RpcClient::get(const std::string& target) {
  auto reply = exchange(false, target, "");
  if (!reply)
    return reply.error();
  if (reply->status != 200) {
    return make_error("node at " + endpoint_.to_string() + " answered HTTP " +
                      std::to_string(reply->status) + " for GET " + target);
  }
  return std::move(reply->body);
}

RpcOutcome RpcClient::call(const std::string& method, const json& params) {
  std::uint64_t id = next_id_++;
  json request = {{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}};
  auto reply = exchange(true, "/", request.dump());
  if (!reply)
    return RpcError{RpcError::Kind::kTransport, 0, reply.message(), nullptr};
  json response = json::parse(reply->body, nullptr, /*allow_exceptions=*/false);
  if (reply->status != 200 && (response.is_discarded() || !response.is_object())) {
    return RpcError{
        RpcError::Kind::kHttp, static_cast<int>(reply->status),
        "node at " + endpoint_.to_string() + " answered HTTP " + std::to_string(reply->status),
        nullptr};
  }
  if (response.is_discarded())
    return bad_response("node at " + endpoint_.to_string() + " sent a body that is not JSON");
  return outcome_of(response);
}

std::vector<RpcOutcome> RpcClient::call_batch(
    const std::vector<std::pair<std::string, json>>& calls) {
  if (calls.empty())
    return {};
  std::uint64_t first_id = next_id_;
  json request = json::array();
  for (const auto& [method, params] : calls) {
    request.push_back(
        {{"jsonrpc", "2.0"}, {"id", next_id_++}, {"method", method}, {"params", params}});
  }
  auto fail_all = [&](RpcError error) { return std::vector<RpcOutcome>(calls.size(), error); };
  auto reply = exchange(true, "/", request.dump());
  if (!reply)
    return fail_all(RpcError{RpcError::Kind::kTransport, 0, reply.message(), nullptr});
  json response = json::parse(reply->body, nullptr, /*allow_exceptions=*/false);
  if (response.is_discarded())
    return fail_all(bad_response("node sent a batch response that is not JSON"));
  if (response.is_object())  // the batch failed as a whole
    return fail_all(outcome_of(response).ok() ? bad_response("unexpected batch response")
                                              : outcome_of(response).error());
  if (!response.is_array())
    return fail_all(bad_response("node sent a batch response that is not an array"));
  std::vector<RpcOutcome> out(calls.size(),
                              bad_response("node sent no response for this batch entry"));
  for (const json& entry : response) {
    if (!entry.is_object() || !entry.contains("id") || !entry["id"].is_number_unsigned())
      continue;
    std::uint64_t id = entry["id"].get<std::uint64_t>();
    if (id >= first_id && id < first_id + calls.size())
      out[id - first_id] = outcome_of(entry);
  }
  return out;
}

}  // namespace synod::client
