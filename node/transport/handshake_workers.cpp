#include "node/transport/handshake_workers.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

#include "base/thread_name.h"

namespace synod::transport {

HandshakeWorkers::HandshakeWorkers(boost::asio::io_context& loop, std::size_t threads)
    : loop_(loop), pending_(std::make_shared<std::atomic<std::size_t>>(0)) {
  pool_.emplace(threads);
}

HandshakeWorkers::~HandshakeWorkers() {
  stop();
}

void HandshakeWorkers::run(Work work) {
  if (stopped_)
    return;
  pending_->fetch_add(1);
  // The guard keeps the loop's run() from returning for lack of work while this runs.
  boost::asio::post(*pool_, [work = std::move(work), pending = pending_,
                             guard = boost::asio::make_work_guard(loop_)]() mutable {
    name_pool_thread("synod-handshake");
    Continuation next;
    {
      // Destroyed before the continuation is posted: whatever the work held (a connection)
      // is then released on the loop's thread, never last on this one.
      Work local = std::move(work);
      next = local();
    }
    pending->fetch_sub(1);
    boost::asio::post(guard.get_executor(), std::move(next));
    guard.reset();
  });
}

void HandshakeWorkers::stop() {
  if (stopped_)
    return;
  stopped_ = true;
  pool_->stop();
  pool_->join();
  pool_.reset();  // drops the work still queued, and the loop's work guards with it
}

}  // namespace synod::transport
