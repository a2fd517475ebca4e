#include "testnet/netns.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "client/process.h"
#include "crypto/hex.h"
#include "crypto/sha256.h"
#include "wallet/cli_support.h"

namespace synod::testnet {

namespace fs = std::filesystem;

namespace {

constexpr const char* kNetnsRun = "/run/netns";

// Six hex digits of SHA-256 of the testnet directory's absolute path.
std::string dir_tag(const std::string& dir) {
  std::error_code ec;
  fs::path path = fs::weakly_canonical(fs::absolute(dir, ec), ec);
  std::string text = path.string();
  auto hash =
      crypto::sha256(ByteView(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
  return crypto::to_hex(hash.view()).substr(0, 6);
}

std::vector<std::string> namespaces_with_prefix(const std::string& prefix) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(kNetnsRun, ec)) {
    std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) == 0)
      out.push_back(name);
  }
  return out;
}

std::string namespace_name(const std::string& dir, const NodeInfo& node) {
  return netns_prefix(dir) + node.name;
}

std::optional<std::uint32_t> parse_ipv4(const std::string& text) {
  in_addr parsed{};
  if (inet_pton(AF_INET, text.c_str(), &parsed) != 1)
    return std::nullopt;
  return ntohl(parsed.s_addr);
}

// An address of this machine's (root namespace's) interfaces inside `subnet` (/24), if any.
std::optional<std::string> subnet_in_use(std::uint32_t subnet, const std::string& own_device) {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0)
    return std::nullopt;
  std::optional<std::string> found;
  for (ifaddrs* item = list; item != nullptr && !found; item = item->ifa_next) {
    if (item->ifa_addr == nullptr || item->ifa_addr->sa_family != AF_INET)
      continue;
    if (own_device == item->ifa_name)
      continue;
    auto* address = reinterpret_cast<sockaddr_in*>(item->ifa_addr);
    std::uint32_t value = ntohl(address->sin_addr.s_addr);
    if ((value & 0xFFFFFF00u) == subnet)
      found = std::string(item->ifa_name) + " has " + ipv4_text(value);
  }
  freeifaddrs(list);
  return found;
}

}  // namespace

