#include "transport/udp_socket.h"

#include <netinet/in.h>

#include <time.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace switchyard::transport {

UdpSocket::UdpSocket(boost::asio::io_context& io, Receiver& receiver, const Clock& clock)
    : socket_(io), receiver_(receiver), clock_(clock) {}

UdpSocket::~UdpSocket() { Close(); }

absl::StatusOr<std::unique_ptr<UdpSocket>> UdpSocket::Bind(boost::asio::io_context& io,
                                                           const SocketAddress& local,
                                                           Receiver& receiver,
                                                           const Clock& clock) {
  std::unique_ptr<UdpSocket> socket(new UdpSocket(io, receiver, clock));
  boost::system::error_code ec;
  const auto protocol = local.is_ipv6() ? boost::asio::ip::udp::v6() : boost::asio::ip::udp::v4();
  socket->socket_.open(protocol, ec);
  if (ec) return absl::InternalError(absl::StrCat("socket: ", ec.message()));
  socket->socket_.non_blocking(true, ec);
  // Media arrives in bursts (a keyframe is dozens of packets); large kernel buffers absorb them.
  // The FORCE options exceed net.core.rmem_max/wmem_max but need CAP_NET_ADMIN; without it the
  // plain options get what the sysctl allows.
  const int fd = socket->socket_.native_handle();
  const int size = kSocketBufferBytes;
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) != 0) {
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
  }
  if (::setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) != 0) {
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
  }
  socklen_t option_len = sizeof(int);
  ::getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &socket->receive_buffer_bytes_, &option_len);
  option_len = sizeof(int);
  ::getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &socket->send_buffer_bytes_, &option_len);
  const int on = 1;
  ::setsockopt(socket->socket_.native_handle(), SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on));
  // An IPv6 socket serves IPv6 only: IPv4 peers would otherwise arrive as ::ffff:a.b.c.d and
  // be answered in that form, and an IPv4 socket on the same port could not bind.
  if (local.is_ipv6()) ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
  sockaddr_storage storage;
  const socklen_t len = local.ToSockaddr(storage);
  if (::bind(socket->socket_.native_handle(), reinterpret_cast<sockaddr*>(&storage), len) != 0) {
    return absl::UnavailableError(
        absl::StrCat("bind ", local.ToString(), ": ", std::strerror(errno)));
  }
  sockaddr_storage bound;
  socklen_t bound_len = sizeof(bound);
  ::getsockname(socket->socket_.native_handle(), reinterpret_cast<sockaddr*>(&bound), &bound_len);
  auto address = SocketAddress::FromSockaddr(reinterpret_cast<sockaddr*>(&bound), bound_len);
  if (!address) return absl::InternalError("getsockname returned an unknown family");
  socket->local_address_ = *address;

  for (size_t i = 0; i < kBatchSize; ++i) {
    socket->iovecs_[i] = iovec{socket->buffers_[i].data(), kMaxDatagramSize};
    socket->send_iovecs_[i] = iovec{socket->send_buffers_[i].data(), 0};
    msghdr& header = socket->send_messages_[i].msg_hdr;
    header.msg_name = &socket->send_addresses_[i];
    header.msg_iov = &socket->send_iovecs_[i];
    header.msg_iovlen = 1;
  }
  return socket;
}

void UdpSocket::Start() { WaitReadable(); }

void UdpSocket::Close() {
  if (socket_.is_open()) Flush();
  boost::system::error_code ec;
  socket_.close(ec);
}

void UdpSocket::WaitReadable() {
  // The wait's operation lives in wait_memory_: re-arming per batch never allocates.
  socket_.async_wait(boost::asio::ip::udp::socket::wait_read,
                     WithMemory(wait_memory_, [this](const boost::system::error_code& ec) {
                       if (ec) return;  // closed
                       DrainReadable();
                       WaitReadable();
                     }));
}

