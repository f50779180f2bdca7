#include "transport/turn_udp_service.h"

#include <openssl/rand.h>

#include <utility>

#include "absl/random/random.h"

namespace switchyard::transport {

// One allocation's relay socket: what arrives on it is the peers' data for the TurnServer.
class TurnUdpService::Relay final : public UdpSocket::Receiver {
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

TurnUdpService::TurnUdpService(boost::asio::io_context& io, const Clock& clock, Options options)
    : io_(io), clock_(clock), options_(std::move(options)), timer_(io) {}

absl::StatusOr<std::unique_ptr<TurnUdpService>> TurnUdpService::Create(
    boost::asio::io_context& io, const Clock& clock, std::function<int64_t()> unix_now,
    Options options) {
  std::unique_ptr<TurnUdpService> service(new TurnUdpService(io, clock, std::move(options)));
  absl::StatusOr<std::unique_ptr<UdpSocket>> listener =
      UdpSocket::Bind(io, service->options_.listen, *service, clock);
  if (!listener.ok()) return listener.status();
  service->listener_ = *std::move(listener);
  service->server_ = std::make_unique<TurnServer>(clock, std::move(unix_now),
                                                  service->options_.turn, *service);
  return service;
}

TurnUdpService::~TurnUdpService() {
  Stop();
  server_.reset();  // Closes what is left through CloseRelay.
}

void TurnUdpService::Start() {
  listener_->Start();
  ScheduleTimer();
}

void TurnUdpService::Stop() {
  if (stopped_) return;
  stopped_ = true;
  timer_.cancel();
  listener_->Close();
  for (auto& [address, relay] : relays_) relay->socket->Close();
  reservations_.clear();
}

void TurnUdpService::ScheduleTimer() {
  if (stopped_) return;
  timer_.expires_after(std::chrono::seconds(1));
  timer_.async_wait([this](const boost::system::error_code& error) {
    if (error || stopped_) return;
    server_->OnTimer();
    closing_.clear();
    const Timestamp now = clock_.Now();
    std::erase_if(reservations_, [&](const auto& r) { return now >= r.second.expires; });
    ScheduleTimer();
  });
}

void TurnUdpService::OnDatagram(std::span<uint8_t> data, const SocketAddress& from, Timestamp) {
  const TurnClientTuple tuple{from, listener_->local_address(), TurnTransport::kUdp};
  server_->HandleClientPacket(tuple, data);
}

void TurnUdpService::SendToClient(const TurnClientTuple& tuple, std::span<const uint8_t> data) {
  listener_->Send(data, tuple.client);
}

absl::StatusOr<std::unique_ptr<TurnUdpService::Relay>> TurnUdpService::BindRelay(uint16_t port) {
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

absl::StatusOr<TurnRelayGrant> TurnUdpService::BindEvenRelay(bool reserve_next,
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

absl::StatusOr<TurnRelayGrant> TurnUdpService::OpenRelay(const TurnClientTuple&,
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

void TurnUdpService::CloseRelay(const SocketAddress& relay) {
  auto it = relays_.find(relay);
  if (it == relays_.end()) return;
  it->second->socket->Close();
  closing_.push_back(std::move(it->second));  // may be inside this relay's own handler
  relays_.erase(it);
}

void TurnUdpService::SendFromRelay(const SocketAddress& relay, const SocketAddress& peer,
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
