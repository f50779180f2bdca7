#ifndef SWITCHYARD_TRANSPORT_UDP_SOCKET_H_
#define SWITCHYARD_TRANSPORT_UDP_SOCKET_H_

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <memory>
#include <span>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include "absl/status/statusor.h"
#include "transport/clock.h"
#include "transport/handler_memory.h"
#include "transport/socket_address.h"

namespace switchyard::transport {

// A non-blocking UDP socket driven by its worker's io_context. Reads are batched with
// recvmmsg(2) into buffers the socket owns and reuses, so receiving allocates nothing per packet.
//
// Sends go out one of two ways:
//  * Send(): one sendto(2) now. For control-path traffic and callers that need the datagram
//    gone before they return.
//  * QueueSend() + Flush(): the datagram is copied into one of kBatchSize preallocated slots
//    and all queued datagrams leave in one sendmmsg(2). Forwarding one received packet to N
//    subscribers then costs one syscall per 32 datagrams instead of one per datagram.
//
// Flush contract: the socket flushes by itself (a) when the batch is full, (b) after each
// recvmmsg batch has been delivered to the Receiver, so whatever the Receiver queued in
// OnDatagram (replies, fan-out) leaves together, and (c) in Close(). Any other code that queues
// (timers, posted tasks, another socket's Receiver) must call Flush() at the end of its event,
// or its datagrams wait until this socket next receives something.
class UdpSocket {
 public:
  static constexpr size_t kBatchSize = 32;
  // Largest datagram we accept. WebRTC stacks keep RTP under ~1200-1500 bytes; anything larger
  // is truncated by the kernel and counted as a drop.
  static constexpr size_t kMaxDatagramSize = 2048;
  // Kernel buffer sizes asked for: a 1200-byte stream at 430k packets/s loses ~10% with the
  // default ~208 KB buffers on loopback and none with 8 MB.
  static constexpr int kSocketBufferBytes = 8 << 20;

  class Receiver {
   public:
    virtual ~Receiver() = default;
    // `data` stays valid only during the call; the receiver may modify it in place (e.g. SRTP
    // decryption). `arrival` is when the kernel received the datagram (SO_TIMESTAMPNS),
    // expressed on the socket's clock: bandwidth estimation needs arrival times that do not
    // include how long the datagram waited for the worker thread.
    virtual void OnDatagram(std::span<uint8_t> data, const SocketAddress& from,
                            Timestamp arrival) = 0;
    // After each batch of OnDatagram calls, before the socket flushes its own queue: a
    // receiver that also sends through other sockets flushes those here.
    virtual void OnBatchEnd() {}
  };

  struct Counters {
    uint64_t datagrams_received = 0;
    uint64_t bytes_received = 0;
    uint64_t datagrams_sent = 0;
    uint64_t bytes_sent = 0;
    uint64_t truncated_drops = 0;  // received datagrams larger than kMaxDatagramSize
    // Send() or Flush() could not send a datagram (EAGAIN/ENOBUFS: socket buffer full, or
    // unreachable), or QueueSend() refused one (larger than kMaxDatagramSize, socket closed).
    uint64_t send_drops = 0;
  };

  // Binds to `local` (port 0 picks an ephemeral port). The socket starts reading on Start().
  static absl::StatusOr<std::unique_ptr<UdpSocket>> Bind(boost::asio::io_context& io,
                                                         const SocketAddress& local,
                                                         Receiver& receiver, const Clock& clock);
  ~UdpSocket();

  void Start();
  // Flushes queued datagrams, then closes. Idempotent.
  void Close();
  // Best effort, never blocks: a datagram the kernel will not take is dropped and counted.
  // Does not flush the queue first: a Send() may overtake earlier QueueSend()s.
  bool Send(std::span<const uint8_t> data, const SocketAddress& to);
  // Copies `data` into the next batch slot (`data` may be reused as soon as this returns) and
  // flushes when all kBatchSize slots are taken. True when queued, which does not mean sent:
  // Flush() drops what the kernel will not take, as Send() does. False, counted in send_drops,
  // when `data` is larger than kMaxDatagramSize or the socket is closed. No heap allocation.
  // Each slot has its own sockaddr_storage, so IPv4 and IPv6 destinations can share a batch;
  // as with Send(), an IPv4 socket reaches only IPv4 and an IPv6 one only IPv6 (IPV6_V6ONLY).
  bool QueueSend(std::span<const uint8_t> data, const SocketAddress& to);
  // Sends everything queued, in queue order, with as few sendmmsg(2) calls as the kernel
  // allows; nothing queued is a no-op (no syscall). Never blocks. Per datagram actually sent:
  // datagrams_sent and bytes_sent. A datagram the kernel refuses is dropped and counted in
  // send_drops; on EAGAIN/ENOBUFS (socket buffer full) the rest of the batch is dropped with it,
  // since each retry would just fail again in its own syscall.
  void Flush();
  // Datagrams queued and not yet flushed (0..kBatchSize-1 between calls).
  size_t pending_sends() const { return pending_sends_; }

  const SocketAddress& local_address() const { return local_address_; }
  // Stamped on the source address of every datagram received (SocketAddress::local_id), so an
  // owner of several sockets knows which one a peer is reached through. Default 0.
  void set_local_id(uint32_t id) { local_id_ = id; }
  // What the kernel granted (Linux reports twice the requested size, its bookkeeping
  // included). Below kSocketBufferBytes when the process lacks CAP_NET_ADMIN and
  // net.core.rmem_max / wmem_max are smaller.
  int receive_buffer_bytes() const { return receive_buffer_bytes_; }
  int send_buffer_bytes() const { return send_buffer_bytes_; }
  const Counters& counters() const { return counters_; }

 private:
  UdpSocket(boost::asio::io_context& io, Receiver& receiver, const Clock& clock);
  void WaitReadable();
  void DrainReadable();

  boost::asio::ip::udp::socket socket_;
  Receiver& receiver_;
  const Clock& clock_;
  SocketAddress local_address_;
  uint32_t local_id_ = 0;
  int receive_buffer_bytes_ = 0;
  int send_buffer_bytes_ = 0;
  Counters counters_;
  // The readable wait's operation (see HandlerMemory for why it is shared).
  std::shared_ptr<HandlerMemory> wait_memory_ = std::make_shared<HandlerMemory>();
  std::array<std::array<uint8_t, kMaxDatagramSize>, kBatchSize> buffers_{};
  std::array<sockaddr_storage, kBatchSize> addresses_{};
  std::array<iovec, kBatchSize> iovecs_{};
  std::array<mmsghdr, kBatchSize> messages_{};
  // Room for one SCM_TIMESTAMPNS control message per datagram.
  std::array<std::array<uint8_t, CMSG_SPACE(sizeof(timespec))>, kBatchSize> controls_{};
  // The send batch: slot i is send_buffers_[i] to send_addresses_[i]. The headers point at
  // their slot once (in Bind); QueueSend sets only the lengths.
  size_t pending_sends_ = 0;
  std::array<std::array<uint8_t, kMaxDatagramSize>, kBatchSize> send_buffers_{};
  std::array<sockaddr_storage, kBatchSize> send_addresses_{};
  std::array<iovec, kBatchSize> send_iovecs_{};
  std::array<mmsghdr, kBatchSize> send_messages_{};
};

}  // namespace switchyard::transport

#endif  // SWITCHYARD_TRANSPORT_UDP_SOCKET_H_
