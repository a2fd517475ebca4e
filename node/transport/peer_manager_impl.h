// Private to node/transport: PeerManager's state. peer_manager.cpp holds the connection
// policy (accept, authenticate, deduplicate, send), peer_dialer.cpp the dialing and
// backoff.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "node/transport/connection.h"
#include "node/transport/handshake_throttle.h"
#include "node/transport/handshake_workers.h"
#include "node/transport/host_port.h"
#include "node/transport/log_limiter.h"
#include "node/transport/peer_manager.h"

namespace synod::transport {

class PeerManager::Impl final : public ConnectionOwner {
 public:
  Impl(boost::asio::io_context& io, std::shared_ptr<const chain::Genesis> genesis,
       crypto::KeyPair node_key, PeerManagerOptions options, MessageHandler handler, LogFn log);
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl();

  Status start();
  void stop();
  void send(chain::ReplicaIndex to, const std::shared_ptr<const Bytes>& payload);
  void broadcast(const std::shared_ptr<const Bytes>& payload);
  std::size_t connected_count() const;
  bool is_connected(chain::ReplicaIndex index) const;
  std::size_t queued_bytes(chain::ReplicaIndex index) const;
  std::uint16_t listen_port() const { return listen_port_; }
  chain::ReplicaIndex self_index() const { return self_; }
  const Stats& stats() const { return shared_->stats; }

  // ConnectionOwner
  bool admit_handshake(const Connection& connection) override;
  void on_authenticated(const std::shared_ptr<Connection>& connection) override;
  void on_payload(Connection& connection, Bytes payload) override;
  void on_closed(Connection& connection, CloseReason reason, const std::string& detail) override;

 private:
  // Our side of the link to one other validator.
  struct Peer {
    explicit Peer(boost::asio::io_context& io) : timer(io), resolver(io) {}
    std::optional<HostPort> address;     // where to dial; nullopt if its address is bad
    std::shared_ptr<Connection> active;  // the authenticated connection in use
    // A dial is under way: waiting out the backoff, resolving, connecting, or our outbound
    // connection is in its handshake. At most one at a time.
    bool dialing = false;
    std::uint64_t dial_generation = 0;  // tells stale dial handlers apart
    std::uint64_t backoff_ms = 0;
    boost::asio::steady_timer timer;  // backoff wait, then connect timeout
    boost::asio::ip::tcp::resolver resolver;
    std::shared_ptr<boost::asio::ip::tcp::socket> connecting;  // socket being connected
  };

  // peer_dialer.cpp
  void schedule_redial(chain::ReplicaIndex index);
  void dial_after(chain::ReplicaIndex index, std::uint64_t delay_ms);
  void start_resolve(chain::ReplicaIndex index, std::uint64_t generation);
  void start_connect(chain::ReplicaIndex index, std::uint64_t generation,
                     const boost::asio::ip::tcp::resolver::results_type& endpoints);
  void on_connected(chain::ReplicaIndex index, boost::asio::ip::tcp::socket socket);
  void dial_failed(chain::ReplicaIndex index, const std::string& why);
  void cancel_dial(Peer& peer);

  // peer_manager.cpp
  Status listen(const std::string& address_text);
  void do_accept();
  void on_accepted(const boost::system::error_code& error, boost::asio::ip::tcp::socket socket);
  // Makes room for one more inbound handshake from `address` by closing the oldest
  // unauthenticated inbound connection (from that address when it is at its own limit).
  void make_room_for(const std::string& address);
  std::size_t address_limit(const std::string& address) const;
  std::shared_ptr<Connection> make_connection(boost::asio::ip::tcp::socket socket,
                                              std::optional<chain::ReplicaIndex> dialed);
  void activate(chain::ReplicaIndex index, const std::shared_ptr<Connection>& connection);
  void retire(const std::shared_ptr<Connection>& connection);
  void count_close(CloseReason reason);
  std::string describe(const Connection& connection) const;
  void log_limited(const std::string& key, std::string line);
  void log_now(std::string line);
  std::uint64_t now_ms() const;

  boost::asio::io_context& io_;
  std::shared_ptr<const chain::Genesis> genesis_;
  crypto::KeyPair node_key_;
  PeerManagerOptions options_;
  MessageHandler handler_;
  LogFn log_;
  std::shared_ptr<TransportShared> shared_;
  LogLimiter limiter_;
  std::mt19937_64 rng_;
  HandshakeThrottle throttle_;
  std::unique_ptr<HandshakeWorkers> workers_;  // from start() to stop()

  bool started_ = false;
  bool stopped_ = false;
  chain::ReplicaIndex self_ = 0;
  std::uint16_t listen_port_ = 0;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer accept_retry_timer_;
  std::vector<std::unique_ptr<Peer>> peers_;           // by validator index; ours stays unused
  std::set<std::shared_ptr<Connection>> handshaking_;  // inbound and outbound
  // Inbound handshakes in arrival order (entries may have finished or closed meanwhile).
  std::deque<std::weak_ptr<Connection>> inbound_order_;
  std::map<std::string, std::size_t> validators_at_host_;  // genesis peer hosts
  std::set<std::shared_ptr<Connection>> retired_;          // draining duplicates
};

}  // namespace synod::transport
