#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <nlohmann/json.hpp>

#include "chain/state.h"
#include "client/blocks_answer.h"
#include "crypto/hex.h"
#include "node/rpc/address_slots.h"
#include "node/rpc/http_server.h"
#include "node/rpc/json_rpc.h"
#include "node/rpc/metrics.h"

using namespace synod::node;
using nlohmann::json;
using namespace std::chrono_literals;

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

// ---------------------------------------------------------------------------------------
// JSON-RPC helpers

int error_code_of(const RpcEntry& entry) {
  REQUIRE(std::holds_alternative<json>(entry));
  return std::get<json>(entry).at("error").at("code").get<int>();
}

// The single response entry of a body that fails as a whole or holds one bad request.
json single_error(std::string_view body, const RpcLimits& limits = {}) {
  const RpcBody parsed = parse_rpc_body(body, limits);
  REQUIRE_FALSE(parsed.batch);
  REQUIRE(parsed.entries.size() == 1);
  REQUIRE(std::holds_alternative<json>(parsed.entries[0]));
  return std::get<json>(parsed.entries[0]);
}

RpcRequest single_request(const RpcBody& parsed) {
  REQUIRE(parsed.entries.size() == 1);
  REQUIRE(std::holds_alternative<RpcRequest>(parsed.entries[0]));
  return std::get<RpcRequest>(parsed.entries[0]);
}

// Runs `body` through `dispatcher` and returns the response body; requires a synchronous
// completion.
std::string dispatch(const RpcDispatcher& dispatcher, std::string_view body) {
  std::optional<std::string> out;
  dispatcher.handle(body, [&](std::string response) { out = std::move(response); });
  REQUIRE(out.has_value());
  return *out;
}

RpcDispatcher test_dispatcher() {
  RpcDispatcher dispatcher;
  dispatcher.add_method("echo", [](const json& params, RpcReply reply) { reply.result(params); });
  dispatcher.add_method("add", [](const json& params, RpcReply reply) {
    if (!params.is_array() || params.size() != 2 || !params[0].is_number_integer() ||
        !params[1].is_number_integer()) {
      reply.error(kRpcInvalidParams, "Invalid params", "expected [integer, integer]");
      return;
    }
    reply.result(params[0].get<std::int64_t>() + params[1].get<std::int64_t>());
  });
  dispatcher.add_method("throws", [](const json&, RpcReply) { throw std::runtime_error("boom"); });
  dispatcher.add_method("drops", [](const json&, RpcReply) {});
  dispatcher.add_method("twice", [](const json&, RpcReply reply) {
    reply.result("first");
    reply.result("second");
    reply.error(-32000, "third");
  });
  return dispatcher;
}

// ---------------------------------------------------------------------------------------
// HTTP helpers: a server on its own io thread, and a small blocking client whose every
// operation runs under a deadline.

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

class ServerFixture {
 public:
  explicit ServerFixture(HttpServerOptions options = {}, int io_threads = 1)
      : io_threads_(io_threads), server_(io_context_, options) {}
  ~ServerFixture() {
    server_.stop();
    io_context_.stop();
    for (std::thread& thread : threads_) {
      thread.join();
    }
    for (std::thread& helper : helpers_) {
      helper.join();
    }
  }

  HttpServer& server() { return server_; }
  asio::io_context& io_context() { return io_context_; }

  void start() {
    REQUIRE(server_.start().ok());
    for (int i = 0; i < io_threads_; ++i) {
      threads_.emplace_back([this] { io_context_.run(); });
    }
  }

  // A thread a method started; joined by the destructor.
  void adopt(std::thread helper) {
    std::lock_guard lock(mutex_);
    helpers_.push_back(std::move(helper));
  }

 private:
  const int io_threads_;
  asio::io_context io_context_;
  asio::executor_work_guard<asio::io_context::executor_type> work_{io_context_.get_executor()};
  HttpServer server_;
  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::vector<std::thread> helpers_;  // guarded by mutex_
};

class Client {
 public:
  // `from`: the local address to connect from ("127.0.0.2": another client address).
  explicit Client(std::uint16_t port, std::chrono::milliseconds timeout = 5s,
                  const char* from = nullptr) {
    beast::error_code result = asio::error::timed_out;
    if (from != nullptr) {
      stream_.socket().open(asio::ip::tcp::v4());
      stream_.socket().bind(asio::ip::tcp::endpoint(asio::ip::make_address(from), 0));
    }
    stream_.expires_after(timeout);
    stream_.async_connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                          [&](beast::error_code ec) { result = ec; });
    run();
    connected_ = !result;
  }

  bool connected() const { return connected_; }

  std::optional<Response> send(Request request, std::chrono::milliseconds timeout = 5s) {
    request.prepare_payload();
    beast::error_code result = asio::error::timed_out;
    Response response;
    stream_.expires_after(timeout);
    http::async_write(stream_, request, [&](beast::error_code ec, std::size_t) {
      if (ec) {
        result = ec;
        return;
      }
      http::async_read(stream_, buffer_, response,
                       [&](beast::error_code read_ec, std::size_t) { result = read_ec; });
    });
    run();
    if (result) {
      return std::nullopt;
    }
    return response;
  }

  std::optional<Response> post(std::string body, std::string target = "/") {
    Request request{http::verb::post, target, 11};
    request.set(http::field::host, "127.0.0.1");
    request.set(http::field::content_type, "application/json");
    request.keep_alive(true);
    request.body() = std::move(body);
    return send(std::move(request));
  }

  std::optional<Response> get(std::string target) {
    Request request{http::verb::get, target, 11};
    request.set(http::field::host, "127.0.0.1");
    request.keep_alive(true);
    return send(std::move(request));
  }

  bool write_raw(std::string_view bytes, std::chrono::milliseconds timeout = 5s) {
    beast::error_code result = asio::error::timed_out;
    stream_.expires_after(timeout);
    asio::async_write(stream_, asio::buffer(bytes.data(), bytes.size()),
                      [&](beast::error_code ec, std::size_t) { result = ec; });
    run();
    return !result;
  }

  // Reads until `marker` has arrived (true) or the connection ends or the deadline passes.
  bool read_until(std::string_view marker, std::chrono::milliseconds timeout = 5s) {
    stream_.expires_after(timeout);
    while (received_.find(marker) == std::string::npos) {
      if (!read_some()) {
        return false;
      }
    }
    return true;
  }

  // Reads until the server closes the connection (true) or the deadline passes (false).
  bool wait_closed(std::chrono::milliseconds timeout = 5s) {
    stream_.expires_after(timeout);
    for (;;) {
      if (!read_some()) {
        return last_error_ != beast::error::timeout;
      }
    }
  }

  const std::string& received() const { return received_; }

 private:
  bool read_some() {
    char chunk[4096];
    std::size_t got = 0;
    last_error_ = asio::error::timed_out;
    stream_.async_read_some(asio::buffer(chunk), [&](beast::error_code ec, std::size_t n) {
      last_error_ = ec;
      got = n;
    });
    run();
    received_.append(chunk, got);
    return !last_error_;
  }

  void run() {
    io_context_.restart();
    io_context_.run();
  }

  asio::io_context io_context_;
  beast::tcp_stream stream_{io_context_};
  beast::flat_buffer buffer_;
  std::string received_;
  beast::error_code last_error_;
  bool connected_ = false;
};

