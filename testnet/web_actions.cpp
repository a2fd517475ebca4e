#include "testnet/web_actions.h"

#include <sys/wait.h>

#include <unistd.h>
#include <csignal>

#include <filesystem>
#include <thread>

#include "client/process.h"
#include "testnet/cluster.h"

namespace synod::testnet {

using nlohmann::json;

namespace {

std::string self_binary() {
  std::error_code error;
  auto path = std::filesystem::read_symlink("/proc/self/exe", error);
  return error ? std::string("synod-testnet") : path.string();
}

std::string joined_tail(const std::string& log) {
  std::string out;
  for (const auto& line : client::tail_lines(log, 14))
    out += line + "\n";
  return out;
}

}  // namespace

WebActions::WebActions(Testnet testnet, WebHub& hub) : testnet_(std::move(testnet)), hub_(hub) {}

Result<std::string> WebActions::node_command(const std::string& action, std::size_t index) {
  if (index >= testnet_.nodes.size())
    return make_error("no node " + std::to_string(index));
  if (action != "kill" && action != "pause" && action != "resume" && action != "restart")
    return make_error("unknown action " + action + " (kill, pause, resume or restart)");
  const std::string& name = testnet_.nodes[index].name;
  return run_command(action + " " + name, {action, name}, false);
}

Result<std::string> WebActions::scenario(const std::string& name) {
  return run_command("scenario " + name, {"scenario", name}, true);
}

Result<std::string> WebActions::run_command(const std::string& what, std::vector<std::string> args,
                                            bool is_scenario) {
  std::string id;
  {
    std::lock_guard lock(mutex_);
    if (running_ >= kRunningMax)
      return make_error("busy: " + std::to_string(kRunningMax) + " commands already run");
    if (is_scenario && scenario_running_)
      return make_error("a scenario is already running");
    ++running_;
    scenario_running_ = scenario_running_ || is_scenario;
    id = "action-" + std::to_string(next_id_++);
  }
  const std::string folder = testnet_.dir + "/web";
  std::error_code ignored;
  std::filesystem::create_directories(folder, ignored);
  const std::string log = folder + "/" + id + ".log";
  std::filesystem::remove(log, ignored);
  std::vector<std::string> argv = {self_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), {"--dir", testnet_.dir});
  // cmd_web blocks SIGINT and SIGTERM in every thread (it takes them with sigwait), and a
  // child inherits the mask through exec: unblock them in this thread while it forks, so
  // the command (and any node it starts) can be stopped.
  sigset_t stop_signals;
  sigset_t saved;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_UNBLOCK, &stop_signals, &saved);
  auto spawned = client::spawn_process({argv, log, false});
  pthread_sigmask(SIG_SETMASK, &saved, nullptr);
  if (!spawned.ok()) {
    finish(id, what, -1, log, is_scenario);
    return make_error("could not start " + what + ": " + spawned.message);
  }
  hub_.log_action({{"id", id}, {"what", what}, {"state", "running"}, {"output", ""}});
  const int pid = spawned.pid;
  {
    std::lock_guard lock(mutex_);
    pids_.insert(pid);
  }
  std::thread([this, id, what, pid, log, is_scenario] {
    finish(id, what, pid, log, is_scenario);
  }).detach();
  return id;
}

// Waits for the command (on its own thread), then logs how it ended and what it printed.
void WebActions::finish(const std::string& id, const std::string& what, int pid,
                        const std::string& log, bool is_scenario) {
  int status = -1;
  if (pid > 0)
    ::waitpid(pid, &status, 0);
  const bool ok = pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (pid > 0) {
    hub_.log_action({{"id", id},
                     {"what", what},
                     {"state", ok ? "done" : "failed"},
                     {"output", joined_tail(log)}});
  }
  std::error_code ignored;
  std::filesystem::remove(log, ignored);
  std::lock_guard lock(mutex_);
  pids_.erase(pid);
  --running_;
  if (is_scenario)
    scenario_running_ = false;
}

void WebActions::stop_running() {
  std::lock_guard lock(mutex_);
  for (int pid : pids_)
    ::kill(pid, SIGTERM);
}

Result<std::string> WebActions::transfer(std::size_t via) {
  if (via >= testnet_.nodes.size())
    return make_error("no node " + std::to_string(via));
  Cluster cluster(testnet_);
  auto hashes = cluster.submit_transfers(via, 1);
  if (!hashes)
    return hashes.error();
  const std::string hash = hashes->front();
  hub_.log_transfer({{"id", hash},
                     {"hash", hash},
                     {"via", testnet_.nodes[via].name},
                     {"what", "account-0 pays account-1"},
                     {"status", "pending"}});
  return hash;
}

Result<json> WebActions::block(const std::string& hash) {
  Cluster cluster(testnet_);
  std::string last_error = "no node is running";
  for (std::size_t index : cluster.running()) {
    auto answer = cluster.call(index, "get_block", {{"hash", hash}});
    if (answer)
      return *answer;
    last_error = answer.message();
  }
  return make_error(last_error);
}

}  // namespace synod::testnet
