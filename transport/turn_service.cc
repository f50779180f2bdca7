#include "transport/turn_service.h"

#include <openssl/rand.h>
#include <openssl/ssl.h>

#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <cstring>
#include <type_traits>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "transport/handler_memory.h"

namespace switchyard::transport {

// One allocation's relay socket: what arrives on it is the peers' data for the TurnServer.
class TurnService::Relay final : public UdpSocket::Receiver {
 public:
  Relay(TurnService& service, TurnServer& server, const Options& options)
      : service_(service), server_(server), options_(options) {}
  void OnDatagram(std::span<uint8_t> data, const SocketAddress& from, Timestamp) override {
    // The SFU answers from its bound socket; its client knows it by the announced address.
    for (const auto& [announced, bound] : options_.self_rewrites) {
      if (from == bound) {
        server_.HandlePeerPacket(advertised, announced, data);
        return;
      }
    }
    server_.HandlePeerPacket(advertised, from, data);
  }
  // What the peer's datagrams made the server send (to clients, to other peers) leaves now.
  void OnBatchEnd() override { service_.FlushSends(); }
  TurnService& service_;
  TurnServer& server_;
  const Options& options_;
  std::unique_ptr<UdpSocket> socket;
  SocketAddress advertised;  // what the TurnServer and the client know this relay as
};

// One TURN client on a byte stream (RFC 8656 §3.1): frames STUN messages and ChannelData out
// of the stream and writes the server's answers back in order. The framing, the write queue
// and the bookkeeping are the same over TCP and TLS; StreamConnectionOn<Stream> does the I/O
// (and the TLS handshake) and calls back OnEstablished, OnRead and OnWritten.
//
// Steady-state traffic allocates nothing here: the read buffer is fixed, writes alternate
// between two buffers that keep their capacity, and the one read and one write outstanding
// take their operation memory from the connection (HandlerMemory) instead of the heap. (Over
// TLS, OpenSSL 3.0's record layer itself still mallocs a small block per record.)
class TurnService::StreamConnection : public std::enable_shared_from_this<StreamConnection> {
 public:
  StreamConnection(TurnService& service, TurnClientTuple tuple)
      : service_(service), read_memory_(std::make_shared<HandlerMemory>()),
        write_memory_(std::make_shared<HandlerMemory>()), tuple_(std::move(tuple)),
        in_(kMaxFrame), accepted_(service.clock_.Now()), last_message_(accepted_) {}
  virtual ~StreamConnection() = default;

  // Starts the TLS handshake, or reading at once over TCP.
  virtual void Start() = 0;

  bool established() const { return established_; }
  Timestamp accepted() const { return accepted_; }
  Timestamp last_message() const { return last_message_; }
  const TurnClientTuple& tuple() const { return tuple_; }

  void Send(std::span<const uint8_t> data) {
    if (closed_) return;
    // A slow reader may not hold the server's memory hostage.
    if (pending_.size() + in_flight_.size() + data.size() > kMaxQueuedBytes) {
      ++service_.stream_stats_.overflow_closed;
      return Close();
    }
    pending_.insert(pending_.end(), data.begin(), data.end());
    if (!writing_ && established_) WriteNext();
  }

  // Ends the connection and the allocation made on it. Handlers still outstanding complete
  // with an error and, seeing closed_, touch nothing else (the service may be gone by then).
  void Close() {
    if (closed_) return;
    closed_ = true;
    CloseStream();
    service_.server_->OnClientClosed(tuple_);
    service_.ForgetStream(tuple_);  // may destroy `this` once the handlers let go
  }

  // The TLS handshake's end (TCP: at once).
  void OnEstablished(const boost::system::error_code& error) {
    if (closed_) return;  // timed out or stopped meanwhile, and counted there
    if (error) {
      ++service_.stream_stats_.tls_handshake_failures;
      return Close();
    }
    if (tuple_.transport == TurnTransport::kTls) ++service_.stream_stats_.tls_handshakes;
    established_ = true;
    last_message_ = service_.clock_.Now();
    Read();
    if (!pending_.empty()) WriteNext();
  }