Result<std::string> ip_binary() {
  for (const char* path : {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"}) {
    if (access(path, X_OK) == 0)
      return std::string(path);
  }
  return make_error("the ip tool (iproute2) is not installed");
}

Status netns_available() {
  if (geteuid() != 0)
    return make_error("network namespaces need root: run synod-testnet up --netns as root");
  if (auto ip = ip_binary(); !ip)
    return make_error("network namespaces need " + ip.message());
  int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
  if (fd < 0)
    return make_error(
        "network namespaces need /dev/net/tun for their links, which cannot be "
        "opened here");
  close(fd);
  std::error_code ec;
  fs::create_directories(kNetnsRun, ec);
  return Status::success();
}

Status run_ip(const std::string& dir, const std::vector<std::string>& args) {
  auto ip = ip_binary();
  if (!ip)
    return ip.error();
  std::error_code ec;
  fs::create_directories(netns_dir(dir), ec);
  std::string log = netns_dir(dir) + "/commands.log";
  std::string line = "$ ip";
  for (const auto& arg : args)
    line += " " + arg;
  {
    std::ofstream out(log, std::ios::app);
    out << line << "\n";
  }
  client::SpawnOptions spawn;
  spawn.argv = {*ip};
  spawn.argv.insert(spawn.argv.end(), args.begin(), args.end());
  spawn.log_file = log;
  auto started = client::spawn_process(spawn);
  if (!started.ok())
    return make_error("cannot run ip: " + started.message);
  int status = 0;
  while (waitpid(started.pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    return Status::success();
  auto tail = client::tail_lines(log, 1);
  return make_error(line.substr(2) + " failed" + (tail.empty() ? "" : ": " + tail.back()));
}

std::string netns_prefix(const std::string& dir) {
  return "synod-" + dir_tag(dir) + "-";
}

std::string tun_name(const std::string& dir, std::size_t node) {
  return "sy" + dir_tag(dir) + "n" + std::to_string(node);
}

std::string host_tun_name(const std::string& dir) {
  return "sy" + dir_tag(dir) + "r";
}

std::string netns_dir(const std::string& dir) {
  return (fs::path(dir) / "netns").string();
}

void attach_namespaces(Testnet& testnet) {
  std::error_code ec;
  if (!fs::is_directory(kNetnsRun, ec))
    return;
  for (auto& node : testnet.nodes) {
    std::string name = namespace_name(testnet.dir, node);
    if (fs::exists(fs::path(kNetnsRun) / name, ec))
      node.netns = name;
  }
}

std::vector<std::string> netns_launcher(const NodeInfo& node) {
  if (node.netns.empty())
    return {};
  auto ip = ip_binary();
  return {ip ? *ip : "/usr/sbin/ip", "netns", "exec", node.netns};
}

void wait_launched(pid_t pid, const std::string& program) {
  std::string proc = "/proc/" + std::to_string(pid);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    std::error_code ec;
    fs::path exe = fs::read_symlink(proc + "/exe", ec);
    if (!fs::exists(proc, ec) || exe.filename() == fs::path(program).filename())
      return;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

std::string ipv4_text(std::uint32_t address) {
  return std::to_string(address >> 24) + "." + std::to_string((address >> 16) & 0xFF) + "." +
         std::to_string((address >> 8) & 0xFF) + "." + std::to_string(address & 0xFF);
}

Result<NetworkPlan> plan_network(const Testnet& testnet) {
  NetworkPlan plan;
  std::set<std::uint32_t> used;
  const std::string hint =
      " (make the testnet with synod-testnet init --hosts FILE, one address "
      "per node, all in one /24 such as 10.77.3.1 to 10.77.3.4)";
  for (const auto& node : testnet.nodes) {
    auto address = parse_ipv4(node.rpc.host);
    if (!address)
      return make_error("--netns: " + node.name + " listens on " + node.rpc.host +
                        ", not an IPv4 address" + hint);
    std::uint32_t host_part = *address & 0xFF;
    if (!plan.node_addresses.empty() &&
        (*address & 0xFFFFFF00u) != (plan.node_addresses[0] & 0xFFFFFF00u))
      return make_error("--netns: " + node.name + "'s address " + node.rpc.host +
                        " is not in the /24 of node-0's" + hint);
    if (host_part == 0 || host_part == 255 || (*address >> 24) == 127)
      return make_error("--netns: " + node.name + "'s address " + node.rpc.host +
                        " cannot be a host on its own link" + hint);
    if (!used.insert(*address).second)
      return make_error("--netns: two nodes share the address " + node.rpc.host +
                        "; each node needs its own" + hint);
    if (node.is_validator() && node.peer_address.rfind(node.rpc.host + ":", 0) != 0)
      return make_error("--netns: " + node.name + "'s peer address " + node.peer_address +
                        " is not on its RPC host " + node.rpc.host);
    plan.node_addresses.push_back(*address);
  }
  std::uint32_t subnet = plan.node_addresses.at(0) & 0xFFFFFF00u;
  for (std::uint32_t host_part = 254; host_part >= 1 && plan.host_address == 0; --host_part) {
    if (!used.count(subnet | host_part))
      plan.host_address = subnet | host_part;
  }
  plan.subnet = ipv4_text(subnet) + "/24";
  if (auto clash = subnet_in_use(subnet, host_tun_name(testnet.dir)))
    return make_error("--netns: the subnet " + plan.subnet + " is in use on this machine (" +
                      *clash + "); give the testnet addresses in another /24");
  return plan;
}

Status create_namespaces(const Testnet& testnet) {
  std::error_code ec;
  fs::create_directories(netns_dir(testnet.dir), ec);
  for (const auto& node : testnet.nodes) {
    std::string name = namespace_name(testnet.dir, node);
    Status made = run_ip(testnet.dir, {"netns", "add", name});
    if (made)
      made = run_ip(testnet.dir, {"-n", name, "link", "set", "lo", "up"});
    if (!made) {
      (void)remove_network(testnet.dir);
      return made;
    }
  }
  return Status::success();
}

std::optional<pid_t> find_emulator(const std::string& dir) {
  auto text = cli::read_file(netns_dir(dir) + "/links.pid");
  if (!text)
    return std::nullopt;
  auto pid = cli::parse_unsigned(text->substr(0, text->find('\n')), "pid");
  if (!pid || *pid == 0 || *pid > 4'194'304)
    return std::nullopt;
  auto cmdline = cli::read_file("/proc/" + std::to_string(*pid) + "/cmdline");
  // The emulator's command line names this testnet's link prefix; a reused pid does not.
  if (!cmdline || cmdline->find("links-daemon") == std::string::npos ||
      cmdline->find(host_tun_name(dir)) == std::string::npos)
    return std::nullopt;
  return static_cast<pid_t>(*pid);
}

bool network_exists(const std::string& dir) {
  return find_emulator(dir).has_value() || !namespaces_with_prefix(netns_prefix(dir)).empty();
}

Result<std::string> remove_network(const std::string& dir) {
  std::string removed;
  if (auto pid = find_emulator(dir)) {
    kill(*pid, SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (find_emulator(dir) && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (find_emulator(dir)) {
      kill(*pid, SIGKILL);
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    removed += "the link emulator (pid " + std::to_string(*pid) + ")";
  }
  std::error_code ec;
  fs::remove(netns_dir(dir) + "/links.pid", ec);
  auto names = namespaces_with_prefix(netns_prefix(dir));
  for (const auto& name : names) {
    if (auto status = run_ip(dir, {"netns", "delete", name}); !status)
      return status.error();
  }
  if (!names.empty())
    removed += std::string(removed.empty() ? "" : " and ") + std::to_string(names.size()) +
               " network namespaces (" + netns_prefix(dir) + "*)";
  return removed;
}

}  // namespace synod::testnet
