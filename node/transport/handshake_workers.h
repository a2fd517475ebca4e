// The threads that run handshake cryptography (X25519 key generation and exchange, Ed25519
// signing and verification) off the event loop. A connection hands its handshake to a
// worker, and the worker posts the continuation back to the loop: a peer that opens
// handshakes as fast as it can delays other handshakes, never consensus.
//
// Thread safety: run() and stop() on the loop's thread; pending() from any thread.
// Lifetime: the event loop's io_context must outlive the workers; stop() (or the destructor)
// joins the threads, and work still queued is dropped without running.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>

namespace synod::transport {

class HandshakeWorkers {
 public:
  using Continuation = std::function<void()>;
  // What a worker runs; it returns what the event loop runs next.
  using Work = std::function<Continuation()>;

  HandshakeWorkers(boost::asio::io_context& loop, std::size_t threads);
  HandshakeWorkers(const HandshakeWorkers&) = delete;
  HandshakeWorkers& operator=(const HandshakeWorkers&) = delete;
  ~HandshakeWorkers();

  void run(Work work);
  void stop();
  // Work queued or running: handshakes admitted but not answered yet.
  std::size_t pending() const { return pending_->load(); }

 private:
  boost::asio::io_context& loop_;
  std::optional<boost::asio::thread_pool> pool_;
  std::shared_ptr<std::atomic<std::size_t>> pending_;
  bool stopped_ = false;
};

}  // namespace synod::transport
