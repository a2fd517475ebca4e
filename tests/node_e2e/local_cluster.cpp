#include "tests/node_e2e/local_cluster.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <stdexcept>
#include <thread>

#include "chain/transaction.h"
#include "client/json_fields.h"
#include "client/process.h"
#include "crypto/hex.h"
#include "crypto/key_file.h"

namespace synod::e2e {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace fs = std::filesystem;
using nlohmann::json;
using tcp = asio::ip::tcp;

RpcResult rpc_call(std::uint16_t port, const std::string& method, const json& params,
                   int timeout_ms) {
  RpcResult result;
  try {
    asio::io_context io;
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::milliseconds(timeout_ms));
    stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    http::request<http::string_body> request{http::verb::post, "/", 11};
    request.set(http::field::host, "127.0.0.1");
    request.set(http::field::content_type, "application/json");
    request.body() =
        json{{"jsonrpc", "2.0"}, {"id", 1}, {"method", method}, {"params", params}}.dump();
    request.prepare_payload();
    http::write(stream, request);
    beast::flat_buffer buffer;
    http::response<http::string_body> response;
    http::read(stream, buffer, response);
    result.transport_ok = true;
    result.http_status = static_cast<int>(response.result_int());
    result.body = json::parse(response.body(), nullptr, false);
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  } catch (const std::exception&) {
    result.transport_ok = false;
  }
  return result;
}

std::string http_raw(std::uint16_t port, const std::string& request, int timeout_ms) {
  try {
    asio::io_context io;
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::milliseconds(timeout_ms));
    stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    asio::write(stream, asio::buffer(request));
    std::string out;
    char chunk[4096];
    beast::error_code error;
    for (;;) {
      std::size_t n = stream.read_some(asio::buffer(chunk), error);
      out.append(chunk, n);
      if (error || out.find("\r\n\r\n") != std::string::npos)
        break;
    }
    return out;
  } catch (const std::exception&) {
    return {};
  }
}

bool send_raw(std::uint16_t port, const std::string& bytes) {
  try {
    asio::io_context io;
    tcp::socket socket(io);
    socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    asio::write(socket, asio::buffer(bytes));
    beast::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

std::string http_get(std::uint16_t port, const std::string& target, int timeout_ms) {
  try {
    asio::io_context io;
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::milliseconds(timeout_ms));
    stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    http::request<http::empty_body> request{http::verb::get, target, 11};
    request.set(http::field::host, "127.0.0.1");
    http::write(stream, request);
    beast::flat_buffer buffer;
    http::response<http::string_body> response;
    http::read(stream, buffer, response);
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    return response.body();
  } catch (const std::exception&) {
    return {};
  }
}

// Below Linux's range for the local ports of outgoing connections (32768 and up by
// default), unlike a port the kernel picks: a client connection (the tests' own RPC calls
// among them) cannot then take a stopped node's port before the node restarts on it.
std::uint16_t free_port() {
  static std::mt19937 pick(std::random_device{}());
  std::uniform_int_distribution<int> range(10000, 31999);
  asio::io_context io;
  for (int attempt = 0; attempt < 1000; ++attempt) {
    const auto port = static_cast<std::uint16_t>(range(pick));
    boost::system::error_code error;
    tcp::acceptor acceptor(io);
    acceptor.open(tcp::v4(), error);
    if (!error)
      acceptor.bind(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), error);
    if (!error)
      return port;
  }
  throw std::runtime_error("no free port in 10000-31999");
}

namespace {

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
}

crypto::KeyPair seeded_key(std::uint8_t tag, std::size_t index) {
  crypto::Seed seed;
  seed.data[0] = tag;
  seed.data[1] = static_cast<std::uint8_t>(index);
  seed.data[2] = static_cast<std::uint8_t>(index >> 8);
  return crypto::KeyPair::from_seed(seed);
}

}  // namespace