json body_json(const Response& response) {
  return json::parse(response.body());
}

std::string content_type(const Response& response) {
  return std::string(response[http::field::content_type]);
}

// Adds the methods used by the HTTP tests.
void add_test_methods(ServerFixture& fixture) {
  HttpServer& server = fixture.server();
  server.add_method("echo", [](const json& params, RpcReply reply) { reply.result(params); });
  server.add_method("add", [](const json& params, RpcReply reply) {
    if (!params.is_array() || params.size() != 2 || !params[0].is_number_integer() ||
        !params[1].is_number_integer()) {
      reply.error(kRpcInvalidParams, "Invalid params", "expected [integer, integer]");
      return;
    }
    reply.result(params[0].get<std::int64_t>() + params[1].get<std::int64_t>());
  });
  server.add_method("later", [&fixture](const json& params, RpcReply reply) {
    auto timer = std::make_shared<asio::steady_timer>(fixture.io_context(), 30ms);
    timer->async_wait([timer, params, reply](beast::error_code) { reply.result(params); });
  });
  server.add_method("other_thread", [&fixture](const json& params, RpcReply reply) {
    fixture.adopt(std::thread([params, reply] {
      std::this_thread::sleep_for(10ms);
      reply.result(params);
    }));
  });
  server.add_method("throws", [](const json&, RpcReply) { throw std::runtime_error("boom"); });
}

std::string rpc(std::string_view method, const json& params, const json& id = 1) {
  return json{{"jsonrpc", "2.0"}, {"method", method}, {"params", params}, {"id", id}}.dump();
}

// Polls `condition` until it holds or `timeout` passes.
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout = 5s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) {
      return true;
    }
    std::this_thread::sleep_for(5ms);
  }
  return condition();
}

}  // namespace

// =========================================================================================
// JSON-RPC parsing

TEST_CASE("json_rpc parses valid requests", "[rpc][unit]") {
  SECTION("params object, numeric id") {
    const RpcBody parsed =
        parse_rpc_body(R"({"jsonrpc":"2.0","method":"get_block","params":{"height":3},"id":7})");
    const RpcRequest& request = single_request(parsed);
    CHECK_FALSE(parsed.batch);
    CHECK(request.method == "get_block");
    CHECK(request.params == json{{"height", 3}});
    CHECK(request.id == 7);
    CHECK_FALSE(request.notification);
  }
  SECTION("params array, string id") {
    const RpcRequest& request =
        single_request(parse_rpc_body(R"({"jsonrpc":"2.0","method":"m","params":[1],"id":"a"})"));
    CHECK(request.params == json::array({1}));
    CHECK(request.id == "a");
  }
  SECTION("params omitted become an empty object; a null id is a request") {
    const RpcRequest& request =
        single_request(parse_rpc_body(R"({"jsonrpc":"2.0","method":"status","id":null})"));
    CHECK(request.params == json::object());
    CHECK(request.id.is_null());
    CHECK_FALSE(request.notification);
  }
  SECTION("no id is a notification") {
    const RpcRequest& request =
        single_request(parse_rpc_body(R"({"jsonrpc":"2.0","method":"status"})"));
    CHECK(request.notification);
  }
}

TEST_CASE("json_rpc reports parse errors", "[rpc][unit]") {
  for (const std::string_view body :
       {std::string_view(""), std::string_view("{"), std::string_view("not json"),
        std::string_view(R"({"jsonrpc":"2.0","method":"m",})"), std::string_view("[1,"),
        std::string_view("{\"jsonrpc\":\"2.0\",\"method\":\"\xff\xfe\",\"id\":1}"),
        std::string_view("\x00\x01\x02", 3)}) {
    CAPTURE(body);
    const json error = single_error(body);
    CHECK(error.at("error").at("code") == kRpcParseError);
    CHECK(error.at("error").at("message") == "Parse error");
    CHECK(error.at("id").is_null());
    CHECK(error.at("jsonrpc") == "2.0");
  }
}

