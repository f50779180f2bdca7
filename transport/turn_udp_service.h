#ifndef SWITCHYARD_TRANSPORT_TURN_UDP_SERVICE_H_
#define SWITCHYARD_TRANSPORT_TURN_UDP_SERVICE_H_

#include <boost/asio/io_context.hpp>
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

// The embedded STUN/TURN server on UDP: one listening socket (conventionally port 3478) whose
// datagrams go to a TurnServer, and one UDP socket per allocation on the relay address (an
// ephemeral port, RFC 8656 §7.2 lets the server choose), all on one io_context thread. A 1 s
// timer expires allocations, permissions and channels.
//
// TCP and TLS listeners (RFC 8656 §3.1 framing) and the in-process short-circuit to the SFU's
// own sockets are not here yet.
class TurnUdpService final : public TurnServer::Network, private UdpSocket::Receiver {
 public:
  struct Options {
    SocketAddress listen;          // e.g. 0.0.0.0:3478
    SocketAddress relay_address;   // the IP relays bind to (port ignored)
    // The IP put into XOR-RELAYED-ADDRESS when it differs from relay_address: a server behind
    // 1:1 NAT (cloud VM) or bound to a wildcard tells clients its public address. Empty = the
    // bound address.
    SocketAddress relay_announced;
    TurnServerConfig turn;
    // The SFU's own media addresses as clients know them (announced) and as bound, when they
    // differ: relayed datagrams for an announced address go to the bound one, so a server
    // behind 1:1 NAT does not depend on the NAT hairpinning its own public address.
    std::vector<std::pair<SocketAddress, SocketAddress>> self_rewrites;
  };

  // Binds the listener; relays are bound on demand. `clock` must track real time (the sockets
  // stamp arrivals with it); `unix_now` gives Unix seconds for credential expiry.
  static absl::StatusOr<std::unique_ptr<TurnUdpService>> Create(
      boost::asio::io_context& io, const Clock& clock, std::function<int64_t()> unix_now,
      Options options);
  ~TurnUdpService() override;
  TurnUdpService(const TurnUdpService&) = delete;
  TurnUdpService& operator=(const TurnUdpService&) = delete;

  // Starts reading and the expiry timer. Call on the io_context's thread (or before it runs).
  void Start();
  // Stops reading, closes every socket and cancels the timer. Idempotent.
  void Stop();

  const SocketAddress& listen_address() const { return listener_->local_address(); }
  const TurnServer& server() const { return *server_; }

 private:
  class Relay;

  TurnUdpService(boost::asio::io_context& io, const Clock& clock, Options options);
  void ScheduleTimer();
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
  bool stopped_ = false;
};

}  // namespace switchyard::transport

#endif  // SWITCHYARD_TRANSPORT_TURN_UDP_SERVICE_H_
