#include "transport/turn_service.h"

#include <openssl/rand.h>

#include <boost/asio/write.hpp>
#include <cstring>
#include <deque>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"

namespace switchyard::transport {

// One allocation's relay socket: what arrives on it is the peers' data for the TurnServer.
class TurnService::Relay final : public UdpSocket::Receiver {
 public:
  Relay(TurnServer& server, const Options& options) : server_(server), options_(options) {}
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
  TurnServer& server_;
  const Options& options_;
  std::unique_ptr<UdpSocket> socket;
  SocketAddress advertised;  // what the TurnServer and the client know this relay as
};

// One TURN client over TCP: frames STUN messages and ChannelData out of the byte stream
// (RFC 8656 §3.1) and writes the server's answers back in order.
class TurnService::TcpConnection final : public std::enable_shared_from_this<TcpConnection> {
 public:
  TcpConnection(TurnService& service, boost::asio::ip::tcp::socket socket, TurnClientTuple tuple)
      : service_(service), socket_(std::move(socket)), tuple_(std::move(tuple)),
        in_(kMaxFrame) {}

  void Start() {
    last_message_ = service_.clock_.Now();
    Read();
  }
  Timestamp last_message() const { return last_message_; }
  const TurnClientTuple& tuple() const { return tuple_; }

  void Send(std::span<const uint8_t> data) {
    if (closed_) return;
    // A slow reader may not hold the server's memory hostage.
    if (queued_bytes_ + data.size() > kMaxQueuedBytes) return Close();
    out_.emplace_back(data.begin(), data.end());
    queued_bytes_ += data.size();
    if (!writing_) WriteNext();
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ignored;
    socket_.close(ignored);
    service_.server_->OnClientClosed(tuple_);
    service_.tcp_.erase(tuple_.client);  // may destroy `this` once the handlers let go
  }

 private:
  static constexpr size_t kMaxQueuedBytes = 1 << 20;
  // The largest frame either kind can be: a STUN message (20 + 65535) is longer than the
  // largest padded ChannelData (4 + 65535 + 1).
  static constexpr size_t kMaxFrame = kStunMaxMessageSize;

  void Read() {
    socket_.async_read_some(
        boost::asio::buffer(in_.data() + have_, in_.size() - have_),
        [self = shared_from_this()](const boost::system::error_code& error, size_t n) {
          if (error || self->closed_) return self->Close();
          self->have_ += n;
          if (!self->Deliver()) return self->Close();
          self->Read();
        });
  }

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

  void WriteNext() {
    if (out_.empty() || closed_) {
      writing_ = false;
      return;
    }
    writing_ = true;
    boost::asio::async_write(
        socket_, boost::asio::buffer(out_.front()),
        [self = shared_from_this()](const boost::system::error_code& error, size_t) {
          if (error) return self->Close();
          self->queued_bytes_ -= self->out_.front().size();
          self->out_.pop_front();
          self->WriteNext();
        });
  }

