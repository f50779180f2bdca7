#ifndef SWITCHYARD_TRANSPORT_TURN_SERVICE_H_
#define SWITCHYARD_TRANSPORT_TURN_SERVICE_H_

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "transport/clock.h"
#include "transport/datagram_queue.h"
#include "transport/eventfd_waiter.h"
#include "transport/handler_memory.h"
#include "transport/socket_address.h"
#include "transport/turn_server.h"
#include "transport/udp_socket.h"

namespace switchyard::transport {

// The embedded STUN/TURN server: a UDP socket, (optionally) a TCP listener on the same port
// (conventionally 3478) and a TLS listener on a port of its own (conventionally 5349), whose
// messages go to a TurnServer, and one UDP socket per allocation on the relay address (an
// ephemeral port, RFC 8656 §7.2 lets the server choose), all on one io_context thread. A 1 s
// timer expires allocations, permissions and channels.
//
// Over TCP and TLS (RFC 8656 §3.1) a connection carries STUN messages and ChannelData back to
// back, each delimited by its own length field (ChannelData padded to 4 bytes); the allocation
// made on a connection ends when it closes. A client whose UDP is blocked still reaches the SFU
// this way: TCP or TLS to us, UDP from its relay. TLS ("turns:" URLs, RFC 7065) also passes
// firewalls and proxies that let only TLS out (the listener on 443); both stream transports
// share one connection type, TLS only adding its handshake.
//
// Relayed media between a relay and the SFU's own worker sockets (Options::in_process) skips
// the kernel: datagrams go through lock-free queues between this thread and the worker's,
// copied once each way, instead of a sendto and a recvmmsg on loopback.
//
// Not here yet: DTLS.
class TurnService final : public TurnServer::Network, private UdpSocket::Receiver {
 public:
  // The stream listeners' connections, for metrics and tests.
  struct StreamStats {
    size_t tcp_open = 0;
    size_t tls_open = 0;  // handshakes in progress included
    uint64_t tcp_accepted = 0;
    uint64_t tls_accepted = 0;
    uint64_t refused = 0;  // over max_stream_connections
    uint64_t tls_handshakes = 0;
    // Not TLS, no common version or cipher suite, or the client's alert.
    uint64_t tls_handshake_failures = 0;
    uint64_t tls_handshake_timeouts = 0;
    uint64_t idle_closed = 0;      // stream_idle_timeout without an allocation
    uint64_t overflow_closed = 0;  // a reader too slow for the write cap
    // The in-process path to the SFU's workers (not streams, but counted with this service's
    // own counters): datagrams handed to workers, taken from them, and refused because a
    // worker's queue was full.
    uint64_t in_process_to_sfu = 0;
    uint64_t in_process_from_sfu = 0;
    uint64_t in_process_drops = 0;
  };

  // One SFU worker reachable in process: datagrams a relay sends to any of `bound` (the
  // worker's socket addresses, after self_rewrites) go into `to_worker` instead of a socket;
  // `from_worker` holds what the worker sent to relays. Both borrowed: they outlive the service.
  struct InProcessWorker {
    std::vector<SocketAddress> bound;
    DatagramQueue* to_worker = nullptr;
    DatagramQueue* from_worker = nullptr;
  };

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
    // TURN over TLS on the listen address and `tls_port` (0 = ephemeral) with this server
    // context (certificate, ciphers, ALPN: api/tls_context.h); null = no TLS. Whatever the
    // context says, the service allows TLS 1.2 and later only (RFC 8996) and no renegotiation.
    std::shared_ptr<boost::asio::ssl::context> tls;
    uint16_t tls_port = 5349;
    // A TLS client that has not completed its handshake this long after connecting is closed:
    // the idle close below counts messages, and a client that opens TCP and then says nothing
    // (or dribbles a ClientHello) would otherwise hold a connection slot for that long.
    Duration tls_handshake_timeout = std::chrono::seconds(10);
    // Open TCP and TLS connections at most, together (each holds a 64 KB read buffer, a TLS
    // one about 70 KB of record buffers more); more are refused.
    size_t max_stream_connections = 4096;
    // A TCP or TLS connection without an allocation is closed after this long without a
    // message, so idle connections cannot use up max_stream_connections (coturn closes them
    // too).
    Duration stream_idle_timeout = std::chrono::seconds(30);
    // Called on the service's thread after every 1 s tick with the server's and the stream
    // listeners' counters, e.g. to publish them to another thread without making that thread
    // wait on this one.
    std::function<void(const TurnServer::Stats&, const StreamStats&)> on_stats;
    // The SFU's own media addresses as clients know them (announced) and as bound, when they
    // differ: relayed datagrams for an announced address go to the bound one, so a server
    // behind 1:1 NAT does not depend on the NAT hairpinning its own public address.
    std::vector<std::pair<SocketAddress, SocketAddress>> self_rewrites;
    std::vector<InProcessWorker> in_process;
  };