TEST_CASE("json_rpc reports invalid requests", "[rpc][unit]") {
  SECTION("not an object") {
    for (const std::string_view body : {"42", "\"status\"", "null", "true"}) {
      CAPTURE(body);
      const json error = single_error(body);
      CHECK(error.at("error").at("code") == kRpcInvalidRequest);
      CHECK(error.at("id").is_null());
    }
  }
  SECTION("bad members keep a valid id") {
    for (const std::string_view body : {
             R"({"method":"m","id":5})",                               // no jsonrpc
             R"({"jsonrpc":"1.0","method":"m","id":5})",               // wrong version
             R"({"jsonrpc":2.0,"method":"m","id":5})",                 // version not a string
             R"({"jsonrpc":"2.0","id":5})",                            // no method
             R"({"jsonrpc":"2.0","method":5,"id":5})",                 // method not a string
             R"({"jsonrpc":"2.0","method":"m","params":"x","id":5})",  // params scalar
             R"({"jsonrpc":"2.0","method":"m","params":null,"id":5})",
         }) {
      CAPTURE(body);
      const json error = single_error(body);
      CHECK(error.at("error").at("code") == kRpcInvalidRequest);
      CHECK(error.at("error").at("message") == "Invalid Request");
      CHECK(error.at("error").at("data").is_string());
      CHECK(error.at("id") == 5);
    }
  }
  SECTION("an id that is not a string, number or null is reported with a null id") {
    for (const std::string_view body : {R"({"jsonrpc":"2.0","method":"m","id":{"a":1}})",
                                        R"({"jsonrpc":"2.0","method":"m","id":[1]})",
                                        R"({"jsonrpc":"2.0","method":"m","id":true})"}) {
      CAPTURE(body);
      const json error = single_error(body);
      CHECK(error.at("error").at("code") == kRpcInvalidRequest);
      CHECK(error.at("id").is_null());
    }
  }
  SECTION("empty batch is one error, not an array") {
    CHECK(single_error("[]").at("error").at("code") == kRpcInvalidRequest);
  }
  SECTION("batch over the limit") {
    RpcLimits limits;
    limits.max_batch_entries = 3;
    const std::string request = R"({"jsonrpc":"2.0","method":"m","id":1})";
    const std::string three = "[" + request + "," + request + "," + request + "]";
    CHECK(parse_rpc_body(three, limits).entries.size() == 3);
    const std::string four = "[" + request + "," + request + "," + request + "," + request + "]";
    CHECK(single_error(four, limits).at("error").at("code") == kRpcInvalidRequest);
  }
  SECTION("nesting deeper than the limit is refused before parsing") {
    RpcLimits limits;
    limits.max_nesting_depth = 8;
    const auto nested = [](int depth) {
      return R"({"jsonrpc":"2.0","method":"m","id":1,"params":)" + std::string(depth, '[') +
             std::string(depth, ']') + "}";
    };
    CHECK(std::holds_alternative<RpcRequest>(parse_rpc_body(nested(7), limits).entries[0]));
    CHECK(single_error(nested(8), limits).at("error").at("code") == kRpcInvalidRequest);
    // Brackets inside strings do not count.
    const std::string in_string = R"({"jsonrpc":"2.0","method":"[[[[[[[[[[[[\"{{{{{{{","id":1})";
    CHECK(single_request(parse_rpc_body(in_string, limits)).method == "[[[[[[[[[[[[\"{{{{{{{");
    // A million open brackets: refused quickly, no deep structure built.
    CHECK(single_error(std::string(1'000'000, '[')).at("error").at("code") == kRpcInvalidRequest);
  }
}

TEST_CASE("json_rpc parses batches entry by entry", "[rpc][unit]") {
  const RpcBody parsed = parse_rpc_body(
      R"([{"jsonrpc":"2.0","method":"a","id":1}, 5, {"jsonrpc":"2.0","method":"b"}])");
  REQUIRE(parsed.batch);
  REQUIRE(parsed.entries.size() == 3);
  CHECK(std::get<RpcRequest>(parsed.entries[0]).method == "a");
  CHECK(error_code_of(parsed.entries[1]) == kRpcInvalidRequest);
  CHECK(std::get<RpcRequest>(parsed.entries[2]).notification);
}

TEST_CASE("json_rpc builds responses", "[rpc][unit]") {
  CHECK(make_rpc_result(3, json{{"ok", true}}) ==
        json::parse(R"({"jsonrpc":"2.0","result":{"ok":true},"id":3})"));
  CHECK(make_rpc_error("x", -32001, "unknown block") ==
        json::parse(R"({"jsonrpc":"2.0","error":{"code":-32001,"message":"unknown block"},
                        "id":"x"})"));
  CHECK(make_rpc_error(nullptr, kRpcInvalidParams, "Invalid params", "height")
            .at("error")
            .at("data") == "height");
  // Invalid UTF-8 from a method never makes serialization throw.
  CHECK_NOTHROW(dump_json(make_rpc_result(1, std::string("\xff\xfe"))));
}

TEST_CASE("json_rpc dispatcher calls methods and maps failures", "[rpc][unit]") {
  const RpcDispatcher dispatcher = test_dispatcher();
  const auto call = [&](std::string_view body) { return json::parse(dispatch(dispatcher, body)); };

  CHECK(call(rpc("add", json::array({2, 3}))) == make_rpc_result(1, 5));
  CHECK(call(rpc("add", json{{"a", 1}})).at("error").at("code") == kRpcInvalidParams);
  CHECK(call(rpc("nope", json::object())).at("error").at("code") == kRpcMethodNotFound);
  CHECK(call(rpc("throws", json::object())).at("error").at("code") == kRpcInternalError);
  CHECK(call(rpc("drops", json::object())).at("error").at("code") == kRpcInternalError);
  CHECK(call(rpc("twice", json::object(), "t")) == make_rpc_result("t", "first"));
  CHECK(call("{").at("error").at("code") == kRpcParseError);
  // Notifications produce no response, even for unknown methods or failures.
  CHECK(dispatch(dispatcher, R"({"jsonrpc":"2.0","method":"add","params":[1,2]})").empty());
  CHECK(dispatch(dispatcher, R"([{"jsonrpc":"2.0","method":"nope"},
                                 {"jsonrpc":"2.0","method":"throws"}])")
            .empty());
}

TEST_CASE("json_rpc dispatcher answers a batch in order", "[rpc][unit]") {
  const RpcDispatcher dispatcher = test_dispatcher();
  const json responses = json::parse(dispatch(dispatcher, R"([
      {"jsonrpc":"2.0","method":"add","params":[1,2],"id":1},
      {"jsonrpc":"2.0","method":"echo","params":[9]},
      {"jsonrpc":"2.0","method":"nope","id":"b"},
      7,
      {"jsonrpc":"2.0","method":"echo","params":{"k":"v"},"id":4}])"));
  REQUIRE(responses.is_array());
  REQUIRE(responses.size() == 4);
  CHECK(responses[0] == make_rpc_result(1, 3));
  CHECK(responses[1].at("error").at("code") == kRpcMethodNotFound);
  CHECK(responses[1].at("id") == "b");
  CHECK(responses[2].at("error").at("code") == kRpcInvalidRequest);
  CHECK(responses[3] == make_rpc_result(4, json{{"k", "v"}}));
}

TEST_CASE("json_rpc batch entries share one response budget", "[rpc][unit]") {
  RpcLimits limits;
  limits.max_response_bytes = 1000;
  RpcDispatcher dispatcher(limits);
  // Like get_blocks: answers with what it may still build, and charges 600 bytes for it.
  dispatcher.add_method("big", [](const json&, RpcReply reply) {
    std::size_t allowed = reply.budget_share().left();
    reply.budget_share().charge(600);
    reply.result(allowed);
  });
  json batch = json::array();
  for (int id = 1; id <= 3; ++id)
    batch.push_back({{"jsonrpc", "2.0"}, {"method", "big"}, {"id", id}});
  json answer = json::parse(dispatch(dispatcher, batch.dump()));
  REQUIRE(answer.size() == 3);
  CHECK(answer[0]["result"] == 1000);
  CHECK(answer[1]["result"] == 400);
  CHECK(answer[2]["result"] == 0);
  // Each body has a budget of its own.
  json again = json::parse(dispatch(dispatcher, batch[0].dump()));
  CHECK(again["result"] == 1000);
}

TEST_CASE("answers built at render time take the budget in entry order and may be errors",
          "[rpc][unit]") {
  RpcLimits limits;
  limits.max_response_bytes = 1000;
  RpcDispatcher dispatcher(limits);
  // Like get_blocks now: the method only takes the budget's share; the answer is built (and
  // charged) where the response is rendered, and refuses once the budget is spent.
  dispatcher.add_method("later", [](const json&, RpcReply reply) {
    reply.answer_from([budget = reply.budget_share()]() -> RpcAnswer {
      if (budget.left() == 0)
        return RpcFailure{-32006, "budget spent"};
      std::size_t allowed = budget.left();
      budget.charge(600);
      return json(allowed);
    });
  });
  json batch = json::array();
  for (int id = 1; id <= 3; ++id)
    batch.push_back({{"jsonrpc", "2.0"}, {"method", "later"}, {"id", id}});
  json answer = json::parse(dispatch(dispatcher, batch.dump()));
  REQUIRE(answer.size() == 3);
  CHECK(answer[0]["result"] == 1000);
  CHECK(answer[1]["result"] == 400);
  CHECK(answer[2]["error"]["code"] == -32006);
  CHECK(answer[2]["error"]["message"] == "budget spent");
}

TEST_CASE("json_rpc dispatcher waits for replies sent later from other threads", "[rpc][unit]") {
  RpcDispatcher dispatcher;
  std::vector<RpcReply> parked;
  dispatcher.add_method("park", [&](const json&, RpcReply reply) { parked.push_back(reply); });

  std::optional<std::string> out;
  std::atomic<int> done_calls{0};
  dispatcher.handle(R"([{"jsonrpc":"2.0","method":"park","id":1},
                        {"jsonrpc":"2.0","method":"park","id":2}])",
                    [&](std::string response) {
                      out = std::move(response);
                      ++done_calls;
                    });
  REQUIRE(parked.size() == 2);
  CHECK_FALSE(out.has_value());
  std::thread second([reply = parked[1]] { reply.result("two"); });
  second.join();
  CHECK_FALSE(out.has_value());
  std::thread first([reply = parked[0]] { reply.result("one"); });
  first.join();
  REQUIRE(out.has_value());
  CHECK(done_calls == 1);
  CHECK(json::parse(*out) == json::array({make_rpc_result(1, "one"), make_rpc_result(2, "two")}));
}

// =========================================================================================
// Metrics

TEST_CASE("metrics render the exact text format", "[rpc][unit]") {
  Metrics metrics;
  metrics.counter("synod_rpc_requests_total", "RPC requests served.", {{"method", "status"}})
      .inc(3);
  metrics
      .counter("synod_rpc_requests_total", "ignored: help comes from the first call",
               {{"method", "get_block"}})
      .inc();
  metrics.gauge("synod_height", "Committed height.").set(42);
  Histogram& latency = metrics.histogram("synod_commit_seconds", "Commit latency.", {0.5, 1, 2});
  for (const double value : {0.25, 0.5, 0.75, 3.0}) {
    latency.observe(value);
  }
  CHECK(metrics.render() ==
        "# HELP synod_commit_seconds Commit latency.\n"
        "# TYPE synod_commit_seconds histogram\n"
        "synod_commit_seconds_bucket{le=\"0.5\"} 2\n"
        "synod_commit_seconds_bucket{le=\"1\"} 3\n"
        "synod_commit_seconds_bucket{le=\"2\"} 3\n"
        "synod_commit_seconds_bucket{le=\"+Inf\"} 4\n"
        "synod_commit_seconds_sum 4.5\n"
        "synod_commit_seconds_count 4\n"
        "# HELP synod_height Committed height.\n"
        "# TYPE synod_height gauge\n"
        "synod_height 42\n"
        "# HELP synod_rpc_requests_total RPC requests served.\n"
        "# TYPE synod_rpc_requests_total counter\n"
        "synod_rpc_requests_total{method=\"get_block\"} 1\n"
        "synod_rpc_requests_total{method=\"status\"} 3\n");
}

TEST_CASE("metrics escape label values and help", "[rpc][unit]") {
  Metrics metrics;
  metrics
      .counter("weird_total", "line one\nback\\slash \"quoted\"",
               {{"path", "C:\\dir \"x\"\nnext"}, {"a", "first"}})
      .inc(2);
  CHECK(metrics.render() ==
        "# HELP weird_total line one\\nback\\\\slash \"quoted\"\n"
        "# TYPE weird_total counter\n"
        "weird_total{a=\"first\",path=\"C:\\\\dir \\\"x\\\"\\nnext\"} 2\n");
}

TEST_CASE("metrics return one object per name and label set", "[rpc][unit]") {
  Metrics metrics;
  Counter& a = metrics.counter("c_total", "h", {{"x", "1"}, {"y", "2"}});
  Counter& b = metrics.counter("c_total", "h", {{"y", "2"}, {"x", "1"}});
  Counter& c = metrics.counter("c_total", "h", {{"x", "2"}, {"y", "2"}});
  CHECK(&a == &b);
  CHECK(&a != &c);
  a.inc();
  b.inc(4);
  CHECK(a.value() == 5);
  CHECK(c.value() == 0);

  Gauge& gauge = metrics.gauge("g", "h");
  CHECK(&gauge == &metrics.gauge("g", "other help"));
  gauge.set(1.5);
  gauge.add(-3);
  CHECK(gauge.value() == -1.5);

  Histogram& h = metrics.histogram("h_seconds", "h", {1, 2});
  CHECK(&h == &metrics.histogram("h_seconds", "h", {5}));  // buckets from the first call
}

TEST_CASE("metrics histogram buckets are cumulative and upper-inclusive", "[rpc][unit]") {
  Metrics metrics;
  Histogram& h = metrics.histogram(
      "size_bytes", "Sizes.", {10, 100, std::numeric_limits<double>::infinity()}, {{"kind", "tx"}});
  h.observe(10);    // on the bound: counts in le="10"
  h.observe(10.5);  // le="100"
  h.observe(-1);    // below every bound: le="10"
  h.observe(1e9);   // +Inf only
  const Histogram::Snapshot snapshot = h.snapshot();
  CHECK(snapshot.upper_bounds == std::vector<double>{10, 100});  // trailing +Inf dropped
  CHECK(snapshot.cumulative_counts == std::vector<std::uint64_t>{2, 3, 4});
  CHECK(metrics.render() ==
        "# HELP size_bytes Sizes.\n"
        "# TYPE size_bytes histogram\n"
        "size_bytes_bucket{kind=\"tx\",le=\"10\"} 2\n"
        "size_bytes_bucket{kind=\"tx\",le=\"100\"} 3\n"
        "size_bytes_bucket{kind=\"tx\",le=\"+Inf\"} 4\n"
        "size_bytes_sum{kind=\"tx\"} 1000000019.5\n"
        "size_bytes_count{kind=\"tx\"} 4\n");
}

TEST_CASE("metrics format values", "[rpc][unit]") {
  CHECK(format_metric_value(0) == "0");
  CHECK(format_metric_value(1) == "1");
  CHECK(format_metric_value(0.25) == "0.25");
  CHECK(format_metric_value(-2.5) == "-2.5");
  CHECK(format_metric_value(std::numeric_limits<double>::infinity()) == "+Inf");
  CHECK(format_metric_value(-std::numeric_limits<double>::infinity()) == "-Inf");
  CHECK(format_metric_value(std::nan("")) == "NaN");
  CHECK(std::stod(format_metric_value(0.1)) == 0.1);  // shortest round-trip form
}

TEST_CASE("metrics counters are exact under concurrent increments", "[rpc][unit]") {
  Metrics metrics;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&metrics] {
      Counter& counter = metrics.counter("hits_total", "Hits.");
      Histogram& histogram = metrics.histogram("lat", "Latency.", {1});
      for (int i = 0; i < 10'000; ++i) {
        counter.inc();
        histogram.observe(0.5);
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  CHECK(metrics.counter("hits_total", "Hits.").value() == 40'000);
  CHECK(metrics.histogram("lat", "Latency.", {1}).snapshot().count == 40'000);
}

// =========================================================================================
// HttpServer over loopback

TEST_CASE("http server answers JSON-RPC calls", "[rpc][unit]") {
  ServerFixture fixture;
  add_test_methods(fixture);
  fixture.start();
  Client client(fixture.server().port());
  REQUIRE(client.connected());

  SECTION("a method returns its result") {
    const auto response = client.post(rpc("add", json::array({20, 22})));
    REQUIRE(response);
    CHECK(response->result() == http::status::ok);
    CHECK(content_type(*response) == "application/json");
    CHECK(body_json(*response) == make_rpc_result(1, 42));
  }
  SECTION("an asynchronous method replies later from a timer") {
    const auto response = client.post(rpc("later", json{{"x", 1}}, "async"));
    REQUIRE(response);
    CHECK(body_json(*response) == make_rpc_result("async", json{{"x", 1}}));
  }
  SECTION("a method replies from another thread") {
    const auto response = client.post(rpc("other_thread", json::array({"t"})));
    REQUIRE(response);
    CHECK(body_json(*response) == make_rpc_result(1, json::array({"t"})));
  }
  SECTION("parse error is HTTP 200 with -32700") {
    const auto response = client.post("{\"jsonrpc\": \"2.0\", \"method\"");
    REQUIRE(response);
    CHECK(response->result() == http::status::ok);
    CHECK(content_type(*response) == "application/json");
    CHECK(body_json(*response).at("error").at("code") == kRpcParseError);
    CHECK(body_json(*response).at("id").is_null());
  }
  SECTION("invalid request") {
    const auto response = client.post(R"({"jsonrpc":"2.0","method":1,"id":3})");
    REQUIRE(response);
    CHECK(body_json(*response).at("error").at("code") == kRpcInvalidRequest);
    CHECK(body_json(*response).at("id") == 3);
  }
  SECTION("unknown method") {
    const auto response = client.post(rpc("no_such_method", json::object()));
    REQUIRE(response);
    CHECK(body_json(*response).at("error").at("code") == kRpcMethodNotFound);
  }
  SECTION("invalid params from a method that rejects them") {
    const auto response = client.post(rpc("add", json::array({"a"})));
    REQUIRE(response);
    CHECK(body_json(*response).at("error").at("code") == kRpcInvalidParams);
  }
  SECTION("a throwing method is -32603 and the server carries on") {
    const auto response = client.post(rpc("throws", json::object()));
    REQUIRE(response);
    CHECK(body_json(*response).at("error").at("code") == kRpcInternalError);
    const auto next = client.post(rpc("add", json::array({1, 1})));
    REQUIRE(next);
    CHECK(body_json(*next) == make_rpc_result(1, 2));
  }
  SECTION("batch") {
    const auto response = client.post("[" + rpc("add", json::array({1, 2}), 1) + "," +
                                      R"({"jsonrpc":"2.0","method":"echo","params":[0]})" + "," +
                                      rpc("later", json::array({"l"}), 2) + "," +
                                      rpc("nope", json::object(), 3) + "]");
    REQUIRE(response);
    const json responses = body_json(*response);
    REQUIRE(responses.is_array());
    REQUIRE(responses.size() == 3);
    CHECK(responses[0] == make_rpc_result(1, 3));
    CHECK(responses[1] == make_rpc_result(2, json::array({"l"})));
    CHECK(responses[2].at("error").at("code") == kRpcMethodNotFound);
  }
  SECTION("a notification gets 204 and no body") {
    const auto response = client.post(R"({"jsonrpc":"2.0","method":"echo","params":[1]})");
    REQUIRE(response);
    CHECK(response->result() == http::status::no_content);
    CHECK(response->body().empty());
  }
  SECTION("keep-alive: several requests on one connection") {
    for (int i = 0; i < 3; ++i) {
      const auto response = client.post(rpc("add", json::array({i, 1}), i));
      REQUIRE(response);
      CHECK(response->keep_alive());
      CHECK(body_json(*response) == make_rpc_result(i, i + 1));
    }
    CHECK(fixture.server().connection_count() == 1);
  }
}

TEST_CASE("http server serves concurrent clients on a multi-threaded io_context", "[rpc][unit]") {
  ServerFixture fixture(HttpServerOptions{}, /*io_threads=*/3);
  add_test_methods(fixture);
  fixture.start();
  constexpr int kClients = 4;
  constexpr int kRequestsPerClient = 25;
  std::atomic<int> correct{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      Client client(fixture.server().port());
      for (int i = 0; i < kRequestsPerClient; ++i) {
        const std::string method = i % 3 == 0 ? "later" : i % 3 == 1 ? "other_thread" : "echo";
        const auto response = client.post(rpc(method, json::array({c, i}), i));
        if (response && json::parse(response->body(), nullptr, false) ==
                            make_rpc_result(i, json::array({c, i}))) {
          ++correct;
        }
      }
    });
  }
  for (std::thread& client : clients) {
    client.join();
  }
  CHECK(correct == kClients * kRequestsPerClient);
}

TEST_CASE("http server routes paths and methods", "[rpc][unit]") {
  ServerFixture fixture;
  Metrics metrics;
  metrics.counter("synod_test_total", "A test counter.").inc(7);
  fixture.server().set_health([] { return json{{"status", "ok"}, {"height", 12}}; });
  fixture.server().set_metrics([&metrics] { return metrics.render(); });
  fixture.start();
  Client client(fixture.server().port());
  REQUIRE(client.connected());

  // All on one connection: these answers keep it open.
  const auto health = client.get("/health");
  REQUIRE(health);
  CHECK(health->result() == http::status::ok);
  CHECK(content_type(*health) == "application/json");
  CHECK(body_json(*health) == json{{"status", "ok"}, {"height", 12}});

  const auto scrape = client.get("/metrics");
  REQUIRE(scrape);
  CHECK(scrape->result() == http::status::ok);
  CHECK(content_type(*scrape).rfind("text/plain; version=0.0.4", 0) == 0);
  CHECK(scrape->body() == metrics.render());
  CHECK(scrape->body().find("synod_test_total 7\n") != std::string::npos);

  const auto not_found = client.get("/nope");
  REQUIRE(not_found);
  CHECK(not_found->result() == http::status::not_found);
  CHECK(content_type(*not_found) == "application/json");

  const auto get_root = client.get("/");
  REQUIRE(get_root);
  CHECK(get_root->result() == http::status::method_not_allowed);
  CHECK((*get_root)[http::field::allow] == "POST");

  const auto post_health = client.post("{}", "/health");
  REQUIRE(post_health);
  CHECK(post_health->result() == http::status::method_not_allowed);
  CHECK((*post_health)[http::field::allow] == "GET");

  const auto with_query = client.get("/health?verbose=1");
  REQUIRE(with_query);
  CHECK(with_query->result() == http::status::ok);
  CHECK(fixture.server().connection_count() == 1);
}

TEST_CASE("http server defaults /health and has no /metrics unless set", "[rpc][unit]") {
  ServerFixture fixture;
  fixture.start();
  Client client(fixture.server().port());
  const auto health = client.get("/health");
  REQUIRE(health);
  CHECK(body_json(*health) == json{{"status", "ok"}});
  const auto scrape = client.get("/metrics");
  REQUIRE(scrape);
  CHECK(scrape->result() == http::status::not_found);
}

TEST_CASE("http server refuses a body over the limit with 413 and closes", "[rpc][unit]") {
  HttpServerOptions options;
  options.max_body_bytes = 64 * 1024;
  ServerFixture fixture(options);
  add_test_methods(fixture);
  fixture.start();

  SECTION("the client sends the whole body") {
    Client client(fixture.server().port());
    const auto response = client.post(rpc("echo", json::array({std::string(256 * 1024, 'x')})));
    REQUIRE(response);
    CHECK(response->result() == http::status::payload_too_large);
    CHECK(content_type(*response) == "application/json");
    CHECK_FALSE(response->keep_alive());
    CHECK(client.wait_closed());
  }
  SECTION("a body just under the limit is served") {
    Client client(fixture.server().port());
    const std::string body = rpc("echo", json::array({std::string(60 * 1024, 'y')}));
    REQUIRE(body.size() < options.max_body_bytes);
    const auto response = client.post(body);
    REQUIRE(response);
    CHECK(response->result() == http::status::ok);
  }
  SECTION("Expect: 100-continue with a large Content-Length is refused without the body") {
    Client client(fixture.server().port());
    REQUIRE(
        client.write_raw("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n"
                         "Expect: 100-continue\r\n\r\n"));
    CHECK(client.wait_closed());
    CHECK(client.received().rfind("HTTP/1.1 413", 0) == 0);
  }
  SECTION("Expect: 100-continue within the limit gets 100 then the answer") {
    Client client(fixture.server().port());
    const std::string body = rpc("add", json::array({1, 2}));
    REQUIRE(client.write_raw("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                             std::to_string(body.size()) + "\r\nExpect: 100-continue\r\n\r\n"));
    REQUIRE(client.read_until("\r\n\r\n"));
    CHECK(client.received() == "HTTP/1.1 100 Continue\r\n\r\n");
    REQUIRE(client.write_raw(body));
    REQUIRE(client.read_until("\"result\":3"));
  }
}

TEST_CASE("http server cuts off slow clients while serving others", "[rpc][unit]") {
  HttpServerOptions options;
  options.read_timeout_ms = 300;
  ServerFixture fixture(options);
  add_test_methods(fixture);
  fixture.start();

  const std::string partial =
      GENERATE(std::string("POST / HTTP/1.1\r\nHost: x\r\nContent-Le"),
               std::string("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"json"));
  CAPTURE(partial);
  const auto started = std::chrono::steady_clock::now();
  Client slow(fixture.server().port());
  REQUIRE(slow.connected());
  REQUIRE(slow.write_raw(partial));

  Client other(fixture.server().port());
  const auto response = other.post(rpc("add", json::array({2, 2})));
  REQUIRE(response);
  CHECK(body_json(*response) == make_rpc_result(1, 4));

  CHECK(slow.wait_closed(5s));
  CHECK(std::chrono::steady_clock::now() - started >= 250ms);
  CHECK(slow.received().empty());  // cut off without an answer

  // An idle keep-alive connection is closed the same way.
  CHECK(other.wait_closed(5s));
}

TEST_CASE("http server survives garbage bytes", "[rpc][unit]") {
  ServerFixture fixture;
  add_test_methods(fixture);
  fixture.start();

  SECTION("non-HTTP bytes get 400 and a closed connection") {
    Client garbage(fixture.server().port());
    REQUIRE(garbage.write_raw(std::string("\x16\x03\x01\x02\x00\x01\xff garbage\r\n\r\n", 18)));
    CHECK(garbage.wait_closed());
    CHECK(garbage.received().rfind("HTTP/1.1 400", 0) == 0);
  }
  SECTION("a header line without end gets 431 once over the header limit") {
    Client garbage(fixture.server().port());
    REQUIRE(garbage.write_raw("GET /health HTTP/1.1\r\nX: " + std::string(64 * 1024, 'a')));
    CHECK(garbage.wait_closed());
    CHECK(garbage.received().rfind("HTTP/1.1 431", 0) == 0);
  }
  SECTION("a client that connects and leaves") {
    {
      Client leaves(fixture.server().port());
      REQUIRE(leaves.connected());
      REQUIRE(leaves.write_raw("POST / HT"));
    }
  }
  Client client(fixture.server().port());
  const auto response = client.post(rpc("add", json::array({5, 5})));
  REQUIRE(response);
  CHECK(body_json(*response) == make_rpc_result(1, 10));
}

TEST_CASE("http server closes connections over max_connections", "[rpc][unit]") {
  HttpServerOptions options;
  options.max_connections = 2;
  ServerFixture fixture(options);
  add_test_methods(fixture);
  fixture.start();
  const std::uint16_t port = fixture.server().port();

  auto first = std::make_unique<Client>(port);
  Client second(port);
  REQUIRE(first->post(rpc("add", json::array({1, 1}))));
  REQUIRE(second.post(rpc("add", json::array({1, 1}))));
  CHECK(fixture.server().connection_count() == 2);

  Client third(port);
  CHECK(third.wait_closed());  // accepted, then closed at once
  CHECK(third.received().empty());

  first.reset();
  REQUIRE(eventually([&] { return fixture.server().connection_count() < 2; }));
  Client fourth(port);
  const auto response = fourth.post(rpc("add", json::array({2, 3})));
  REQUIRE(response);
  CHECK(body_json(*response) == make_rpc_result(1, 5));
}

// A raw keep-alive POST, for requests whose answer the test reads later.
std::string raw_post(const std::string& body) {
  return "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
         "application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

TEST_CASE("one client address cannot take every connection slot", "[rpc][unit]") {
  HttpServerOptions options;
  options.max_connections = 4;
  options.max_connections_per_address = 2;
  Counter refused;
  options.connections_refused = &refused;
  ServerFixture fixture(options);
  add_test_methods(fixture);
  fixture.start();
  const std::uint16_t port = fixture.server().port();
  // The attacker opens more connections than the whole server holds, all from 127.0.0.2.
  std::vector<std::unique_ptr<Client>> attack;
  for (int i = 0; i < 6; ++i) {
    attack.push_back(std::make_unique<Client>(port, 5s, "127.0.0.2"));
    REQUIRE(attack.back()->connected());
  }
  std::size_t closed = 0;
  for (auto& client : attack) {
    if (!client->post(rpc("add", json::array({1, 1})))) {
      ++closed;
    }
  }
  CHECK(closed == 4);  // the attack happened: only its share was kept
  CHECK(refused.value() == 4);
  // A wallet from another address still connects and gets answers.
  Client wallet(port);
  const auto response = wallet.post(rpc("add", json::array({2, 3})));
  REQUIRE(response);
  CHECK(body_json(*response) == make_rpc_result(1, 5));
}

TEST_CASE("long-poll waiters are capped per address and a wallet still gets its answer",
          "[rpc][unit]") {
  HttpServerOptions options;
  ServerFixture fixture(options);
  // "wait" parks its reply until the test releases the waiters, as get_blocks does until
  // the next block; at most 4 wait, 2 per client address.
  AddressSlots slots(4, 2);
  std::mutex mutex;
  std::vector<std::pair<RpcReply, AddressSlots::Token>> parked;  // guarded by mutex
  fixture.server().add_method("wait", [&](const json&, RpcReply reply) {
    SlotRefusal why = SlotRefusal::kNone;
    AddressSlots::Token slot = slots.take(reply.caller(), &why);
    if (!slot) {
      reply.error(-32005, why == SlotRefusal::kAddressFull ? "address full" : "all taken");
      return;
    }
    std::lock_guard lock(mutex);
    parked.emplace_back(std::move(reply), std::move(slot));
  });
  fixture.start();
  const std::uint16_t port = fixture.server().port();
  std::vector<std::unique_ptr<Client>> attack;
  for (int i = 0; i < 4; ++i) {
    attack.push_back(std::make_unique<Client>(port, 5s, "127.0.0.2"));
    REQUIRE(attack.back()->write_raw(raw_post(rpc("wait", json::object()))));
  }
  REQUIRE(eventually([&] { return slots.taken() == 2; }));
  std::size_t refused = 0;
  for (auto& client : attack) {
    refused += client->read_until("-32005", 300ms) ? 1 : 0;
  }
  CHECK(refused == 2);  // the attack happened and was held to the address's share
  CHECK(slots.taken_by("127.0.0.2") == 2);
  Client wallet(port);
  REQUIRE(wallet.write_raw(raw_post(rpc("wait", json::object(), 7))));
  REQUIRE(eventually([&] { return slots.taken() == 3; }));
  {
    std::lock_guard lock(mutex);
    for (auto& [reply, slot] : parked) {
      reply.result("block");
    }
    parked.clear();
  }
  CHECK(wallet.read_until(R"("result":"block")"));
  CHECK(slots.taken() == 0);
}

TEST_CASE("methods run where run_handlers puts them and answers render off that thread",
          "[rpc][unit]") {
  // The node's event loop, stood in for by an io_context on a thread of its own.
  asio::io_context loop;
  auto loop_work = asio::make_work_guard(loop);
  std::thread loop_thread([&] { loop.run(); });
  const std::thread::id loop_id = loop_thread.get_id();
  HttpServerOptions options;
  options.run_handlers = [&](std::function<void()> work) { asio::post(loop, std::move(work)); };
  ServerFixture fixture(options, 2);
  std::atomic<bool> method_on_loop{false};
  std::atomic<bool> build_on_loop{true};
  std::atomic<bool> health_on_loop{false};
  fixture.server().add_method("blocks", [&](const json&, RpcReply reply) {
    method_on_loop = std::this_thread::get_id() == loop_id;
    reply.result_from([&] {
      build_on_loop = std::this_thread::get_id() == loop_id;
      return json{{"blocks", json::array({"00ff"})}};
    });
  });
  fixture.server().set_health([&] {
    health_on_loop = std::this_thread::get_id() == loop_id;
    return json{{"status", "ok"}};
  });
  fixture.start();
  Client client(fixture.server().port());
  const auto response = client.post(rpc("blocks", json::object()));
  REQUIRE(response);
  CHECK(body_json(*response) == make_rpc_result(1, json{{"blocks", json::array({"00ff"})}}));
  REQUIRE(client.get("/health"));
  CHECK(method_on_loop);
  CHECK_FALSE(build_on_loop);
  CHECK(health_on_loop);
  loop_work.reset();
  loop.stop();
  loop_thread.join();
}

TEST_CASE("http server closes after HTTP/1.0 or Connection: close", "[rpc][unit]") {
  ServerFixture fixture;
  fixture.start();
  Client client(fixture.server().port());
  Request request{http::verb::get, "/health", 10};
  const auto response = client.send(request);
  REQUIRE(response);
  CHECK(response->result() == http::status::ok);
  CHECK(client.wait_closed());

  Client other(fixture.server().port());
  Request closing{http::verb::get, "/health", 11};
  closing.keep_alive(false);
  REQUIRE(other.send(closing));
  CHECK(other.wait_closed());
}

TEST_CASE("http server start reports bad or taken addresses", "[rpc][unit]") {
  asio::io_context io_context;
  for (const std::string address :
       {"nonsense", "127.0.0.1", "127.0.0.1:", "127.0.0.1:99999", "127.0.0.1:80x", "256.0.0.1:0",
        "example.com:0", ":0", "[::1:0"}) {
    CAPTURE(address);
    HttpServerOptions options;
    options.listen_address = address;
    HttpServer server(io_context, options);
    const synod::Status status = server.start();
    REQUIRE_FALSE(status.ok());
    CHECK(status.message().find(address) != std::string::npos);
  }

  HttpServerOptions localhost;
  localhost.listen_address = "localhost:0";
  HttpServer first(io_context, localhost);
  REQUIRE(first.start().ok());
  CHECK(first.port() != 0);
  HttpServerOptions taken;
  taken.listen_address = "127.0.0.1:" + std::to_string(first.port());
  HttpServer second(io_context, taken);
  const synod::Status status = second.start();
  REQUIRE_FALSE(status.ok());
  CHECK(status.message().find("bind") != std::string::npos);
}

TEST_CASE("http server stop closes open connections", "[rpc][unit]") {
  ServerFixture fixture;
  add_test_methods(fixture);
  fixture.start();
  Client client(fixture.server().port());
  REQUIRE(client.post(rpc("add", json::array({1, 1}))));
  fixture.server().stop();
  CHECK(client.wait_closed());
  REQUIRE(eventually([&] { return fixture.server().connection_count() == 0; }));
  Client late(fixture.server().port());
  CHECK((!late.connected() || late.wait_closed()));
}

TEST_CASE("a get_blocks answer decodes up to its first bad entry and names the problem", "[rpc]") {
  synod::chain::Genesis genesis;
  genesis.chain_id = "rpc-test";
  synod::chain::Block first = synod::chain::make_genesis_block(genesis);
  synod::chain::Block second = first;
  second.header.height = 1;
  second.header.prev_hash = first.hash();
  auto hex_of = [](const synod::chain::Block& block) {
    return synod::crypto::to_hex(block.encode());
  };

  auto whole =
      synod::client::decode_blocks_answer({{"blocks", {hex_of(first), hex_of(second)}}}, 2);
  CHECK(whole.problem.empty());
  REQUIRE(whole.blocks.size() == 2);
  CHECK(whole.blocks[1] == second);

  auto cut =
      synod::client::decode_blocks_answer({{"blocks", {hex_of(first), "zz", hex_of(second)}}}, 3);
  CHECK(cut.blocks.size() == 1);
  CHECK_FALSE(cut.problem.empty());
  auto truncated = hex_of(second);
  truncated.resize(truncated.size() - 2);
  CHECK_FALSE(synod::client::decode_blocks_answer({{"blocks", {truncated}}}, 1).problem.empty());
  CHECK_FALSE(synod::client::decode_blocks_answer({{"blocks", {7}}}, 1).problem.empty());
  CHECK_FALSE(synod::client::decode_blocks_answer({{"head_height", 3}}, 1).problem.empty());
  CHECK_FALSE(synod::client::decode_blocks_answer(nlohmann::json::array(), 1).problem.empty());
  auto too_many =
      synod::client::decode_blocks_answer({{"blocks", {hex_of(first), hex_of(second)}}}, 1);
  CHECK(too_many.blocks.empty());
  CHECK_FALSE(too_many.problem.empty());
}