  void OnRead(const boost::system::error_code& error, size_t n) {
    if (error || closed_) return Close();
    have_ += n;
    const bool delivered = Deliver();
    service_.FlushSends();  // what the messages made the server send over UDP
    if (!delivered) return Close();
    Read();
  }

  void OnWritten(const boost::system::error_code& error) {
    if (error || closed_) return Close();
    in_flight_.clear();
    // A burst may have grown the buffer to the write cap; do not keep that per connection.
    if (in_flight_.capacity() > kKeptWriteCapacity) std::vector<uint8_t>().swap(in_flight_);
    WriteNext();
  }

 protected:
  virtual void AsyncRead(std::span<uint8_t> into) = 0;
  virtual void AsyncWrite(std::span<const uint8_t> data) = 0;
  virtual void CloseStream() = 0;

  TurnService& service_;
  const std::shared_ptr<HandlerMemory> read_memory_;   // the handshake, then every read
  const std::shared_ptr<HandlerMemory> write_memory_;

 private:
  static constexpr size_t kMaxQueuedBytes = 1 << 20;
  static constexpr size_t kKeptWriteCapacity = 64 * 1024;
  // The largest frame either kind can be: a STUN message (20 + 65535) is longer than the
  // largest padded ChannelData (4 + 65535 + 1).
  static constexpr size_t kMaxFrame = kStunMaxMessageSize;

  void Read() { AsyncRead(std::span<uint8_t>(in_.data() + have_, in_.size() - have_)); }

  // Hands every complete message to the server; false when the stream is not TURN.
  bool Deliver() {
    size_t pos = 0;
    while (!closed_ && have_ - pos >= 4) {
      const uint8_t* p = in_.data() + pos;
      const size_t length = (size_t{p[2]} << 8) | p[3];
      size_t frame = 0;
      size_t message = 0;
      switch (p[0] >> 6) {
        case 0:  // STUN: 20-byte header + length
          frame = message = kStunHeaderSize + length;
          break;
        case 1:  // ChannelData: 4-byte header + data, padded to 4 over streams
          message = 4 + length;
          frame = (message + 3) & ~size_t{3};
          break;
        default:
          return false;
      }
      if (frame > in_.size()) return false;
      if (have_ - pos < frame) break;
      last_message_ = service_.clock_.Now();
      service_.server_->HandleClientPacket(tuple_, std::span<const uint8_t>(p, message));
      pos += frame;
    }
    if (pos > 0) {
      std::memmove(in_.data(), in_.data() + pos, have_ - pos);
      have_ -= pos;
    }
    return true;
  }

  // Writes everything queued so far in one go; what the server sends meanwhile waits in the
  // other buffer.
  void WriteNext() {
    if (pending_.empty() || closed_) {
      writing_ = false;
      return;
    }
    writing_ = true;
    in_flight_.swap(pending_);
    AsyncWrite(in_flight_);
  }

  const TurnClientTuple tuple_;
  std::vector<uint8_t> in_;
  size_t have_ = 0;
  std::vector<uint8_t> pending_;    // queued, not yet written
  std::vector<uint8_t> in_flight_;  // being written
  bool writing_ = false;
  bool established_ = false;
  bool closed_ = false;
  const Timestamp accepted_;
  Timestamp last_message_;
};

// The I/O of a StreamConnection on a TCP socket or a TLS stream over one.
template <typename Stream>
class TurnService::StreamConnectionOn final : public StreamConnection {
 public:
  static constexpr bool kTls = !std::is_same_v<Stream, StreamSocket>;

  StreamConnectionOn(TurnService& service, StreamSocket socket, TurnClientTuple tuple)
      : StreamConnection(service, std::move(tuple)),
        stream_(MakeStream(std::move(socket), service)) {
    if constexpr (kTls) {
      // Asio asks OpenSSL to free its record buffers whenever they are empty, which costs a
      // malloc and a free per record on a busy connection; keep them instead (~34 KB).
      SSL_clear_mode(stream_.native_handle(), SSL_MODE_RELEASE_BUFFERS);
    }
  }

  void Start() override {
    if constexpr (kTls) {
      stream_.async_handshake(
          boost::asio::ssl::stream_base::server,
          WithMemory(read_memory_, [self = shared_from_this()](const boost::system::error_code& e) {
            self->OnEstablished(e);
          }));
    } else {
      OnEstablished({});
    }
  }

