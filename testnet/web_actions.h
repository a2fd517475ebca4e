// What the web page can do to the testnet: kill, pause, resume or restart a node, run a
// scenario, send a transfer, and look up a block. Node commands and scenarios run as
// `synod-testnet CMD --dir D ...` child processes (the very commands of control.cpp and
// scenarios.cpp), in the background; their outcome lands in the hub's action log.
//
// Bounded: at most kRunningMax commands at once, and one scenario.
// Thread safety: every member may be called from any thread.
#pragma once

#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "testnet/layout.h"
#include "testnet/web_hub.h"

namespace synod::testnet {

class WebActions {
 public:
  static constexpr std::size_t kRunningMax = 4;

  WebActions(Testnet testnet, WebHub& hub);

  // action: kill, pause, resume or restart. Returns the action's id.
  Result<std::string> node_command(const std::string& action, std::size_t index);
  Result<std::string> scenario(const std::string& name);
  // Signs a transfer from a funded account and submits it through node `via`; its hash.
  Result<std::string> transfer(std::size_t via);
  // get_block {"hash"} from the first running node that answers.
  Result<nlohmann::json> block(const std::string& hash);

  std::size_t nodes() const { return testnet_.nodes.size(); }

  // Sends SIGTERM to the commands still running (when the web server stops: a scenario
  // must not go on restarting nodes behind a `down`).
  void stop_running();

 private:
  Result<std::string> run_command(const std::string& what, std::vector<std::string> args,
                                  bool is_scenario);
  void finish(const std::string& id, const std::string& what, int pid, const std::string& log,
              bool is_scenario);

  const Testnet testnet_;
  WebHub& hub_;
  std::mutex mutex_;
  std::size_t running_ = 0;        // guarded by mutex_
  bool scenario_running_ = false;  // guarded by mutex_
  std::uint64_t next_id_ = 1;      // guarded by mutex_
  std::set<int> pids_;             // of running commands; guarded by mutex_
};

}  // namespace synod::testnet
