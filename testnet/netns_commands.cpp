#include "testnet/netns_commands.h"

#include <signal.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "client/process.h"
#include "testnet/control.h"
#include "testnet/layout.h"
#include "testnet/netns.h"
#include "testnet/process.h"
#include "wallet/cli_support.h"

namespace synod::testnet {

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kEmulatorStartTimeout = std::chrono::seconds(20);
constexpr auto kRulesAppliedTimeout = std::chrono::seconds(5);

std::string rules_path(const std::string& dir) {
  return netns_dir(dir) + "/links.json";
}

Status write_rules(const std::string& dir, const LinkRules& rules) {
  std::string path = rules_path(dir);
  {
    std::ofstream out(path + ".tmp", std::ios::trunc);
    out << rules_to_json(rules).dump(2) << "\n";
    if (!out)
      return make_error("cannot write " + path + ".tmp");
  }
  std::error_code ec;
  fs::rename(path + ".tmp", path, ec);
  if (ec)
    return make_error("cannot write " + path + ": " + ec.message());
  return Status::success();
}

Result<LinkRules> read_rules(const Testnet& testnet) {
  auto text = cli::read_file(rules_path(testnet.dir));
  if (!text)
    return make_error("cannot read " + rules_path(testnet.dir));
  return rules_from_json(json::parse(*text, nullptr, false), testnet.nodes.size());
}

// Starts `synod-testnet links-daemon` for the testnet and waits until its links are up.
Status start_emulator(const std::string& dir) {
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec)
    return make_error("cannot locate this executable: " + ec.message());
  std::string absolute_dir = fs::absolute(dir, ec).string();
  std::string ready = netns_dir(dir) + "/links.ready";
  fs::remove(ready, ec);
  client::SpawnOptions spawn;
  // --link names the host's device: find_emulator recognises the process by it.
  spawn.argv = {self.string(), "links-daemon", "--dir", absolute_dir, "--link", host_tun_name(dir)};
  spawn.log_file = netns_dir(dir) + "/links.log";
  spawn.detach = true;
  auto started = client::spawn_process(spawn);
  if (!started.ok())
    return make_error("cannot start the link emulator: " + started.message);
  {
    std::ofstream pid_file(netns_dir(dir) + "/links.pid", std::ios::trunc);
    pid_file << started.pid << "\n";
  }
  auto deadline = Clock::now() + kEmulatorStartTimeout;
  while (Clock::now() < deadline) {
    if (fs::exists(ready, ec))
      return Status::success();
    if (!find_emulator(dir)) {
      auto tail = client::tail_lines(spawn.log_file, 1);
      return make_error("the link emulator stopped: " +
                        (tail.empty() ? "(no output)" : tail.back()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return make_error("the link emulator did not make its links within 20 s (see " + spawn.log_file +
                    ")");
}

Result<pid_t> require_emulator(const Testnet& testnet) {
  auto pid = find_emulator(testnet.dir);
  if (!pid)
    return make_error("the testnet in " + testnet.dir +
                      " does not run in network namespaces; start it with: synod-testnet up "
                      "--netns --dir " +
                      testnet.dir);
  return *pid;
}

// The testnet in `dir` with its current link rules; an error unless it runs in namespaces.
Result<std::pair<Testnet, LinkRules>> load_with_rules(const std::string& dir) {
  auto testnet = load_testnet(dir);
  if (!testnet)
    return testnet.error();
  if (auto pid = require_emulator(*testnet); !pid)
    return pid.error();
  auto rules = read_rules(*testnet);
  if (!rules)
    return rules.error();
  return std::pair{std::move(*testnet), std::move(*rules)};
}

// Writes the next generation of the rules and waits until the emulator applies it.
Status apply_rules(const Testnet& testnet, LinkRules rules) {
  auto pid = require_emulator(testnet);
  if (!pid)
    return pid.error();
  ++rules.generation;
  if (auto status = write_rules(testnet.dir, rules); !status)
    return status;
  kill(*pid, SIGHUP);
  std::string applied = netns_dir(testnet.dir) + "/links.applied";
  auto deadline = Clock::now() + kRulesAppliedTimeout;
  while (Clock::now() < deadline) {
    auto text = cli::read_file(applied);
    if (text && text->substr(0, text->find('\n')) == std::to_string(rules.generation))
      return Status::success();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return make_error("the link emulator did not apply the new rules within 5 s");
}

Status stop_all_nodes(const Testnet& testnet) {
  Status result;
  for (const auto& node : testnet.nodes) {
    if (auto status = stop_node(node, std::chrono::seconds(3)); !status && result)
      result = status;
  }
  return result;
}

// Namespaces, links and rules for `testnet`; on failure nothing of them is left.
Status start_network(const Testnet& testnet, const LinkShape& shape) {
  auto plan = plan_network(testnet);
  if (!plan)
    return plan.error();
  if (auto removed = remove_network(testnet.dir); !removed)
    return removed.error();
  if (auto status = create_namespaces(testnet); !status)
    return status;
  LinkRules rules;
  rules.shape = shape;
  Status status = write_rules(testnet.dir, rules);
  if (status)
    status = start_emulator(testnet.dir);
  if (!status) {
    (void)remove_network(testnet.dir);
    return status;
  }
  return Status::success();
}

std::string group_list(const Testnet& testnet, const std::vector<std::size_t>& group_of) {
  std::size_t groups = 0;
  for (std::size_t group : group_of)
    groups = std::max(groups, group + 1);
  std::string out;
  for (std::size_t g = 0; g < groups; ++g) {
    std::string members;
    for (std::size_t i = 0; i < group_of.size(); ++i) {
      if (group_of[i] == g)
        members += (members.empty() ? "" : ", ") + testnet.nodes[i].name;
    }
    out += (out.empty() ? "{" : " | {") + members + "}";
  }
  return out;
}

}  // namespace

Status cmd_up_netns(const std::string& dir, const std::vector<std::string>& byzantine,
                    std::uint64_t timeout_s, bool as_json, const LinkShape& shape) {
  auto testnet = load_testnet(dir);
  if (!testnet)
    return testnet.error();
  for (const auto& node : testnet->nodes) {
    if (find_process(node).state != ProcessState::kDown)
      return make_error(node.name +
                        " is already running; stop the testnet first with: "
                        "synod-testnet down --dir " +
                        dir);
  }
  if (auto status = start_network(*testnet, shape); !status)
    return status;
  if (!as_json) {
    auto plan = plan_network(*testnet);
    std::printf("network: %zu namespaces (%s*) on %s, this host at %s; links: %s\n",
                testnet->nodes.size(), netns_prefix(dir).c_str(), plan ? plan->subnet.c_str() : "?",
                plan ? ipv4_text(plan->host_address).c_str() : "?", shape.describe().c_str());
    std::fflush(stdout);
  }
  Status status = cmd_up(dir, byzantine, timeout_s, as_json);
  if (!status) {
    auto started = load_testnet(dir);
    if (started)
      (void)stop_all_nodes(*started);
    (void)remove_network(dir);
    return make_error(status.message() + " (nodes stopped, namespaces removed)");
  }
  return Status::success();
}

Status refuse_broken_network(const std::string& dir) {
  if (!network_exists(dir) || find_emulator(dir))
    return Status::success();
  return make_error(
      "network namespaces of an earlier up --netns are left without their link "
      "emulator; remove them with: synod-testnet down --dir " +
      dir);
}

Status cmd_remove_network(const std::string& dir, bool as_json) {
  if (!network_exists(dir))
    return Status::success();
  if (auto available = netns_available(); !available)
    return make_error("cannot remove the testnet's network namespaces: " + available.message());
  auto removed = remove_network(dir);
  if (!removed)
    return removed.error();
  if (!as_json && !removed->empty())
    std::printf("removed %s\n", removed->c_str());
  return Status::success();
}

Status cmd_shape(const std::string& dir, const LinkShape& shape, bool as_json) {
  auto loaded = load_with_rules(dir);
  if (!loaded)
    return loaded.error();
  auto& [testnet, rules] = *loaded;
  rules.shape = shape;
  if (auto status = apply_rules(testnet, rules); !status)
    return status;
  if (as_json)
    cli::print_json({{"delay_us", shape.delay_us},
                     {"jitter_us", shape.jitter_us},
                     {"loss_ppm", shape.loss_ppm}});
  else
    std::printf("links between nodes: %s\n", shape.describe().c_str());
  return Status::success();
}

Status cmd_partition(const std::string& dir, const std::string& groups, bool as_json) {
  auto loaded = load_with_rules(dir);
  if (!loaded)
    return loaded.error();
  auto& [testnet, rules] = *loaded;
  auto group_of = parse_partition(groups, testnet.validator_count(), testnet.full_node_count());
  if (!group_of)
    return group_of.error();
  rules.group_of = *group_of;
  if (auto status = apply_rules(testnet, rules); !status)
    return status;
  if (as_json)
    cli::print_json({{"group_of", *group_of}});
  else
    std::printf(
        "partitioned: %s; links between groups are cut (this host still reaches every "
        "node)\n",
        group_list(testnet, *group_of).c_str());
  return Status::success();
}

std::string describe_links(const std::string& dir) {
  auto testnet = load_testnet(dir);
  if (!testnet || !find_emulator(dir))
    return "this machine's own network (no namespaces, no emulated links)";
  auto rules = read_rules(*testnet);
  if (!rules)
    return "network namespaces (" + rules.message() + ")";
  return "network namespaces, " + rules->shape.describe() +
         (rules->group_of.empty() ? "" : ", partitioned");
}

Status cmd_heal(const std::string& dir, bool as_json) {
  auto loaded = load_with_rules(dir);
  if (!loaded)
    return loaded.error();
  auto& [testnet, rules] = *loaded;
  bool was_partitioned = !rules.group_of.empty();
  rules.group_of.clear();
  if (auto status = apply_rules(testnet, rules); !status)
    return status;
  if (as_json)
    cli::print_json({{"healed", was_partitioned}});
  else
    std::printf(was_partitioned ? "healed: every node reaches every node again\n"
                                : "healed: there was no partition\n");
  return Status::success();
}

}  // namespace synod::testnet