 private:
  static Stream MakeStream(StreamSocket socket, TurnService& service) {
    if constexpr (kTls) {
      return Stream(std::move(socket), *service.options_.tls);
    } else {
      return socket;
    }
  }

  void AsyncRead(std::span<uint8_t> into) override {
    stream_.async_read_some(
        boost::asio::buffer(into.data(), into.size()),
        WithMemory(read_memory_, [self = shared_from_this()](const boost::system::error_code& e,
                                                              size_t n) { self->OnRead(e, n); }));
  }

  void AsyncWrite(std::span<const uint8_t> data) override {
    boost::asio::async_write(
        stream_, boost::asio::buffer(data.data(), data.size()),
        WithMemory(write_memory_, [self = shared_from_this()](const boost::system::error_code& e,
                                                               size_t) { self->OnWritten(e); }));
  }

  // No TLS close_notify: the connection ends either way, and waiting for the client's answer
  // would keep a slot for a client that may never give one.
  void CloseStream() override {
    boost::system::error_code ignored;
    stream_.lowest_layer().close(ignored);
  }

  Stream stream_;
};

TurnService::TurnService(boost::asio::io_context& io, const Clock& clock, Options options)
    : io_(io), clock_(clock), options_(std::move(options)), timer_(io) {}

absl::StatusOr<std::unique_ptr<TurnService>> TurnService::Create(
    boost::asio::io_context& io, const Clock& clock, std::function<int64_t()> unix_now,
    Options options) {
  std::unique_ptr<TurnService> service(new TurnService(io, clock, std::move(options)));
  absl::StatusOr<std::unique_ptr<UdpSocket>> listener =
      UdpSocket::Bind(io, service->options_.listen, *service, clock);
  if (!listener.ok()) {
    return absl::Status(listener.status().code(),
                        absl::StrCat("UDP: ", listener.status().message()));
  }
  service->listener_ = *std::move(listener);
  service->server_ = std::make_unique<TurnServer>(clock, std::move(unix_now),
                                                  service->options_.turn, *service);
  if (service->options_.tcp) {
    // The same port as UDP (3478 serves both); an ephemeral UDP port gets its own TCP port.
    const SocketAddress& udp = service->listener_->local_address();
    const SocketAddress& want =
        service->options_.listen.port() == 0 ? service->options_.listen : udp;
    service->tcp_.transport = TurnTransport::kTcp;
    if (auto s = service->Listen(service->tcp_, want, "TCP"); !s.ok()) return s;
  }
  if (service->options_.tls) {
    SSL_CTX* ctx = service->options_.tls->native_handle();
    // RFC 8996: not TLS 1.0 or 1.1; renegotiation has had a string of attacks and TURN never
    // needs it (a TLS 1.3 KeyUpdate still works).
    const int min = SSL_CTX_get_min_proto_version(ctx);
    if (min == 0 || min < TLS1_2_VERSION) SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
    const SocketAddress& ip = service->options_.listen;
    const uint16_t port = service->options_.tls_port;
    const SocketAddress want = ip.is_ipv4() ? SocketAddress::FromIpv4(ip.ipv4_host_order(), port)
                                            : SocketAddress::FromIpv6(ip.ip_bytes(), port);
    service->tls_.transport = TurnTransport::kTls;
    if (auto s = service->Listen(service->tls_, want, "TLS"); !s.ok()) return s;
  }
  return service;
}

TurnService::~TurnService() {
  Stop();
  server_.reset();  // Closes what is left through CloseRelay.
}

absl::Status TurnService::Listen(StreamListener& listener, const SocketAddress& want,
                                 const char* name) {
  sockaddr_storage storage;
  const socklen_t length = want.ToSockaddr(storage);
  boost::asio::ip::tcp::endpoint endpoint;
  std::memcpy(endpoint.data(), &storage, length);
  endpoint.resize(length);
  boost::system::error_code error;
  auto acceptor = std::make_unique<StreamAcceptor>(io_);
  acceptor->open(endpoint.protocol(), error);
  if (!error) acceptor->set_option(boost::asio::socket_base::reuse_address(true), error);
  // IPv6 only on an IPv6 address, as the UDP socket: IPv4 clients would otherwise arrive as
  // ::ffff:a.b.c.d.
  if (!error && want.is_ipv6()) acceptor->set_option(boost::asio::ip::v6_only(true), error);
  if (!error) acceptor->bind(endpoint, error);
  if (!error) acceptor->listen(boost::asio::socket_base::max_listen_connections, error);
  if (error) {
    return absl::UnavailableError(
        absl::StrCat(name, ": bind ", want.ToString(), ": ", error.message()));
  }
  const auto local = acceptor->local_endpoint(error);
  std::optional<SocketAddress> bound =
      SocketAddress::FromSockaddr(reinterpret_cast<const sockaddr*>(local.data()),
                                  static_cast<socklen_t>(local.size()));
  if (error || !bound) return absl::InternalError(absl::StrCat(name, ": no local address"));
  listener.address = *bound;
  listener.acceptor = std::move(acceptor);
  return absl::OkStatus();
}

void TurnService::Start() {
  listener_->Start();
  if (tcp_.acceptor) Accept(tcp_);
  if (tls_.acceptor) Accept(tls_);
  for (size_t i = 0; i < options_.in_process.size(); ++i) {
    const InProcessWorker& worker = options_.in_process[i];
    for (const SocketAddress& bound : worker.bound) to_workers_[bound] = worker.to_worker;
    worker_wakes_.push_back(std::make_unique<EventfdWaiter>(io_, worker.from_worker->wake_fd(),
                                                            [this, i] { DrainWorker(i); }));
    worker_wakes_.back()->Start();
  }
  ScheduleTimer();
}

void TurnService::DrainWorker(size_t index) {
  const Timestamp now = clock_.Now();
  stream_stats_.in_process_from_sfu += options_.in_process[index].from_worker->Drain(
      DatagramQueue::kCapacity,
      [this, now](std::span<uint8_t> data, const SocketAddress& from, const SocketAddress& to) {
        // `to` is the relay as the worker knows it (the address it saw datagrams come from).
        auto it = relays_.find(to);
        if (it != relays_.end()) it->second->OnDatagram(data, from, now);
      });
  FlushSends();
}

void TurnService::FlushSends() {
  listener_->Flush();
  for (UdpSocket* relay : dirty_relays_) relay->Flush();
  dirty_relays_.clear();
}

void TurnService::OnBatchEnd() {
  // The listener flushes itself next; the relays the batch sent through are ours to flush.
  for (UdpSocket* relay : dirty_relays_) relay->Flush();
  dirty_relays_.clear();
}

void TurnService::Accept(StreamListener& listener) {
  using TlsStream = boost::asio::ssl::stream<StreamSocket>;
  listener.accepting = true;
  // The completion of an accept cancelled by Stop() may run after the service is gone: it
  // checks `alive` before touching anything.
  listener.acceptor->async_accept([this, &listener, alive = alive_](
                                      const boost::system::error_code& error, StreamSocket socket) {
    if (!*alive) return;
    listener.accepting = false;
    // After an error (out of descriptors, say) the next timer tick tries again rather than
    // spinning on it now.
    if (error) return;
    boost::system::error_code ignored;
    const auto remote = socket.remote_endpoint(ignored);
    std::optional<SocketAddress> client = SocketAddress::FromSockaddr(
        reinterpret_cast<const sockaddr*>(remote.data()), static_cast<socklen_t>(remote.size()));
    const bool tls = listener.transport == TurnTransport::kTls;
    if (client) {
      TurnClientTuple tuple{*client, listener.address, listener.transport};
      if (streams_.size() >= options_.max_stream_connections || streams_.contains(tuple)) {
        ++stream_stats_.refused;  // `socket` closes as it goes out of scope
      } else {
        socket.set_option(boost::asio::ip::tcp::no_delay(true), ignored);
        std::shared_ptr<StreamConnection> connection;
        if (tls) {
          connection = std::make_shared<StreamConnectionOn<TlsStream>>(*this, std::move(socket),
                                                                       tuple);
          ++stream_stats_.tls_accepted;
          ++stream_stats_.tls_open;
        } else {
          connection = std::make_shared<StreamConnectionOn<StreamSocket>>(*this, std::move(socket),
                                                                          tuple);
          ++stream_stats_.tcp_accepted;
          ++stream_stats_.tcp_open;
        }
        streams_[tuple] = connection;
        connection->Start();
      }
    }
    Accept(listener);
  });
}

void TurnService::ForgetStream(const TurnClientTuple& tuple) {
  if (streams_.erase(tuple) == 0) return;
  if (tuple.transport == TurnTransport::kTls) {
    --stream_stats_.tls_open;
  } else {
    --stream_stats_.tcp_open;
  }
}

void TurnService::Stop() {
  if (stopped_) return;
  stopped_ = true;
  *alive_ = false;
  timer_.cancel();
  listener_->Close();
  for (StreamListener* listener : {&tcp_, &tls_}) {
    if (!listener->acceptor) continue;
    boost::system::error_code ignored;
    listener->acceptor->close(ignored);
  }
  // Closing erases from streams_: walk a copy.
  std::vector<std::shared_ptr<StreamConnection>> connections;
  for (auto& [tuple, connection] : streams_) connections.push_back(connection);
  for (auto& connection : connections) connection->Close();
  for (auto& [address, relay] : relays_) relay->socket->Close();
  reservations_.clear();
  for (auto& wake : worker_wakes_) wake->Close();
}

void TurnService::ScheduleTimer() {
  if (stopped_) return;
  timer_.expires_after(std::chrono::seconds(1));
  timer_.async_wait([this](const boost::system::error_code& error) {
    if (error || stopped_) return;
    server_->OnTimer();
    closing_.clear();
    CloseStaleStreams(clock_.Now());
    for (StreamListener* listener : {&tcp_, &tls_}) {
      if (listener->acceptor && !listener->accepting) Accept(*listener);
    }
    if (options_.on_stats) options_.on_stats(server_->stats(), stream_stats_);
    const Timestamp now = clock_.Now();
    std::erase_if(reservations_, [&](const auto& r) { return now >= r.second.expires; });
    FlushSends();
    ScheduleTimer();
  });
}

void TurnService::CloseStaleStreams(Timestamp now) {
  std::vector<std::shared_ptr<StreamConnection>> stale;
  for (const auto& [tuple, connection] : streams_) {
    if (!connection->established()) {
      if (now - connection->accepted() >= options_.tls_handshake_timeout) {
        ++stream_stats_.tls_handshake_timeouts;
        stale.push_back(connection);
      }
    } else if (now - connection->last_message() >= options_.stream_idle_timeout &&
               !server_->RelayOf(tuple).has_value()) {
      ++stream_stats_.idle_closed;
      stale.push_back(connection);
    }
  }
  for (auto& connection : stale) connection->Close();  // erases from streams_
}

void TurnService::OnDatagram(std::span<uint8_t> data, const SocketAddress& from, Timestamp) {
  const TurnClientTuple tuple{from, listener_->local_address(), TurnTransport::kUdp};
  server_->HandleClientPacket(tuple, data);
}

void TurnService::SendToClient(const TurnClientTuple& tuple, std::span<const uint8_t> data) {
  if (tuple.transport == TurnTransport::kUdp) {
    // Batched: every event that gets here ends with a flush (FlushSends, or the listener's own
    // after its receive batch), so one sendmmsg carries a batch's answers.
    listener_->QueueSend(data, tuple.client);
    return;
  }
  auto it = streams_.find(tuple);
  if (it != streams_.end()) it->second->Send(data);
}

absl::StatusOr<std::unique_ptr<TurnService::Relay>> TurnService::BindRelay(uint16_t port) {
  auto relay = std::make_unique<Relay>(*this, *server_, options_);
  const SocketAddress& ip = options_.relay_address;
  const SocketAddress local = ip.is_ipv4() ? SocketAddress::FromIpv4(ip.ipv4_host_order(), port)
                                           : SocketAddress::FromIpv6(ip.ip_bytes(), port);
  absl::StatusOr<std::unique_ptr<UdpSocket>> socket = UdpSocket::Bind(io_, local, *relay, clock_);
  if (!socket.ok()) return socket.status();
  relay->socket = *std::move(socket);
  const SocketAddress& bound = relay->socket->local_address();
  const SocketAddress& shown = options_.relay_announced.empty() ? bound : options_.relay_announced;
  relay->advertised = shown.is_ipv4()
                          ? SocketAddress::FromIpv4(shown.ipv4_host_order(), bound.port())
                          : SocketAddress::FromIpv6(shown.ip_bytes(), bound.port());
  return relay;
}

absl::StatusOr<TurnRelayGrant> TurnService::BindEvenRelay(bool reserve_next,
                                                             std::unique_ptr<Relay>& out) {
  // Random even ports of the IANA dynamic range (RFC 6335), as the kernel's own choice would
  // not be even; a bounded number of tries when ports are busy.
  absl::BitGen random;
  for (int attempt = 0; attempt < 64; ++attempt) {
    const uint16_t port = static_cast<uint16_t>(49152 + 2 * absl::Uniform(random, 0, 8191));
    absl::StatusOr<std::unique_ptr<Relay>> even = BindRelay(port);
    if (!even.ok()) continue;
    TurnRelayGrant grant;
    if (reserve_next) {
      absl::StatusOr<std::unique_ptr<Relay>> next = BindRelay(static_cast<uint16_t>(port + 1));
      if (!next.ok()) continue;  // `even` closes as it goes out of scope
      TurnReservationToken token;
      if (RAND_bytes(token.data(), static_cast<int>(token.size())) != 1) {
        return absl::InternalError("no randomness for a reservation token");
      }
      reservations_[token] = Reservation{*std::move(next), clock_.Now() + kReservationLifetime};
      grant.reservation = token;
    }
    grant.relay = (*even)->advertised;
    out = *std::move(even);
    return grant;
  }
  return absl::ResourceExhaustedError("no free even relay port");
}

absl::StatusOr<TurnRelayGrant> TurnService::OpenRelay(const TurnClientTuple&,
                                                         const TurnRelayRequest& request) {
  if (stopped_) return absl::UnavailableError("stopped");
  std::unique_ptr<Relay> relay;
  TurnRelayGrant grant;
  if (request.reservation) {
    auto it = reservations_.find(*request.reservation);
    if (it == reservations_.end() || clock_.Now() >= it->second.expires) {
      return absl::NotFoundError("unknown or expired reservation");
    }
    relay = std::move(it->second.relay);
    reservations_.erase(it);
    grant.relay = relay->advertised;
  } else if (request.even_port) {
    absl::StatusOr<TurnRelayGrant> even = BindEvenRelay(request.reserve_next, relay);
    if (!even.ok()) return even.status();
    grant = *even;
  } else {
    absl::StatusOr<std::unique_ptr<Relay>> any = BindRelay(0);
    if (!any.ok()) return any.status();
    relay = *std::move(any);
    grant.relay = relay->advertised;
  }
  relay->socket->Start();
  relays_[grant.relay] = std::move(relay);
  return grant;
}

void TurnService::CloseRelay(const SocketAddress& relay) {
  auto it = relays_.find(relay);
  if (it == relays_.end()) return;
  it->second->socket->Close();
  closing_.push_back(std::move(it->second));  // may be inside this relay's own handler
  relays_.erase(it);
}

void TurnService::SendFromRelay(const SocketAddress& relay, const SocketAddress& peer,
                                   std::span<const uint8_t> data) {
  auto it = relays_.find(relay);
  if (it == relays_.end()) return;
  const SocketAddress* target = &peer;
  for (const auto& [announced, bound] : options_.self_rewrites) {
    if (peer == announced) {
      target = &bound;
      break;
    }
  }
  if (!to_workers_.empty()) {
    if (auto worker = to_workers_.find(*target); worker != to_workers_.end()) {
      // One of our own workers: hand the datagram over without the kernel. The worker sees it
      // come from the relay as the client knows it, and answers to that address.
      if (worker->second->Push(data, relay, *target)) {
        ++stream_stats_.in_process_to_sfu;
        worker->second->WakeIfNeeded();
      } else {
        ++stream_stats_.in_process_drops;
      }
      return;
    }
  }
  UdpSocket& socket = *it->second->socket;
  if (socket.pending_sends() == 0) dirty_relays_.push_back(&socket);
  socket.QueueSend(data, *target);
}

}  // namespace switchyard::transport
