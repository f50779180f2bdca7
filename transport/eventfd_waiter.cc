#include "transport/eventfd_waiter.h"

#include <unistd.h>

#include <cstdint>

namespace switchyard::transport {

EventfdWaiter::EventfdWaiter(boost::asio::io_context& io, int fd, std::function<void()> on_signal)
    : descriptor_(io, ::dup(fd)), on_signal_(std::move(on_signal)) {}

EventfdWaiter::~EventfdWaiter() { Close(); }

void EventfdWaiter::Close() {
  boost::system::error_code ignored;
  descriptor_.close(ignored);
}

void EventfdWaiter::Wait() {
  descriptor_.async_wait(
      boost::asio::posix::stream_descriptor::wait_read,
      WithMemory(memory_, [this](const boost::system::error_code& ec) {
        if (ec) return;  // closed: `this` may be gone
        uint64_t count = 0;
        [[maybe_unused]] const ssize_t n =
            ::read(descriptor_.native_handle(), &count, sizeof(count));
        on_signal_();
        Wait();
      }));
}

}  // namespace switchyard::transport
