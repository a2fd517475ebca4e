#include "testnet/link_emulator.h"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <unordered_map>

#include "testnet/layout.h"
#include "testnet/link_rules.h"
#include "testnet/link_scheduler.h"
#include "testnet/netns.h"
#include "wallet/cli_support.h"

namespace synod::testnet {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kMaxQueuedBytes = 64u << 20;
constexpr std::size_t kReadBufferBytes = 65536;
constexpr int kReadsPerWake = 64;  // per device, so one busy node cannot starve the others
constexpr std::int64_t kStatsIntervalNs = 10'000'000'000;
constexpr const char* kMtu = "1500";

volatile sig_atomic_t g_reload = 0;
volatile sig_atomic_t g_stop = 0;

void on_signal(int signal) {
  if (signal == SIGHUP)
    g_reload = 1;
  else
    g_stop = 1;
}

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

Result<int> open_tun(const std::string& name) {
  int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    return make_error("cannot open /dev/net/tun: " + std::string(std::strerror(errno)));
  ifreq request{};
  request.ifr_flags = IFF_TUN | IFF_NO_PI;
  std::strncpy(request.ifr_name, name.c_str(), IFNAMSIZ - 1);
  if (ioctl(fd, TUNSETIFF, &request) != 0) {
    std::string why = std::strerror(errno);
    close(fd);
    return make_error("cannot make the TUN device " + name + ": " + why);
  }
  return fd;
}

// One end of the emulated network: a node's device (indices 0..n-1) or the host's (n).
struct Port {
  int fd = -1;
  std::uint32_t address = 0;
};

struct Counters {
  std::uint64_t forwarded = 0, lost = 0, cut = 0, overflow = 0, unroutable = 0, write_failed = 0;
};

// The devices, the scheduler's decisions carried out, and the counters.
class Emulator {
 public:
  explicit Emulator(std::vector<Port> ports)
      : ports_(std::move(ports)),
        scheduler_(ports_.size() - 1, std::random_device{}()),
        queue_(kMaxQueuedBytes) {
    for (std::size_t i = 0; i < ports_.size(); ++i)
      by_address_[ports_[i].address] = i;
  }

  void set_rules(LinkRules rules) { scheduler_.set_rules(std::move(rules)); }
  const std::vector<Port>& ports() const { return ports_; }
  const Counters& counters() const { return counters_; }
  std::size_t queued_bytes() const { return queue_.queued_bytes(); }

  // A packet end `from` sent: dropped, delivered now, or queued for later.
  void on_packet(std::size_t from, const std::uint8_t* data, std::size_t size, std::int64_t now) {
    auto destination = ipv4_destination(data, size);
    if (!destination)
      return;  // the testnet has no IPv6 addresses; the kernel's IPv6 chatter goes nowhere
    auto found = by_address_.find(*destination);
    if (found == by_address_.end() || found->second == from) {
      ++counters_.unroutable;
      return;
    }
    auto decision = scheduler_.decide(from, found->second, now);
    switch (decision.fate) {
      case LinkScheduler::Fate::kNow:
        write_packet(found->second, data, size);
        break;
      case LinkScheduler::Fate::kLater:
        if (!queue_.push(decision.due_ns, found->second, data, size))
          ++counters_.overflow;
        break;
      case LinkScheduler::Fate::kLost:
        ++counters_.lost;
        break;
      case LinkScheduler::Fate::kCut:
        ++counters_.cut;
        break;
    }
  }

  // Delivers every queued packet that is due; returns when the next one is (or -1).
  std::int64_t deliver_due(std::int64_t now) {
    return queue_.pop_due(now, [this](std::size_t to, const std::vector<std::uint8_t>& bytes) {
      write_packet(to, bytes.data(), bytes.size());
    });
  }

 private:
  void write_packet(std::size_t to, const std::uint8_t* data, std::size_t size) {
    if (write(ports_[to].fd, data, size) == static_cast<ssize_t>(size))
      ++counters_.forwarded;
    else
      ++counters_.write_failed;  // the device's queue is full: the packet is lost
  }

