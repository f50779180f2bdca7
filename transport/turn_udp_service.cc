#include "transport/turn_udp_service.h"

#include <utility>

namespace switchyard::transport {

// One allocation's relay socket: what arrives on it is the peers' data for the TurnServer.
class TurnUdpService::Relay final : public UdpSocket::Receiver {
 public:
  explicit Relay(TurnServer& server) : server_(server) {}
  void OnDatagram(std::span<uint8_t> data, const SocketAddress& from, Timestamp) override {
    server_.HandlePeerPacket(advertised, from, data);
  }
  TurnServer& server_;
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
}

void TurnUdpService::ScheduleTimer() {
  if (stopped_) return;
  timer_.expires_after(std::chrono::seconds(1));
  timer_.async_wait([this](const boost::system::error_code& error) {
    if (error || stopped_) return;
    server_->OnTimer();
    closing_.clear();
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

absl::StatusOr<SocketAddress> TurnUdpService::OpenRelay(const TurnClientTuple&) {
  if (stopped_) return absl::UnavailableError("stopped");
  auto relay = std::make_unique<Relay>(*server_);
  SocketAddress local = options_.relay_address.is_ipv4()
                            ? SocketAddress::FromIpv4(options_.relay_address.ipv4_host_order(), 0)
                            : SocketAddress::FromIpv6(options_.relay_address.ip_bytes(), 0);
  absl::StatusOr<std::unique_ptr<UdpSocket>> socket = UdpSocket::Bind(io_, local, *relay, clock_);
  if (!socket.ok()) return socket.status();
  relay->socket = *std::move(socket);
  relay->socket->Start();
  const SocketAddress& bound = relay->socket->local_address();
  const SocketAddress& ip = options_.relay_announced.empty() ? bound : options_.relay_announced;
  relay->advertised = ip.is_ipv4() ? SocketAddress::FromIpv4(ip.ipv4_host_order(), bound.port())
                                   : SocketAddress::FromIpv6(ip.ip_bytes(), bound.port());
  const SocketAddress address = relay->advertised;
  relays_[address] = std::move(relay);
  return address;
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
  if (it != relays_.end()) it->second->socket->Send(data, peer);
}

}  // namespace switchyard::transport
