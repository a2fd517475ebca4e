#include "testnet/process.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "client/process.h"
#include "testnet/netns.h"
#include "wallet/cli_support.h"

namespace synod::testnet {

namespace fs = std::filesystem;

namespace {

// Fields of /proc/PID/stat after the command name (which may contain spaces).
std::vector<std::string> stat_fields(pid_t pid) {
  auto text = cli::read_file("/proc/" + std::to_string(pid) + "/stat");
  if (!text)
    return {};
  auto close = text->rfind(')');
  if (close == std::string::npos)
    return {};
  std::istringstream rest(text->substr(close + 1));
  std::vector<std::string> fields;
  std::string field;
  while (rest >> field)
    fields.push_back(field);
  return fields;  // fields[0] is the state (field 3 of stat)
}

// Whether `pid` is a zombie whose other threads still run. A process whose main thread has
// exited shows "Z" while its other threads wind down, and those still hold its sockets: a
// restart must wait for them, or the new process finds its ports in use. (A pid reused by
// another process is not a zombie, so this never waits on a stranger.)
bool winding_down(pid_t pid) {
  const auto fields = stat_fields(pid);
  if (fields.empty() || fields[0] != "Z")
    return false;
  std::error_code ec;
  std::size_t threads = 0;
  for (fs::directory_iterator it("/proc/" + std::to_string(pid) + "/task", ec), end;
       !ec && it != end; it.increment(ec))
    ++threads;
  return threads > 1;
}

bool is_node_of(pid_t pid, const NodeInfo& node) {
  auto cmdline = cli::read_file("/proc/" + std::to_string(pid) + "/cmdline");
  if (!cmdline)
    return false;
  std::vector<std::string> args;
  std::string current;
  for (char c : *cmdline) {
    if (c == '\0') {
      args.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  // The node may have been started through a launcher ("ip netns exec NS synod-node ...",
  // see netns_launcher) that has not yet replaced itself with synod-node.
  std::size_t program = 0;
  while (program < args.size() && program < 5 &&
         args[program].find("synod-node") == std::string::npos)
    ++program;
  if (program >= args.size() || args[program].find("synod-node") == std::string::npos)
    return false;
  std::error_code ec;
  for (std::size_t i = program + 1; i + 1 < args.size(); ++i) {
    if (args[i] != "--home")
      continue;
    // A relative home is relative to the node's working directory, not to ours.
    fs::path home = args[i + 1];
    if (home.is_relative()) {
      fs::path cwd = fs::read_symlink("/proc/" + std::to_string(pid) + "/cwd", ec);
      if (ec)
        return false;
      home = cwd / home;
    }
    return fs::equivalent(home, node.home, ec);
  }
  return false;
}

std::optional<pid_t> read_pid_file(const std::string& path) {
  auto text = cli::read_file(path);
  if (!text)
    return std::nullopt;
  auto pid = cli::parse_unsigned(text->substr(0, text->find_first_of("\r\n")), "pid");
  if (!pid || *pid == 0 || *pid > 4'194'304)
    return std::nullopt;
  return static_cast<pid_t>(*pid);
}

}  // namespace

const char* to_string(ProcessState state) {
  switch (state) {
    case ProcessState::kDown:
      return "down";
    case ProcessState::kRunning:
      return "up";
    case ProcessState::kPaused:
      return "paused";
  }
  return "unknown";
}

NodeProcess find_process(const NodeInfo& node) {
  auto pid = read_pid_file(node.pid_file());
  if (!pid || !is_node_of(*pid, node))
    return {};
  auto fields = stat_fields(*pid);
  if (fields.empty() || fields[0] == "Z" || fields[0] == "X")
    return {};
  return {fields[0] == "T" || fields[0] == "t" ? ProcessState::kPaused : ProcessState::kRunning,
          *pid};
}

Result<std::string> node_binary() {
  if (const char* env = std::getenv("SYNOD_NODE_BIN"); env && *env) {
    if (access(env, X_OK) != 0)
      return make_error(std::string("SYNOD_NODE_BIN=") + env + " is not an executable");
    return std::string(env);
  }
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec)
    return make_error("cannot locate this executable: " + ec.message());
  fs::path binary = self.parent_path() / "synod-node";
  if (access(binary.c_str(), X_OK) != 0) {
    return make_error("synod-node not found next to synod-testnet (" + binary.string() +
                      "); build it, or set SYNOD_NODE_BIN");
  }
  return binary.string();
}

Result<pid_t> start_node(const std::string& binary, const NodeInfo& node,
                         const std::string& byzantine, const std::vector<std::string>& extra_args) {
  // An absolute home, so that the process is recognised from any directory.
  std::error_code ec;
  fs::path home = fs::absolute(node.home, ec);
  client::SpawnOptions spawn;
  spawn.argv = netns_launcher(node);  // empty unless the node runs in a namespace
  for (const std::string& arg : {binary, std::string("--home"), ec ? node.home : home.string()})
    spawn.argv.push_back(arg);
  if (!byzantine.empty()) {
    spawn.argv.push_back("--byzantine");
    spawn.argv.push_back(byzantine);
  }
  spawn.argv.insert(spawn.argv.end(), extra_args.begin(), extra_args.end());
  spawn.log_file = node.log_file();
  spawn.detach = true;  // the node outlives this command
  auto started = client::spawn_process(spawn);
  switch (started.failure) {
    case client::SpawnFailure::kNone:
      break;
    case client::SpawnFailure::kSystem:
      return make_error(started.message);
    case client::SpawnFailure::kNoProcess:
      return make_error("could not start " + node.name + ": " + started.message);
    case client::SpawnFailure::kNotStarted:
      return make_error("could not start " + node.name + " (" + binary + "): " + started.message);
  }
  pid_t pid = started.pid;
  if (!node.netns.empty())
    wait_launched(pid, binary);
  std::ofstream pid_file(node.pid_file(), std::ios::trunc);
  pid_file << pid << "\n";
  pid_file.close();
  if (!pid_file)
    return make_error("cannot write " + node.pid_file());
  return pid;
}

Status signal_node(const NodeInfo& node, int signal) {
  auto process = find_process(node);
  if (process.state == ProcessState::kDown)
    return make_error(node.name + " is not running");
  if (signal == SIGTERM)
    kill(process.pid, SIGCONT);
  if (kill(process.pid, signal) != 0)
    return make_error("cannot signal " + node.name + ": " + std::strerror(errno));
  return Status::success();
}

Status stop_node(const NodeInfo& node, std::chrono::milliseconds grace,
                 const std::function<void()>& waiting) {
  auto process = find_process(node);
  if (process.state == ProcessState::kDown) {
    std::error_code ec;
    fs::remove(node.pid_file(), ec);
    return Status::success();
  }
  kill(process.pid, SIGCONT);
  kill(process.pid, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + grace;
  bool killed = false;
  for (;;) {
    if (find_process(node).state == ProcessState::kDown && !winding_down(process.pid))
      break;
    if (!killed && std::chrono::steady_clock::now() >= deadline) {
      kill(process.pid, SIGKILL);
      killed = true;
      deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    } else if (killed && std::chrono::steady_clock::now() >= deadline) {
      return make_error(node.name + " (pid " + std::to_string(process.pid) +
                        ") did not exit even after SIGKILL");
    }
    if (waiting)
      waiting();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::error_code ec;
  fs::remove(node.pid_file(), ec);
  return Status::success();
}

bool port_free(std::uint32_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int reuse = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof reuse);
  bool free = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  close(fd);
  return free;
}

std::optional<ProcessSample> sample_process(pid_t pid) {
  auto fields = stat_fields(pid);
  // After the command name: state(0) ... utime is stat field 14 -> index 11, stime 12,
  // rss (pages) field 24 -> index 21.
  if (fields.size() < 22)
    return std::nullopt;
  static const long ticks = sysconf(_SC_CLK_TCK);
  static const long page = sysconf(_SC_PAGESIZE);
  ProcessSample sample;
  sample.cpu_seconds = static_cast<double>(std::strtoull(fields[11].c_str(), nullptr, 10) +
                                           std::strtoull(fields[12].c_str(), nullptr, 10)) /
                       static_cast<double>(ticks);
  sample.rss_bytes =
      std::strtoull(fields[21].c_str(), nullptr, 10) * static_cast<std::uint64_t>(page);
  return sample;
}

}  // namespace synod::testnet