LocalCluster::LocalCluster(std::size_t n, std::size_t accounts, std::uint64_t balance) {
  std::string pattern = (fs::temp_directory_path() / "synod-e2e-XXXXXX").string();
  dir_ = ::mkdtemp(pattern.data());
  genesis_.chain_id = "synod-e2e";
  genesis_.pbft.view_change_timeout_ms = 1000;
  genesis_.pbft.empty_block_interval_ms = 500;
  std::vector<chain::ValidatorInfo> validators;
  std::vector<crypto::KeyPair> keys;
  for (std::size_t i = 0; i < n; ++i) {
    NodeHandle node;
    node.home = (fs::path(dir_) / ("node-" + std::to_string(i))).string();
    node.peer_port = distinct_port();
    node.rpc_port = distinct_port();
    nodes_.push_back(node);
    keys.push_back(seeded_key(1, i));
    validators.push_back({"node-" + std::to_string(i), keys.back().public_key(),
                          "127.0.0.1:" + std::to_string(node.peer_port), 1});
  }
  genesis_.validators = chain::ValidatorSet(validators);
  for (std::size_t i = 0; i < accounts; ++i) {
    accounts_.push_back(seeded_key(2, i));
    genesis_.accounts.push_back({chain::address_of(accounts_.back().public_key()), balance, 0});
    nonces_.push_back(0);
  }
  std::string genesis_json = chain::genesis_to_json(genesis_);
  for (std::size_t i = 0; i < n; ++i) {
    fs::create_directories(nodes_[i].home);
    write_text(fs::path(nodes_[i].home) / "genesis.json", genesis_json);
    json config = {{"rpc_listen", "127.0.0.1:" + std::to_string(nodes_[i].rpc_port)},
                   {"verify_threads", 1},
                   {"summary_interval_blocks", 50}};
    write_text(fs::path(nodes_[i].home) / "config.json", config.dump(2));
    (void)crypto::save_key_file((fs::path(nodes_[i].home) / "node_key.json").string(), keys[i]);
  }
}

std::uint16_t LocalCluster::distinct_port() {
  for (;;) {
    std::uint16_t port = free_port();
    if (ports_taken_.insert(port).second)
      return port;
  }
}

std::size_t LocalCluster::add_full_node(const std::vector<std::string>& upstreams) {
  std::size_t i = nodes_.size();
  NodeHandle node;
  node.home = (fs::path(dir_) / ("node-" + std::to_string(i))).string();
  node.peer_port = distinct_port();
  node.rpc_port = distinct_port();
  nodes_.push_back(node);
  fs::create_directories(node.home);
  write_text(fs::path(node.home) / "genesis.json", chain::genesis_to_json(genesis_));
  json config = {{"rpc_listen", "127.0.0.1:" + std::to_string(node.rpc_port)},
                 {"peer_listen", "127.0.0.1:" + std::to_string(node.peer_port)},
                 {"verify_threads", 1},
                 {"summary_interval_blocks", 50},
                 {"follow_poll_ms", 100}};
  if (!upstreams.empty())
    config["upstreams"] = upstreams;
  write_text(fs::path(node.home) / "config.json", config.dump(2));
  (void)crypto::save_key_file((fs::path(node.home) / "node_key.json").string(), seeded_key(3, i));
  return i;
}

void LocalCluster::set_config(std::size_t i, const json& fields) {
  fs::path path = fs::path(nodes_.at(i).home) / "config.json";
  std::ifstream in(path);
  json config = json::parse(in, nullptr, false);
  in.close();
  for (const auto& [key, value] : fields.items())
    config[key] = value;
  write_text(path, config.dump(2));
}

std::string LocalCluster::rpc_endpoint(std::size_t i) const {
  return "127.0.0.1:" + std::to_string(nodes_.at(i).rpc_port);
}

LocalCluster::~LocalCluster() {
  for (std::size_t i = 0; i < nodes_.size(); ++i)
    kill(i);
  std::error_code ignored;
  if (std::getenv("SYNOD_E2E_KEEP") == nullptr)
    fs::remove_all(dir_, ignored);
}