  // Binds the listeners; relays are bound on demand. `clock` must track real time (the sockets
  // stamp arrivals with it); `unix_now` gives Unix seconds for credential expiry. A listener
  // that cannot bind fails with Unavailable whose message starts with its transport ("UDP: ",
  // "TCP: ", "TLS: ") and names the address.
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
  const SocketAddress& tcp_listen_address() const { return tcp_.address; }
  // The TLS listener's address, or empty without TLS.
  const SocketAddress& tls_listen_address() const { return tls_.address; }
  const TurnServer& server() const { return *server_; }
  const StreamStats& stream_stats() const { return stream_stats_; }

 private:
  class Relay;
  // One client connection over TCP or TLS; StreamConnectionOn<Stream> does its I/O.
  class StreamConnection;
  template <typename Stream>
  class StreamConnectionOn;
  // Sockets bound to the io_context's own executor type rather than the polymorphic
  // any_io_executor: Asio then runs a TLS operation's completion directly instead of wrapping
  // it in a heap-allocated function object for the polymorphic executor.
  using StreamSocket = boost::asio::basic_stream_socket<boost::asio::ip::tcp,
                                                        boost::asio::io_context::executor_type>;
  using StreamAcceptor = boost::asio::basic_socket_acceptor<boost::asio::ip::tcp,
                                                            boost::asio::io_context::executor_type>;
  struct StreamListener {
    std::unique_ptr<StreamAcceptor> acceptor;
    SocketAddress address;
    TurnTransport transport = TurnTransport::kTcp;
    bool accepting = false;  // an accept is outstanding; the timer re-arms a failed one
  };

  TurnService(boost::asio::io_context& io, const Clock& clock, Options options);
  // The in-process path: hands worker `index`'s datagrams to the relays they address as if the
  // relay sockets had received them.
  void DrainWorker(size_t index);
  void ScheduleTimer();
  // A listening stream socket on `want` (port 0 = ephemeral), its error prefixed `name`.
  absl::Status Listen(StreamListener& listener, const SocketAddress& want, const char* name);
  void Accept(StreamListener& listener);
  // Closes TLS connections whose handshake is past tls_handshake_timeout, and connections idle
  // past stream_idle_timeout that hold no allocation.
  void CloseStaleStreams(Timestamp now);
  // A closed connection leaves the table (and the counts).
  void ForgetStream(const TurnClientTuple& tuple);
  // A relay socket on `port` of the relay address (0 = any), not yet reading.
  absl::StatusOr<std::unique_ptr<Relay>> BindRelay(uint16_t port);
  // EVEN-PORT (and its R bit): an even port, and with `reserve_next` port + 1 held for later.
  absl::StatusOr<TurnRelayGrant> BindEvenRelay(bool reserve_next, std::unique_ptr<Relay>& out);

  // UdpSocket::Receiver (the listener)
  void OnDatagram(std::span<uint8_t> data, const SocketAddress& from, Timestamp arrival) override;
  void OnBatchEnd() override;
  // Sends what the listener and the relays have queued: the end of every event that can send
  // (a relay's or a stream's read, an in-process drain, the timer).
  void FlushSends();

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
  StreamListener tcp_;
  StreamListener tls_;
  // False from Stop() on; shared with accept completions that may outlive the service.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  absl::flat_hash_map<TurnClientTuple, std::shared_ptr<StreamConnection>> streams_;
  StreamStats stream_stats_;
  // In-process path: worker socket address -> its queue; one wakeup wait per worker.
  absl::flat_hash_map<SocketAddress, DatagramQueue*, SocketAddressHash> to_workers_;
  std::vector<std::unique_ptr<EventfdWaiter>> worker_wakes_;
  // Relay sockets with datagrams queued since the last flush (pointers stay valid: a closed
  // relay lives in closing_ until the next tick, and every event ends with a flush).
  std::vector<UdpSocket*> dirty_relays_;
  bool stopped_ = false;
};

}  // namespace switchyard::transport

#endif  // SWITCHYARD_TRANSPORT_TURN_SERVICE_H_