void UdpSocket::DrainReadable() {
  // Bounded: at most a few batches per wakeup so one busy socket cannot starve the worker's
  // other work (timers, control messages).
  for (int round = 0; round < 8; ++round) {
    for (size_t i = 0; i < kBatchSize; ++i) {
      std::memset(&messages_[i], 0, sizeof(mmsghdr));
      messages_[i].msg_hdr.msg_name = &addresses_[i];
      messages_[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
      messages_[i].msg_hdr.msg_iov = &iovecs_[i];
      messages_[i].msg_hdr.msg_iovlen = 1;
      messages_[i].msg_hdr.msg_control = controls_[i].data();
      messages_[i].msg_hdr.msg_controllen = controls_[i].size();
    }
    const int n = ::recvmmsg(socket_.native_handle(), messages_.data(), kBatchSize, MSG_DONTWAIT,
                             nullptr);
    if (n <= 0) return;
    // Kernel timestamps are CLOCK_REALTIME; what matters is how long ago each datagram
    // arrived, which maps onto any clock: arrival = now - (realtime_now - kernel_time).
    const Timestamp now = clock_.Now();
    timespec realtime_now;
    ::clock_gettime(CLOCK_REALTIME, &realtime_now);
    const int64_t realtime_now_us = int64_t{realtime_now.tv_sec} * 1'000'000 +
                                    realtime_now.tv_nsec / 1000;
    for (int i = 0; i < n; ++i) {
      const mmsghdr& m = messages_[i];
      if (m.msg_hdr.msg_flags & MSG_TRUNC) {
        ++counters_.truncated_drops;
        continue;
      }
      auto from = SocketAddress::FromSockaddr(reinterpret_cast<const sockaddr*>(&addresses_[i]),
                                              m.msg_hdr.msg_namelen);
      if (!from) continue;
      ++counters_.datagrams_received;
      counters_.bytes_received += m.msg_len;
      Timestamp arrival = now;
      for (cmsghdr* c = CMSG_FIRSTHDR(&messages_[i].msg_hdr); c != nullptr;
           c = CMSG_NXTHDR(&messages_[i].msg_hdr, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
          timespec ts;
          std::memcpy(&ts, CMSG_DATA(c), sizeof(ts));
          const int64_t kernel_us = int64_t{ts.tv_sec} * 1'000'000 + ts.tv_nsec / 1000;
          const int64_t age_us = realtime_now_us - kernel_us;
          // A wall clock step would make the age meaningless; then use the read time.
          if (age_us >= 0 && age_us < 1'000'000) arrival = now - Duration(age_us);
        }
      }
      receiver_.OnDatagram(std::span<uint8_t>(buffers_[i].data(), m.msg_len),
                           local_id_ == 0 ? *from : from->WithLocalId(local_id_), arrival);
      if (!socket_.is_open()) return;  // Close() flushed
    }
    // What the Receiver queued for this batch (replies, fan-out) leaves in one syscall.
    receiver_.OnBatchEnd();
    if (!socket_.is_open()) return;
    Flush();
    if (n < static_cast<int>(kBatchSize)) return;
  }
}

bool UdpSocket::Send(std::span<const uint8_t> data, const SocketAddress& to) {
  sockaddr_storage storage;
  const socklen_t len = to.ToSockaddr(storage);
  const ssize_t sent = ::sendto(socket_.native_handle(), data.data(), data.size(), MSG_DONTWAIT,
                                reinterpret_cast<const sockaddr*>(&storage), len);
  if (sent < 0) {
    ++counters_.send_drops;
    return false;
  }
  ++counters_.datagrams_sent;
  counters_.bytes_sent += data.size();
  return true;
}

bool UdpSocket::QueueSend(std::span<const uint8_t> data, const SocketAddress& to) {
  if (data.size() > kMaxDatagramSize || !socket_.is_open()) {
    ++counters_.send_drops;
    return false;
  }
  const size_t slot = pending_sends_;
  std::memcpy(send_buffers_[slot].data(), data.data(), data.size());
  send_iovecs_[slot].iov_len = data.size();
  send_messages_[slot].msg_hdr.msg_namelen = to.ToSockaddr(send_addresses_[slot]);
  if (++pending_sends_ == kBatchSize) Flush();
  return true;
}

void UdpSocket::Flush() {
  const int fd = socket_.native_handle();
  size_t next = 0;
  while (next < pending_sends_) {
    // sendmmsg stops at the first datagram the kernel refuses and returns how many went before
    // it; only when the very first one fails does it return -1 with that datagram's errno
    // (sendmmsg(2)). So a short count means "call again from there".
    const auto count = static_cast<unsigned>(pending_sends_ - next);
    const int n = ::sendmmsg(fd, &send_messages_[next], count, MSG_DONTWAIT);
    if (n > 0) {
      for (size_t i = next; i < next + static_cast<size_t>(n); ++i) {
        ++counters_.datagrams_sent;
        counters_.bytes_sent += send_messages_[i].msg_len;
      }
      next += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) {
      // The socket buffer is full: the rest would fail the same way, one syscall each.
      counters_.send_drops += pending_sends_ - next;
      break;
    }
    // Refused for this datagram alone (e.g. EINVAL/EAFNOSUPPORT for a destination of the wrong
    // family, ENETUNREACH): drop it, send the rest. n == 0 cannot happen for a non-empty vector;
    // treating it the same guarantees progress.
    ++counters_.send_drops;
    ++next;
  }
  pending_sends_ = 0;
}

}  // namespace switchyard::transport
