#ifndef SWITCHYARD_TRANSPORT_TURN_SERVICE_H_
#define SWITCHYARD_TRANSPORT_TURN_SERVICE_H_

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "transport/clock.h"
#include "transport/socket_address.h"
#include "transport/turn_server.h"
#include "transport/udp_socket.h"

namespace switchyard::transport {

// The embedded STUN/TURN server: a UDP socket and (optionally) a TCP listener on the same port
// (conventionally 3478) whose messages go to a TurnServer, and one UDP socket per allocation on
// the relay address (an ephemeral port, RFC 8656 §7.2 lets the server choose), all on one
// io_context thread. A 1 s timer expires allocations, permissions and channels.
//
// Over TCP (RFC 8656 §3.1) a connection carries STUN messages and ChannelData back to back,
// each delimited by its own length field (ChannelData padded to 4 bytes); the allocation made
// on a connection ends when it closes. A client whose UDP is blocked still reaches the SFU this
// way: TCP to us, UDP from its relay.
//
// Not here yet: TLS (5349/443) and the in-process short-circuit to the SFU's own sockets.
class TurnService final : public TurnServer::Network, private UdpSocket::Receiver {
 public:
  struct Options {
    SocketAddress listen;          // e.g. 0.0.0.0:3478
    SocketAddress relay_address;   // the IP relays bind to (port ignored)
    // The IP put into XOR-RELAYED-ADDRESS when it differs from relay_address: a server behind
    // 1:1 NAT (cloud VM) or bound to a wildcard tells clients its public address. Empty = the
    // bound address.
    SocketAddress relay_announced;
    TurnServerConfig turn;
    // Also accept TURN over TCP on the listen address and port.
    bool tcp = true;
    // Open TCP connections at most (each holds a 64 KB read buffer); more are refused.
    size_t max_tcp_connections = 4096;
    // A TCP connection without an allocation is closed after this long without a message, so
    // idle connections cannot use up max_tcp_connections (coturn closes them too).
    Duration tcp_idle_timeout = std::chrono::seconds(30);
    // Called on the service's thread after every 1 s tick with the server's counters, e.g. to
    // publish them to another thread without making that thread wait on this one.
    std::function<void(const TurnServer::Stats&)> on_stats;
    // The SFU's own media addresses as clients know them (announced) and as bound, when they
    // differ: relayed datagrams for an announced address go to the bound one, so a server
    // behind 1:1 NAT does not depend on the NAT hairpinning its own public address.
    std::vector<std::pair<SocketAddress, SocketAddress>> self_rewrites;
  };

  // Binds the listener; relays are bound on demand. `clock` must track real time (the sockets
  // stamp arrivals with it); `unix_now` gives Unix seconds for credential expiry.
  static absl::StatusOr<std::unique_ptr<TurnService>> Create(
      boost::asio::io_context& io, const Clock& clock, std::function<int64_t()> unix_now,
      Options options);
  ~TurnService() override;
  TurnService(const TurnService&) = delete;
  TurnService& operator=(const TurnService&) = delete;

  // Starts reading and the expiry timer. Call on the io_context's thread (or before it runs).
  void Start();
  // Stops reading, closes every socket and cancels the timer. Idempotent.
  void Stop();

  const SocketAddress& listen_address() const { return listener_->local_address(); }
  // The TCP listener's address (its port is the UDP port when that was fixed; with port 0 the
  // kernel picks each), or empty without TCP.
  const SocketAddress& tcp_listen_address() const { return tcp_address_; }
  const TurnServer& server() const { return *server_; }

 private:
  class Relay;
  class TcpConnection;
  void Accept();

  TurnService(boost::asio::io_context& io, const Clock& clock, Options options);
  void ScheduleTimer();
  // Closes TCP connections idle past tcp_idle_timeout that hold no allocation.
  void CloseIdleTcp(Timestamp now);
  // A relay socket on `port` of the relay address (0 = any), not yet reading.
  absl::StatusOr<std::unique_ptr<Relay>> BindRelay(uint16_t port);
  // EVEN-PORT (and its R bit): an even port, and with `reserve_next` port + 1 held for later.
  absl::StatusOr<TurnRelayGrant> BindEvenRelay(bool reserve_next, std::unique_ptr<Relay>& out);

  // UdpSocket::Receiver (the listener)
  void OnDatagram(std::span<uint8_t> data, const SocketAddress& from, Timestamp arrival) override;

  // TurnServer::Network
  void SendToClient(const TurnClientTuple& tuple, std::span<const uint8_t> data) override;
  absl::StatusOr<TurnRelayGrant> OpenRelay(const TurnClientTuple& tuple,
                                           const TurnRelayRequest& request) override;
  void CloseRelay(const SocketAddress& relay) override;
  void SendFromRelay(const SocketAddress& relay, const SocketAddress& peer,
                     std::span<const uint8_t> data) override;

  boost::asio::io_context& io_;
  const Clock& clock_;
  const Options options_;
  std::unique_ptr<UdpSocket> listener_;
  std::unique_ptr<TurnServer> server_;
  absl::flat_hash_map<SocketAddress, std::unique_ptr<Relay>, SocketAddressHash> relays_;
  // Ports held for a later Allocate with RESERVATION-TOKEN (RFC 8656 §7.2: ~30 s).
  static constexpr Duration kReservationLifetime = std::chrono::seconds(30);
  struct Reservation {
    std::unique_ptr<Relay> relay;
    Timestamp expires;
  };
  std::map<TurnReservationToken, Reservation> reservations_;
  // Relays closed from inside a handler; destroyed at the next timer tick.
  std::vector<std::unique_ptr<Relay>> closing_;
  boost::asio::steady_timer timer_;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  SocketAddress tcp_address_;
  absl::flat_hash_map<SocketAddress, std::shared_ptr<TcpConnection>, SocketAddressHash> tcp_;
  bool stopped_ = false;
};

}  // namespace switchyard::transport

#endif  // SWITCHYARD_TRANSPORT_TURN_SERVICE_H_
