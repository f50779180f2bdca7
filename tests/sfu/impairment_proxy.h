#ifndef SWITCHYARD_TESTS_SFU_IMPAIRMENT_PROXY_H_
#define SWITCHYARD_TESTS_SFU_IMPAIRMENT_PROXY_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <random>
#include <span>
#include <vector>

#include "tests/sfu/loopback_socket.h"
#include "transport/clock.h"
#include "transport/socket_address.h"

namespace switchyard::sfu::testing {

// What one direction of the proxied path does to datagrams, in this order: random loss, then
// a token-bucket rate cap feeding a bounded drop-tail queue (a bottleneck router).
struct LinkImpairment {
  double loss = 0.0;                 // fraction of datagrams dropped at random, 0..1
  std::optional<uint64_t> rate_bps;  // cap on UDP payload bits per second; nullopt = none
  size_t burst_bytes = 3000;         // token bucket depth
  size_t queue_limit_bytes = 40000;  // a datagram that does not fit is dropped (drop-tail)
};

// A UDP relay on loopback between one peer and a server (an sfu::Worker): the peer sends to
// client_address(), the proxy forwards from its own server-side socket (so the server sees the
// proxy as the peer) and relays the answers back to wherever the peer last sent from. Each
// direction has its own LinkImpairment, changeable at any time. Randomness comes from a
// seeded generator, so a run is repeatable up to timing.
//
// Single-threaded: the owner polls fds() and calls Process(now) when they are readable or
// NextRelease() has come.
class ImpairmentProxy {
 public:
  enum class Direction { kToServer = 0, kToClient = 1 };

  struct DirectionStats {
    uint64_t received = 0;
    uint64_t forwarded = 0;
    uint64_t forwarded_bytes = 0;
    uint64_t dropped_random = 0;
    uint64_t dropped_queue = 0;
    size_t max_queue_bytes = 0;
  };

  // Sees every datagram as it enters the proxy, before any impairment (SRTP keeps the RTP
  // header and RTCP's first 8 bytes in the clear, RFC 3711 §3.1 / §3.4).
  using Tap = std::function<void(Direction direction, std::span<const uint8_t> datagram,
                                 transport::Timestamp now)>;

  ImpairmentProxy(const transport::Clock& clock, const transport::SocketAddress& server,
                  uint32_t seed);

  bool ok() const { return client_side_.ok() && server_side_.ok(); }
  const transport::SocketAddress& client_address() const { return client_side_.local_address(); }
  std::array<int, 2> fds() const { return {client_side_.fd(), server_side_.fd()}; }

  // Takes effect for the next datagram. Lifting a cap sends what is queued at once.
  void SetImpairment(Direction direction, const LinkImpairment& impairment);
  void set_tap(Tap tap) { tap_ = std::move(tap); }

  // Reads every waiting datagram and releases what the token buckets allow.
  void Process();
  // When the next queued datagram can leave, if any is queued.
  std::optional<transport::Timestamp> NextRelease() const;

  const DirectionStats& stats(Direction direction) const {
    return links_[static_cast<size_t>(direction)].stats;
  }

 private:
  struct Link {
    LinkImpairment impairment;
    std::deque<std::vector<uint8_t>> queue;
    size_t queued_bytes = 0;
    double tokens = 0;
    transport::Timestamp last_refill;
    DirectionStats stats;
  };

  void Ingress(Direction direction, std::span<const uint8_t> datagram, transport::Timestamp now);
  void Refill(Link& link, transport::Timestamp now);
  void Release(Direction direction, transport::Timestamp now);
  void Emit(Direction direction, std::span<const uint8_t> datagram);

  const transport::Clock& clock_;
  const transport::SocketAddress server_;
  std::optional<transport::SocketAddress> client_;
  LoopbackSocket client_side_;
  LoopbackSocket server_side_;
  std::array<Link, 2> links_;
  std::mt19937 random_;
  std::uniform_real_distribution<double> uniform_{0.0, 1.0};
  Tap tap_;
};

}  // namespace switchyard::sfu::testing

#endif  // SWITCHYARD_TESTS_SFU_IMPAIRMENT_PROXY_H_
