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
#include "transport/socket_address.h"

namespace switchyard::transport {

// A non-blocking UDP socket driven by its worker's io_context. Reads are batched with
// recvmmsg(2) into buffers the socket owns and reuses, so receiving allocates nothing per packet.
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
  };

  struct Counters {
    uint64_t datagrams_received = 0;
    uint64_t bytes_received = 0;
    uint64_t datagrams_sent = 0;
    uint64_t bytes_sent = 0;
    uint64_t truncated_drops = 0;  // received datagrams larger than kMaxDatagramSize
    uint64_t send_drops = 0;       // sendto failed (EAGAIN: socket buffer full, or unreachable)
  };

  // Binds to `local` (port 0 picks an ephemeral port). The socket starts reading on Start().
  static absl::StatusOr<std::unique_ptr<UdpSocket>> Bind(boost::asio::io_context& io,
                                                         const SocketAddress& local,
                                                         Receiver& receiver, const Clock& clock);
  ~UdpSocket();

  void Start();
  void Close();
  // Best effort, never blocks: a datagram the kernel will not take is dropped and counted.
  bool Send(std::span<const uint8_t> data, const SocketAddress& to);

  const SocketAddress& local_address() const { return local_address_; }
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
  int receive_buffer_bytes_ = 0;
  int send_buffer_bytes_ = 0;
  Counters counters_;
  std::array<std::array<uint8_t, kMaxDatagramSize>, kBatchSize> buffers_{};
  std::array<sockaddr_storage, kBatchSize> addresses_{};
  std::array<iovec, kBatchSize> iovecs_{};
  std::array<mmsghdr, kBatchSize> messages_{};
  // Room for one SCM_TIMESTAMPNS control message per datagram.
  std::array<std::array<uint8_t, CMSG_SPACE(sizeof(timespec))>, kBatchSize> controls_{};
};

}  // namespace switchyard::transport

#endif  // SWITCHYARD_TRANSPORT_UDP_SOCKET_H_
