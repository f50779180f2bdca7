#include "transport/eventfd_waiter.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <chrono>

#include "gtest/gtest.h"

namespace switchyard::transport {
namespace {

void Signal(int fd) {
  const uint64_t one = 1;
  ASSERT_EQ(::write(fd, &one, sizeof(one)), 8);
}

TEST(EventfdWaiterTest, CallsBackOncePerReadableWakeupUntilClosed) {
  boost::asio::io_context io;
  const int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  ASSERT_GE(fd, 0);
  int calls = 0;
  EventfdWaiter waiter(io, fd, [&] { ++calls; });
  waiter.Start();
  io.run_for(std::chrono::milliseconds(20));
  EXPECT_EQ(calls, 0);
  // Two signals before the loop runs are one wakeup: the counter is read (reset) once.
  Signal(fd);
  Signal(fd);
  io.restart();
  io.run_for(std::chrono::milliseconds(50));
  EXPECT_EQ(calls, 1);
  Signal(fd);
  io.restart();
  io.run_for(std::chrono::milliseconds(50));
  EXPECT_EQ(calls, 2);
  // Closed: later signals call nothing, and the owner's descriptor stays open.
  waiter.Close();
  Signal(fd);
  io.restart();
  io.run_for(std::chrono::milliseconds(50));
  EXPECT_EQ(calls, 2);
  ::close(fd);
}

}  // namespace
}  // namespace switchyard::transport
