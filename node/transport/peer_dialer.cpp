// PeerManager's dialing: backoff with jitter, resolve, connect (bounded by
// handshake_timeout_ms), then hand the socket to a Connection in the initiator role.
#include <algorithm>
#include <boost/asio/connect.hpp>
#include <chrono>

#include "node/transport/peer_manager_impl.h"

namespace synod::transport {

void PeerManager::Impl::schedule_redial(chain::ReplicaIndex index) {
  Peer& peer = *peers_[index];
  if (stopped_ || peer.active || peer.dialing || !peer.address)
    return;
  // start() checked min <= max; at least 1 ms so a dead peer is never redialed in a spin.
  std::uint64_t low_ms = std::max<std::uint64_t>(1, options_.reconnect_min_ms);
  std::uint64_t high_ms = std::max(low_ms, options_.reconnect_max_ms);
  std::uint64_t backoff_ms = std::clamp(peer.backoff_ms, low_ms, high_ms);
  // Jitter keeps validators that lost each other at the same moment from redialing in step.
  std::uniform_int_distribution<std::uint64_t> jitter(0, backoff_ms / 2);
  std::uint64_t delay_ms = backoff_ms + jitter(rng_);
  peer.backoff_ms = std::min(backoff_ms * 2, high_ms);
  dial_after(index, delay_ms);
}

void PeerManager::Impl::dial_after(chain::ReplicaIndex index, std::uint64_t delay_ms) {
  Peer& peer = *peers_[index];
  peer.dialing = true;
  std::uint64_t generation = ++peer.dial_generation;
  peer.timer.expires_after(std::chrono::milliseconds(delay_ms));
  peer.timer.async_wait(
      [this, shared = shared_, index, generation](const boost::system::error_code& error) {
        if (!shared->alive || error)
          return;
        Peer& waited = *peers_[index];
        if (waited.dial_generation != generation)
          return;
        if (waited.active) {  // the peer dialed us meanwhile
          waited.dialing = false;
          return;
        }
        start_resolve(index, generation);
      });
}

void PeerManager::Impl::start_resolve(chain::ReplicaIndex index, std::uint64_t generation) {
  Peer& peer = *peers_[index];
  // One deadline for resolving and connecting; on expiry both are cancelled, which makes
  // their handlers report the failure.
  peer.timer.expires_after(std::chrono::milliseconds(options_.handshake_timeout_ms));
  peer.timer.async_wait(
      [this, shared = shared_, index, generation](const boost::system::error_code& error) {
        if (!shared->alive || error)
          return;
        Peer& timed = *peers_[index];
        if (timed.dial_generation != generation)
          return;
        timed.resolver.cancel();
        if (timed.connecting) {
          boost::system::error_code ignored;
          timed.connecting->close(ignored);
        }
      });
  peer.resolver.async_resolve(peer.address->host, std::to_string(peer.address->port),
                              [this, shared = shared_, index, generation](
                                  const boost::system::error_code& error,
                                  boost::asio::ip::tcp::resolver::results_type endpoints) {
                                if (!shared->alive || peers_[index]->dial_generation != generation)
                                  return;
                                if (error) {
                                  dial_failed(index, "cannot resolve: " + error.message());
                                  return;
                                }
                                start_connect(index, generation, endpoints);
                              });
}

void PeerManager::Impl::start_connect(
    chain::ReplicaIndex index, std::uint64_t generation,
    const boost::asio::ip::tcp::resolver::results_type& endpoints) {
  Peer& peer = *peers_[index];
  auto socket = std::make_shared<boost::asio::ip::tcp::socket>(io_);
  peer.connecting = socket;
  boost::asio::async_connect(
      *socket, endpoints,
      [this, shared = shared_, index, generation, socket](const boost::system::error_code& error,
                                                          const boost::asio::ip::tcp::endpoint&) {
        if (!shared->alive)
          return;
        Peer& connected = *peers_[index];
        if (connected.dial_generation != generation)
          return;
        connected.connecting.reset();
        connected.timer.cancel();
        if (error) {
          dial_failed(index, error == boost::asio::error::operation_aborted
                                 ? std::string("connect timed out")
                                 : "connect failed: " + error.message());
          return;
        }
        on_connected(index, std::move(*socket));
      });
}

void PeerManager::Impl::on_connected(chain::ReplicaIndex index,
                                     boost::asio::ip::tcp::socket socket) {
  // peers_[index]->dialing stays true until the handshake authenticates or fails.
  auto connection = make_connection(std::move(socket), index);
  handshaking_.insert(connection);
  connection->start();
}

void PeerManager::Impl::dial_failed(chain::ReplicaIndex index, const std::string& why) {
  Peer& peer = *peers_[index];
  peer.dialing = false;
  if (!why.empty()) {
    log_limited("dial:" + std::to_string(index),
                "transport: cannot reach validator " + std::to_string(index) + " at " +
                    peer.address->host + ":" + std::to_string(peer.address->port) + ": " + why);
  }
  schedule_redial(index);
}

void PeerManager::Impl::cancel_dial(Peer& peer) {
  ++peer.dial_generation;
  peer.timer.cancel();
  peer.resolver.cancel();
  if (peer.connecting) {
    boost::system::error_code ignored;
    peer.connecting->close(ignored);
    peer.connecting.reset();
  }
  peer.dialing = false;
}

}  // namespace synod::transport
