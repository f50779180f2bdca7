#include "transport/datagram_queue.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace switchyard::transport {

absl::StatusOr<std::unique_ptr<DatagramQueue>> DatagramQueue::Create() {
  std::unique_ptr<DatagramQueue> queue(new DatagramQueue());
  queue->slots_ = std::make_unique<Slot[]>(kCapacity);
  queue->wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (queue->wake_fd_ < 0) {
    return absl::InternalError(absl::StrCat("eventfd: ", std::strerror(errno)));
  }
  return queue;
}

DatagramQueue::~DatagramQueue() {
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

bool DatagramQueue::Push(std::span<const uint8_t> data, const SocketAddress& from,
                         const SocketAddress& to) {
  if (data.size() > kMaxDatagram) return false;
  const uint64_t head = head_.load(std::memory_order_relaxed);
  if (head - tail_cache_ == kCapacity) {
    tail_cache_ = tail_.load(std::memory_order_acquire);
    if (head - tail_cache_ == kCapacity) return false;
  }
  Slot& slot = slots_[head & (kCapacity - 1)];
  slot.from = from;
  slot.to = to;
  slot.length = static_cast<uint16_t>(data.size());
  std::memcpy(slot.data.data(), data.data(), data.size());
  head_.store(head + 1, std::memory_order_release);
  return true;
}

void DatagramQueue::WakeIfNeeded() {
  if (pending_.exchange(true, std::memory_order_acq_rel)) return;
  const uint64_t one = 1;
  [[maybe_unused]] const auto written = ::write(wake_fd_, &one, sizeof(one));
}

}  // namespace switchyard::transport
