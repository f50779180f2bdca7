#ifndef SWITCHYARD_TRANSPORT_EVENTFD_WAITER_H_
#define SWITCHYARD_TRANSPORT_EVENTFD_WAITER_H_

#include <functional>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include "transport/handler_memory.h"

namespace switchyard::transport {

// Calls `on_signal` on the io_context's thread each time the eventfd `fd` is signalled: the
// consumer side of a lock-free hand-off's wakeup (the worker mesh's rings, the datagram queues
// between the TURN thread and the workers). It watches its own dup of `fd` (whoever owns `fd`
// keeps it), keeps one wait outstanding whose memory comes from a HandlerMemory (no allocation
// per wakeup), and reads the counter before calling back, so a signal that arrives during the
// callback wakes it again. A completion after Close() or destruction touches nothing.
class EventfdWaiter {
 public:
  EventfdWaiter(boost::asio::io_context& io, int fd, std::function<void()> on_signal);
  ~EventfdWaiter();
  EventfdWaiter(const EventfdWaiter&) = delete;
  EventfdWaiter& operator=(const EventfdWaiter&) = delete;

  void Start() { Wait(); }
  // Cancels the wait and closes the descriptor. Idempotent.
  void Close();

 private:
  void Wait();

  boost::asio::posix::stream_descriptor descriptor_;
  std::function<void()> on_signal_;
  std::shared_ptr<HandlerMemory> memory_ = std::make_shared<HandlerMemory>();
};

}  // namespace switchyard::transport

#endif  // SWITCHYARD_TRANSPORT_EVENTFD_WAITER_H_
