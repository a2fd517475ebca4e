#include "testnet/scenario_run.h"

#include <signal.h>

#include <cmath>
#include <cstdio>

#include "wallet/cli_support.h"

namespace synod::testnet {

using nlohmann::json;
using Clock = std::chrono::steady_clock;
using std::chrono::seconds;

ScenarioRun::ScenarioRun(Cluster& cluster, bool as_json)
    : cluster_(cluster), start_(Clock::now()), as_json_(as_json) {}

void ScenarioRun::say(const std::string& text) {
  double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
  if (as_json_) {
    steps_.push_back({{"t_s", std::round(elapsed * 10) / 10}, {"text", text}});
    return;
  }
  std::printf("[%6.1fs] %s\n", elapsed, text.c_str());
  std::fflush(stdout);
}

int ScenarioRun::verdict(const std::string& scenario, const std::string& failure,
                         const std::string& details) {
  if (as_json_) {
    json out = {{"scenario", scenario},
                {"pass", failure.empty()},
                {"verdict", failure.empty() ? "PASS" : "FAIL: " + failure},
                {"steps", steps_}};
    if (!details.empty())
      out["details"] = details;
    cli::print_json(out);
  } else {
    if (!details.empty())
      std::printf("%s\n", details.c_str());
    std::printf("%s\n", failure.empty() ? "PASS" : ("FAIL: " + failure).c_str());
  }
  return failure.empty() ? 0 : 1;
}

Status ScenarioRun::all_running() {
  for (std::size_t i = 0; i < cluster_.size(); ++i) {
    if (cluster_.process(i).state != ProcessState::kRunning) {
      return make_error(name(i) + " is " + to_string(cluster_.process(i).state) +
                        "; the scenario needs the whole testnet up");
    }
  }
  return Status::success();
}

Status ScenarioRun::restart(std::size_t index, const std::string& byzantine,
                            const std::vector<std::string>& extra_args) {
  if (auto status = cluster_.stop(index); !status)
    return status;
  if (auto status = cluster_.start(index, byzantine, extra_args); !status)
    return status;
  if (byzantine.empty() && extra_args.empty())
    altered_.erase(index);
  else
    altered_.insert(index);
  return cluster_.wait_healthy({index}, 0, false, seconds(30), "waiting for " + name(index));
}

Status ScenarioRun::restore() {
  for (std::size_t i = 0; i < cluster_.size(); ++i) {
    auto process = cluster_.process(i);
    if (process.state == ProcessState::kPaused)
      kill(process.pid, SIGCONT);
    if (altered_.count(i)) {
      say("restoring " + name(i) + " as an honest node");
      if (auto status = restart(i, ""); !status)
        return status;
    } else if (process.state == ProcessState::kDown) {
      say("restarting " + name(i));
      if (auto status = cluster_.start(i); !status)
        return status;
    }
  }
  return cluster_.wait_healthy(all(), 0, true, seconds(30), "waiting for the testnet");
}

std::string ScenarioRun::list(const std::vector<std::size_t>& nodes) const {
  std::string out;
  for (std::size_t i : nodes)
    out += (out.empty() ? "" : ", ") + name(i);
  return out;
}

std::vector<std::size_t> ScenarioRun::all_except(std::size_t excluded) const {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < cluster_.size(); ++i) {
    if (i != excluded)
      out.push_back(i);
  }
  return out;
}

std::size_t ScenarioRun::pick(const std::set<std::size_t>& except) {
  for (std::size_t i : cluster_.running()) {
    if (!except.count(i))
      return i;
  }
  return 0;
}

}  // namespace synod::testnet