  std::vector<Port> ports_;
  LinkScheduler scheduler_;
  PacketQueue queue_;
  std::unordered_map<std::uint32_t, std::size_t> by_address_;
  Counters counters_;
};

// Makes node i's device, moves it into the node's namespace as eth0 with its address.
Result<int> make_node_link(const std::string& dir, const NodeInfo& node, std::size_t index,
                           std::uint32_t address) {
  std::string name = tun_name(dir, index);
  auto fd = open_tun(name);
  if (!fd)
    return fd.error();
  std::string ns = node.netns;
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"link", "set", name, "netns", ns},
           {"-n", ns, "link", "set", name, "name", "eth0"},
           {"-n", ns, "addr", "add", ipv4_text(address) + "/24", "dev", "eth0"},
           {"-n", ns, "link", "set", "eth0", "mtu", kMtu, "txqueuelen", "1000", "up"}}) {
    if (auto status = run_ip(dir, args); !status) {
      close(*fd);
      return status.error();
    }
  }
  return fd;
}

Result<int> make_host_link(const std::string& dir, std::uint32_t address) {
  std::string name = host_tun_name(dir);
  auto fd = open_tun(name);
  if (!fd)
    return fd.error();
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"addr", "add", ipv4_text(address) + "/24", "dev", name},
           {"link", "set", name, "mtu", kMtu, "txqueuelen", "1000", "up"}}) {
    if (auto status = run_ip(dir, args); !status) {
      close(*fd);
      return status.error();
    }
  }
  return fd;
}

Result<std::vector<Port>> make_links(const Testnet& testnet, const NetworkPlan& plan) {
  std::vector<Port> ports;
  auto close_all = [&] {
    for (auto& port : ports)
      close(port.fd);
  };
  for (std::size_t i = 0; i < testnet.nodes.size(); ++i) {
    const NodeInfo& node = testnet.nodes[i];
    if (node.netns.empty()) {
      close_all();
      return make_error(node.name + " has no network namespace");
    }
    auto fd = make_node_link(testnet.dir, node, i, plan.node_addresses[i]);
    if (!fd) {
      close_all();
      return fd.error();
    }
    ports.push_back({*fd, plan.node_addresses[i]});
  }
  auto fd = make_host_link(testnet.dir, plan.host_address);
  if (!fd) {
    close_all();
    return fd.error();
  }
  ports.push_back({*fd, plan.host_address});
  return ports;
}

Status write_file_atomically(const std::string& path, const std::string& text) {
  std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << text;
    if (!out)
      return make_error("cannot write " + temporary);
  }
  std::error_code ec;
  fs::rename(temporary, path, ec);
  if (ec)
    return make_error("cannot write " + path + ": " + ec.message());
  return Status::success();
}

// Re-reads links.json and acknowledges its generation in links.applied.
void reload_rules(const std::string& dir, Emulator& emulator, std::size_t nodes) {
  auto text = cli::read_file(netns_dir(dir) + "/links.json");
  auto parsed = text ? nlohmann::json::parse(*text, nullptr, false) : nlohmann::json();
  auto rules = rules_from_json(parsed, nodes);
  if (!rules) {
    std::printf("links: ignoring links.json: %s\n", rules.message().c_str());
    std::fflush(stdout);
    return;
  }
  std::printf("links: generation %llu: %s%s\n", static_cast<unsigned long long>(rules->generation),
              rules->shape.describe().c_str(), rules->group_of.empty() ? "" : ", partitioned");
  std::fflush(stdout);
  std::uint64_t generation = rules->generation;
  emulator.set_rules(std::move(*rules));
  (void)write_file_atomically(netns_dir(dir) + "/links.applied", std::to_string(generation) + "\n");
}

void print_counters(const Emulator& emulator) {
  const Counters& c = emulator.counters();
  std::printf(
      "links: forwarded %llu, lost %llu, cut %llu, queue overflow %llu, unroutable %llu, "
      "device full %llu, queued %zu bytes\n",
      static_cast<unsigned long long>(c.forwarded), static_cast<unsigned long long>(c.lost),
      static_cast<unsigned long long>(c.cut), static_cast<unsigned long long>(c.overflow),
      static_cast<unsigned long long>(c.unroutable),
      static_cast<unsigned long long>(c.write_failed), emulator.queued_bytes());
  std::fflush(stdout);
}