void LocalCluster::start(std::size_t i, const std::string& byzantine) {
  NodeHandle& node = nodes_.at(i);
  client::SpawnOptions spawn;
  spawn.argv = {SYNOD_NODE_BINARY, "--home", node.home};
  if (!byzantine.empty()) {
    spawn.argv.push_back("--byzantine");
    spawn.argv.push_back(byzantine);
  }
  spawn.log_file = (fs::path(node.home) / "node.log").string();
  // Our child (detach = false): kill(), terminate() and wait_exit() reap it.
  auto started = client::spawn_process(spawn);
  if (started.ok())
    node.pid = started.pid;
}

void LocalCluster::start_all() {
  for (std::size_t i = 0; i < nodes_.size(); ++i)
    start(i);
}

void LocalCluster::kill(std::size_t i) {
  NodeHandle& node = nodes_.at(i);
  if (node.pid <= 0)
    return;
  ::kill(node.pid, SIGKILL);
  ::waitpid(node.pid, nullptr, 0);
  node.pid = -1;
}

bool LocalCluster::terminate(std::size_t i) {
  NodeHandle& node = nodes_.at(i);
  if (node.pid <= 0)
    return false;
  ::kill(node.pid, SIGTERM);
  for (int waited = 0; waited < 200; ++waited) {
    int status = 0;
    if (::waitpid(node.pid, &status, WNOHANG) == node.pid) {
      node.pid = -1;
      return WIFEXITED(status) && WEXITSTATUS(status) == 0;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill(i);
  return false;
}

bool LocalCluster::running(std::size_t i) const {
  const NodeHandle& node = nodes_.at(i);
  return node.pid > 0 && ::waitpid(node.pid, nullptr, WNOHANG) == 0;
}

std::optional<int> LocalCluster::wait_exit(std::size_t i, int timeout_ms) {
  NodeHandle& node = nodes_.at(i);
  if (node.pid <= 0)
    return std::nullopt;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(node.pid, &status, WNOHANG) == node.pid) {
      node.pid = -1;
      if (WIFEXITED(status))
        return WEXITSTATUS(status);
      return 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return std::nullopt;
}

std::uint64_t LocalCluster::height(std::size_t i) {
  auto answer = status(i);
  return answer ? client::unsigned_field(*answer, "height") : 0;
}

std::optional<json> LocalCluster::status(std::size_t i) {
  auto result = rpc_call(nodes_.at(i).rpc_port, "status", json::object(), 1000);
  if (!result.transport_ok || !result.body.contains("result"))
    return std::nullopt;
  return result.body["result"];
}

bool LocalCluster::wait_for(std::size_t i, const std::function<bool(const json&)>& pred,
                            int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto current = status(i); current && pred(*current))
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

bool LocalCluster::wait_healthy_all(int timeout_ms) {
  std::size_t validators = genesis_.validators.size();
  for (std::size_t i = 0; i < validators; ++i) {
    if (!wait_for(
            i,
            [&](const json& s) {
              return client::unsigned_field(s, "peers_connected") == validators - 1;
            },
            timeout_ms)) {
      return false;
    }
  }
  return true;
}

std::uint64_t LocalCluster::next_nonce(std::size_t account) {
  return nonces_.at(account);
}

std::pair<bool, std::string> LocalCluster::transfer(std::size_t node, std::size_t from,
                                                    std::size_t to, std::uint64_t amount,
                                                    std::uint64_t fee) {
  auto tx = chain::make_transfer(accounts_.at(from), chain::SigningDomain::of(genesis_),
                                 chain::address_of(accounts_.at(to).public_key()), amount, fee,
                                 nonces_.at(from));
  auto result =
      rpc_call(nodes_.at(node).rpc_port, "submit_tx", json{{"tx", crypto::to_hex(tx.encode())}});
  if (!result.transport_ok)
    return {false, "unreachable"};
  if (result.body.contains("error"))
    return {false, result.body["error"].dump()};
  ++nonces_.at(from);
  return {true, result.body["result"]["hash"].get<std::string>()};
}

std::string LocalCluster::log_tail(std::size_t i, std::size_t lines) const {
  std::string out;
  for (const auto& line :
       client::tail_lines((fs::path(nodes_.at(i).home) / "node.log").string(), lines))
    out += line + "\n";
  return out;
}

}  // namespace synod::e2e