  TurnService& service_;
  boost::asio::ip::tcp::socket socket_;
  const TurnClientTuple tuple_;
  std::vector<uint8_t> in_;
  size_t have_ = 0;
  std::deque<std::vector<uint8_t>> out_;
  size_t queued_bytes_ = 0;
  bool writing_ = false;
  bool closed_ = false;
  Timestamp last_message_;
};

TurnService::TurnService(boost::asio::io_context& io, const Clock& clock, Options options)
    : io_(io), clock_(clock), options_(std::move(options)), timer_(io) {}

absl::StatusOr<std::unique_ptr<TurnService>> TurnService::Create(
    boost::asio::io_context& io, const Clock& clock, std::function<int64_t()> unix_now,
    Options options) {
  std::unique_ptr<TurnService> service(new TurnService(io, clock, std::move(options)));
  absl::StatusOr<std::unique_ptr<UdpSocket>> listener =
      UdpSocket::Bind(io, service->options_.listen, *service, clock);
  if (!listener.ok()) return listener.status();
  service->listener_ = *std::move(listener);
  service->server_ = std::make_unique<TurnServer>(clock, std::move(unix_now),
                                                  service->options_.turn, *service);
  if (service->options_.tcp) {
    // The same port as UDP (3478 serves both); an ephemeral UDP port gets its own TCP port.
    const SocketAddress& udp = service->listener_->local_address();
    const SocketAddress want = service->options_.listen.port() == 0 ? service->options_.listen : udp;
    sockaddr_storage storage;
    const socklen_t length = want.ToSockaddr(storage);
    boost::asio::ip::tcp::endpoint endpoint;
    std::memcpy(endpoint.data(), &storage, length);
    endpoint.resize(length);
    boost::system::error_code error;
    auto acceptor = std::make_unique<boost::asio::ip::tcp::acceptor>(io);
    acceptor->open(endpoint.protocol(), error);
    if (!error) acceptor->set_option(boost::asio::socket_base::reuse_address(true), error);
    if (!error) acceptor->bind(endpoint, error);
    if (!error) acceptor->listen(boost::asio::socket_base::max_listen_connections, error);
    if (error) {
      return absl::UnavailableError(
          absl::StrCat("TURN over TCP on ", want.ToString(), ": ", error.message()));
    }
    const auto local = acceptor->local_endpoint();
    service->tcp_address_ =
        *SocketAddress::FromSockaddr(reinterpret_cast<const sockaddr*>(local.data()),
                                     static_cast<socklen_t>(local.size()));
    service->acceptor_ = std::move(acceptor);
  }
  return service;
}

TurnService::~TurnService() {
  Stop();
  server_.reset();  // Closes what is left through CloseRelay.
}

void TurnService::Start() {
  listener_->Start();
  if (acceptor_) Accept();
  ScheduleTimer();
}

void TurnService::Accept() {
  acceptor_->async_accept([this](const boost::system::error_code& error,
                                 boost::asio::ip::tcp::socket socket) {
    if (error || stopped_) return;
    boost::system::error_code ignored;
    const auto remote = socket.remote_endpoint(ignored);
    std::optional<SocketAddress> client = SocketAddress::FromSockaddr(
        reinterpret_cast<const sockaddr*>(remote.data()), static_cast<socklen_t>(remote.size()));
    if (client && tcp_.size() < options_.max_tcp_connections && !tcp_.contains(*client)) {
      socket.set_option(boost::asio::ip::tcp::no_delay(true), ignored);
      auto connection = std::make_shared<TcpConnection>(
          *this, std::move(socket), TurnClientTuple{*client, tcp_address_, TurnTransport::kTcp});
      tcp_[*client] = connection;
      connection->Start();
    }
    Accept();
  });
}

void TurnService::Stop() {
  if (stopped_) return;
  stopped_ = true;
  timer_.cancel();
  listener_->Close();
  if (acceptor_) {
    boost::system::error_code ignored;
    acceptor_->close(ignored);
  }
  // Closing erases from tcp_: walk a copy.
  std::vector<std::shared_ptr<TcpConnection>> connections;
  for (auto& [address, connection] : tcp_) connections.push_back(connection);
  for (auto& connection : connections) connection->Close();
  for (auto& [address, relay] : relays_) relay->socket->Close();
  reservations_.clear();
}

void TurnService::ScheduleTimer() {
  if (stopped_) return;
  timer_.expires_after(std::chrono::seconds(1));
  timer_.async_wait([this](const boost::system::error_code& error) {
    if (error || stopped_) return;
    server_->OnTimer();
    closing_.clear();
    CloseIdleTcp(clock_.Now());
    if (options_.on_stats) options_.on_stats(server_->stats());
    const Timestamp now = clock_.Now();
    std::erase_if(reservations_, [&](const auto& r) { return now >= r.second.expires; });
    ScheduleTimer();
  });
}

void TurnService::CloseIdleTcp(Timestamp now) {
  std::vector<std::shared_ptr<TcpConnection>> idle;
  for (const auto& [address, connection] : tcp_) {
    if (now - connection->last_message() >= options_.tcp_idle_timeout &&
        !server_->RelayOf(connection->tuple()).has_value()) {
      idle.push_back(connection);
    }
  }
  for (auto& connection : idle) connection->Close();  // erases from tcp_
}

void TurnService::OnDatagram(std::span<uint8_t> data, const SocketAddress& from, Timestamp) {
  const TurnClientTuple tuple{from, listener_->local_address(), TurnTransport::kUdp};
  server_->HandleClientPacket(tuple, data);
}

void TurnService::SendToClient(const TurnClientTuple& tuple, std::span<const uint8_t> data) {
  if (tuple.transport == TurnTransport::kUdp) {
    listener_->Send(data, tuple.client);
    return;
  }
  auto it = tcp_.find(tuple.client);
  if (it != tcp_.end()) it->second->Send(data);
}

absl::StatusOr<std::unique_ptr<TurnService::Relay>> TurnService::BindRelay(uint16_t port) {
  auto relay = std::make_unique<Relay>(*server_, options_);
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
  for (const auto& [announced, bound] : options_.self_rewrites) {
    if (peer == announced) {
      it->second->socket->Send(data, bound);
      return;
    }
  }
  it->second->socket->Send(data, peer);
}

}  // namespace switchyard::transport