// Reads what each device has, a bounded number of packets per device per wake.
void read_ready(Emulator& emulator, std::vector<pollfd>& polled,
                std::vector<std::uint8_t>& buffer) {
  for (std::size_t i = 0; i < polled.size(); ++i) {
    if (polled[i].revents & (POLLERR | POLLHUP | POLLNVAL)) {
      // The device is gone (its namespace deleted under us): stop watching it rather than
      // wake up for it forever. Packets to it are then lost, like packets to a dead host.
      std::printf("links: device %zu failed; no longer reading it\n", i);
      std::fflush(stdout);
      polled[i].fd = -1;  // ppoll skips negative descriptors
      continue;
    }
    if (!(polled[i].revents & POLLIN))
      continue;
    for (int k = 0; k < kReadsPerWake; ++k) {
      ssize_t size = read(polled[i].fd, buffer.data(), buffer.size());
      if (size <= 0)
        break;
      emulator.on_packet(i, buffer.data(), static_cast<std::size_t>(size), now_ns());
    }
  }
}

void run_loop(const std::string& dir, Emulator& emulator, std::size_t nodes,
              const sigset_t& unblocked) {
  std::vector<pollfd> polled;
  for (const auto& port : emulator.ports())
    polled.push_back({port.fd, POLLIN, 0});
  std::vector<std::uint8_t> buffer(kReadBufferBytes);
  std::int64_t next_stats = now_ns() + kStatsIntervalNs;
  std::int64_t next_due = -1;
  while (!g_stop) {
    if (g_reload) {
      g_reload = 0;
      print_counters(emulator);  // what the rules that end now did
      reload_rules(dir, emulator, nodes);
    }
    std::int64_t now = now_ns();
    std::int64_t wake = next_due < 0 ? next_stats : std::min(next_due, next_stats);
    std::int64_t wait_ns = std::max<std::int64_t>(0, wake - now);
    timespec timeout{static_cast<time_t>(wait_ns / 1'000'000'000),
                     static_cast<long>(wait_ns % 1'000'000'000)};
    for (auto& item : polled)
      item.revents = 0;
    int ready = ppoll(polled.data(), polled.size(), &timeout, &unblocked);
    if (ready > 0)
      read_ready(emulator, polled, buffer);
    now = now_ns();
    next_due = emulator.deliver_due(now);
    if (now >= next_stats) {
      print_counters(emulator);
      next_stats = now + kStatsIntervalNs;
    }
  }
}

}  // namespace

Status run_link_emulator(const std::string& dir) {
  auto testnet = load_testnet(dir);
  if (!testnet)
    return testnet.error();
  auto plan = plan_network(*testnet);
  if (!plan)
    return plan.error();
  // The signals wait while the loop runs and arrive only inside ppoll, so none is missed.
  sigset_t handled, unblocked;
  sigemptyset(&handled);
  for (int signal : {SIGHUP, SIGTERM, SIGINT}) {
    sigaddset(&handled, signal);
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigaction(signal, &action, nullptr);
  }
  sigprocmask(SIG_BLOCK, &handled, &unblocked);
  sigdelset(&unblocked, SIGHUP);
  sigdelset(&unblocked, SIGTERM);
  sigdelset(&unblocked, SIGINT);
  auto ports = make_links(*testnet, *plan);
  if (!ports)
    return ports.error();
  std::size_t nodes = testnet->nodes.size();
  Emulator emulator(std::move(*ports));
  reload_rules(dir, emulator, nodes);
  std::printf("links: %zu nodes on %s, host %s\n", nodes, plan->subnet.c_str(),
              ipv4_text(plan->host_address).c_str());
  std::fflush(stdout);
  if (auto status =
          write_file_atomically(netns_dir(dir) + "/links.ready", std::to_string(getpid()) + "\n");
      !status)
    return status;
  run_loop(dir, emulator, nodes, unblocked);
  print_counters(emulator);
  for (const auto& port : emulator.ports())
    close(port.fd);
  std::printf("links: stopped\n");
  return Status::success();
}

}  // namespace synod::testnet
