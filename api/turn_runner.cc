#include "api/turn_runner.h"

#include <openssl/rand.h>

#include <boost/asio/post.hpp>
#include <chrono>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/tls_context.h"
#include "transport/turn_credentials.h"

namespace switchyard::api {
namespace {

std::string RandomSecret() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) return "";
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

}  // namespace

absl::StatusOr<std::unique_ptr<TurnRunner>> TurnRunner::Create(
    const config::TurnConfig& config, const std::string& bind_ip, const std::string& public_ip,
    const std::vector<SfuWorkerEndpoints>& workers, const transport::Clock& clock,
    std::function<int64_t()> unix_now) {
  std::unique_ptr<TurnRunner> runner(new TurnRunner());
  runner->unix_now_ = unix_now;
  runner->secret_ = config.secret().empty() ? RandomSecret() : config.secret();
  if (runner->secret_.empty()) return absl::InternalError("no randomness for the TURN secret");
  runner->ttl_seconds_ = config.credential_ttl_seconds();

  const std::string listen_ip = config.address().empty() ? bind_ip : config.address();
  auto listen = transport::SocketAddress::Parse(listen_ip, static_cast<uint16_t>(config.port()));
  const std::string relay_ip = config.relay_address().empty() ? listen_ip : config.relay_address();
  auto relay = transport::SocketAddress::Parse(relay_ip, 0);
  auto announced = transport::SocketAddress::Parse(public_ip, 0);
  if (!listen || !relay || !announced) {
    return absl::InvalidArgumentError("turn: bad listen, relay or public address");
  }

  transport::TurnService::Options options;
  options.listen = *listen;
  options.tcp = config.tcp();
  if (config.tls() && !config.tls_cert_file().empty()) {
    auto tls = CreateServerTlsContext(config.tls_cert_file(), config.tls_key_file(),
                                      TlsService::kTurn);
    if (!tls.ok()) return tls.status();
    options.tls = *std::move(tls);
    options.tls_port = static_cast<uint16_t>(config.tls_port());
  }
  // Once a second, off the hot path: the control thread's /metrics reads the copy.
  options.on_stats = [runner = runner.get()](const transport::TurnServer::Stats& stats,
                                             const transport::TurnService::StreamStats& streams) {
    absl::MutexLock lock(&runner->stats_mutex_);
    runner->stats_ = stats;
    runner->stream_stats_ = streams;
  };
  options.relay_address = *relay;
  // Relays bound to a wildcard or behind 1:1 NAT are advertised at the public address.
  if (relay_ip != public_ip) options.relay_announced = *announced;
  options.turn.auth_secret = runner->secret_;
  options.turn.realm = config.realm();
  options.turn.max_allocations_per_user = config.user_quota();
  options.turn.max_allocations_total = config.total_quota();
  options.turn.peer_policy.allow_loopback = config.allow_loopback_peers();
  options.turn.peer_policy.allow_private = config.allow_private_peers();
  for (const SfuWorkerEndpoints& worker : workers) {
    transport::TurnService::InProcessWorker in_process;
    for (const auto& [bound, announced_ip] : worker.sockets) {
      auto shown = announced_ip.empty()
                       ? std::optional<transport::SocketAddress>(bound)
                       : transport::SocketAddress::Parse(announced_ip, bound.port());
      if (!shown) return absl::InvalidArgumentError("turn: bad announced SFU address");
      options.turn.peer_policy.always_allowed.push_back(bound);
      if (*shown != bound) {
        options.turn.peer_policy.always_allowed.push_back(*shown);
        options.self_rewrites.emplace_back(*shown, bound);
      }
      in_process.bound.push_back(bound);
    }
    if (worker.to_worker != nullptr && worker.from_worker != nullptr) {
      in_process.to_worker = worker.to_worker;
      in_process.from_worker = worker.from_worker;
      options.in_process.push_back(std::move(in_process));
    }
  }

  runner->io_ = std::make_unique<boost::asio::io_context>();
  auto service =
      transport::TurnService::Create(*runner->io_, clock, std::move(unix_now), options);
  if (!service.ok()) {
    // The service names the transport and address ("TLS: bind 0.0.0.0:5349: Address already
    // in use"); the hint names the setting that moves it.
    const absl::string_view message = service.status().message();
    const char* hint = absl::StartsWith(message, "TLS:")
                           ? " (set turn.tls_port / --turn_tls_port, or --turn_tls=false)"
                           : " (set turn.port / --turn_port, or --turn=false)";
    return absl::Status(service.status().code(), absl::StrCat("turn: ", message, hint));
  }
  runner->service_ = *std::move(service);
  runner->port_ = runner->service_->listen_address().port();
  runner->tcp_port_ = runner->service_->tcp_listen_address().port();
  runner->tls_port_ = runner->service_->tls_listen_address().port();
  auto host = transport::SocketAddress::Parse(public_ip, runner->port_);
  runner->public_host_ = host && host->is_ipv6() ? absl::StrCat("[", public_ip, "]") : public_ip;
  // An IPv6 literal goes into a URL in brackets (RFC 3986 §3.2.2), a name as it is.
  const std::string& tls_host = config.tls_host();
  auto tls_ip = transport::SocketAddress::Parse(tls_host, 0);
  runner->tls_host_ = tls_host.empty()                ? runner->public_host_
                      : tls_ip && tls_ip->is_ipv6() ? absl::StrCat("[", tls_host, "]")
                                                    : tls_host;
  return runner;
}

TurnRunner::~TurnRunner() {
  Stop();
  service_.reset();
}

void TurnRunner::Start() {
  if (started_) return;
  started_ = true;
  service_->Start();
  thread_ = std::thread([this] { io_->run(); });
}

void TurnRunner::Stop() {
  if (stopped_) return;
  stopped_ = true;
  if (started_) {
    boost::asio::post(*io_, [this] {
      service_->Stop();
      io_->stop();
    });
    if (thread_.joinable()) thread_.join();
  } else if (service_) {  // null when Create failed to bind
    service_->Stop();
  }
}

std::vector<IceServerInfo> TurnRunner::IceServersFor(const std::string& identity) const {
  const transport::TurnRestCredential credential = transport::MakeTurnRestCredential(
      secret_, identity, unix_now_() + static_cast<int64_t>(ttl_seconds_));
  const std::string hostport = absl::StrCat(public_host_, ":", port_);
  IceServerInfo stun;
  stun.urls.push_back(absl::StrCat("stun:", hostport));
  IceServerInfo turn;
  turn.urls.push_back(absl::StrCat("turn:", hostport, "?transport=udp"));
  if (tcp_port_ != 0) {
    turn.urls.push_back(absl::StrCat("turn:", public_host_, ":", tcp_port_, "?transport=tcp"));
  }
  // RFC 7065 §3: turns: with transport=tcp is TURN over TLS over TCP; one entry, as the same
  // credentials serve every transport.
  if (tls_port_ != 0) {
    turn.urls.push_back(absl::StrCat("turns:", tls_host_, ":", tls_port_, "?transport=tcp"));
  }
  turn.username = credential.username;
  turn.credential = credential.password;
  return {stun, turn};
}

transport::TurnServer::Stats TurnRunner::CollectStats() const {
  absl::MutexLock lock(&stats_mutex_);
  return stats_;
}

transport::TurnService::StreamStats TurnRunner::CollectStreamStats() const {
  absl::MutexLock lock(&stats_mutex_);
  return stream_stats_;
}

}  // namespace switchyard::api
