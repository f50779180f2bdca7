#include "api/server.h"

#include <chrono>

#include <boost/asio/post.hpp>

#include "absl/strings/str_cat.h"
#include "api/metrics.h"
#include "api/webhook_notifier.h"

namespace switchyard::api {

int64_t UnixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace {

// Disconnect messages get this long to leave before the loop stops.
constexpr auto kShutdownGrace = std::chrono::milliseconds(200);

}  // namespace

Server::Server(const ServerConfig& config, const transport::Clock& clock)
    : config_(config),
      clock_(clock),
      io_(std::make_unique<boost::asio::io_context>()),
      timeout_timer_(std::make_unique<boost::asio::steady_timer>(*io_)) {}

absl::StatusOr<std::unique_ptr<Server>> Server::Create(const ServerConfig& config,
                                                       const transport::Clock& clock) {
  std::unique_ptr<Server> server(new Server(config, clock));
  if (auto s = server->Init(); !s.ok()) return s;
  return server;
}

absl::Status Server::Init() {
  auto certificate = transport::Certificate::GenerateEcdsaP256("switchyard");
  if (!certificate.ok()) return certificate.status();
  certificate_ = std::move(*certificate);

  sfu::SfuOptions options;
  options.workers = EffectiveWorkers(config_.rtc());
  options.placement = config_.rtc().placement() == "room" ? sfu::Placement::kRoomHash
                                                          : sfu::Placement::kLeastLoaded;
  options.rtc_ip = config_.rtc().address();
  options.rtc_port = static_cast<uint16_t>(config_.rtc().port());
  options.announced_ip = config_.rtc().announced_ip();
  for (const auto& extra : config_.rtc().extra_addresses()) {
    options.extra_addresses.emplace_back(extra.address(), extra.announced_ip());
  }
  options.ice_tcp = config_.rtc().ice_tcp();
  options.ice_tcp_port = static_cast<uint16_t>(config_.rtc().ice_tcp_port());
  auto pool = sfu::WorkerPool::Create(options, clock_, *certificate_);
  if (!pool.ok()) return pool.status();
  pool_ = std::move(*pool);

  std::map<std::string, std::string> keys;
  for (const auto& key : config_.api_keys()) keys[key.key()] = key.secret();
  verifier_ = std::make_unique<TokenVerifier>(keys);

  RoomDefaults defaults;
  defaults.auto_create = config_.room().auto_create();
  defaults.empty_timeout_seconds = config_.room().empty_timeout_seconds();
  defaults.max_participants = config_.room().max_participants();
  if (config_.webhook().urls_size() > 0) {
    WebhookNotifierOptions hooks;
    hooks.urls.assign(config_.webhook().urls().begin(), config_.webhook().urls().end());
    hooks.api_key = config_.webhook().api_key();
    if (hooks.api_key.empty() && config_.api_keys_size() > 0) {
      hooks.api_key = config_.api_keys(0).key();
    }
    hooks.secret = keys[hooks.api_key];
    hooks.max_attempts = static_cast<int>(config_.webhook().max_attempts());
    webhooks_ = std::make_unique<WebhookNotifier>(std::move(hooks));
  }
  rooms_ = std::make_unique<RoomManager>(
      *pool_, defaults,
      [this](std::function<void()> task) { boost::asio::post(*io_, std::move(task)); }, UnixNow);
  pool_->SetRoomObserver(rooms_->ObserverForWorkers());
  if (webhooks_) {
    rooms_->SetEventSink([hooks = webhooks_.get()](v1::WebhookEvent e) { hooks->Notify(std::move(e)); });
  }

  RoomApi::Options api_options;
  api_options.rate_limit = config_.http().api_rate_limit();
  room_api_ = std::make_unique<RoomApi>(*rooms_, *verifier_, api_options, clock_, UnixNow);
  whip_ = std::make_unique<WhipHandler>(*rooms_, *verifier_, io_->get_executor(), UnixNow);
  if (config_.turn().enabled()) {
    const std::string public_ip = !config_.rtc().announced_ip().empty()
                                      ? config_.rtc().announced_ip()
                                      : config_.rtc().address();
    // Relayed media between TURN and the workers skips the kernel: a queue pair per worker.
    std::vector<SfuWorkerEndpoints> endpoints;
    for (sfu::Worker* worker : pool_->workers()) {
      SfuWorkerEndpoints endpoint;
      for (const sfu::ListenAddress& listen : worker->listen_addresses()) {
        endpoint.sockets.emplace_back(listen.address, listen.announced_ip);
      }
      if (!config_.turn().in_process()) {
        endpoints.push_back(std::move(endpoint));
        continue;
      }
      auto to_worker = transport::DatagramQueue::Create();
      auto from_worker = transport::DatagramQueue::Create();
      if (!to_worker.ok()) return to_worker.status();
      if (!from_worker.ok()) return from_worker.status();
      endpoint.to_worker = to_worker->get();
      endpoint.from_worker = from_worker->get();
      worker->AttachTurnQueues(endpoint.to_worker, endpoint.from_worker);
      turn_queues_.push_back(*std::move(to_worker));
      turn_queues_.push_back(*std::move(from_worker));
      endpoints.push_back(std::move(endpoint));
    }
    auto turn = TurnRunner::Create(config_.turn(), config_.rtc().address(), public_ip, endpoints,
                                   clock_, UnixNow);
    if (!turn.ok()) return turn.status();
    turn_ = std::move(*turn);
  }
  signaling_ = std::make_unique<SignalingContext>(SignalingContext{*rooms_, *verifier_, UnixNow, nullptr});
  if (turn_) {
    auto ice_servers = [turn = turn_.get()](const std::string& identity) {
      return turn->IceServersFor(identity);
    };
    signaling_->ice_servers = ice_servers;
    whip_->SetIceServers(ice_servers);
  }

  HttpServerOptions http_options;
  http_options.address = config_.http().address();
  http_options.port = static_cast<uint16_t>(config_.http().port());
  http_options.web_dir = config_.web().dir();
  http_options.max_body_bytes = config_.http().max_body_bytes();
  http_options.dev_mode = config_.dev_mode();
  http_options.tls_cert_file = config_.http().tls_cert_file();
  http_options.tls_key_file = config_.http().tls_key_file();
  if (config_.dev_mode() && config_.api_keys_size() > 0) {
    http_options.dev_api_key = config_.api_keys(0).key();
    http_options.dev_api_secret = config_.api_keys(0).secret();
  }
  HttpServices services{*pool_, *room_api_, *whip_, *signaling_, UnixNow,
                        [this] { return ExtraMetrics(); }};
  auto http = HttpServer::Create(*io_, std::move(http_options), std::move(services));
  if (!http.ok()) return http.status();
  http_ = std::move(*http);

  pool_->Start();
  if (turn_) turn_->Start();
  http_->Start();
  ScheduleTimeouts();
  return absl::OkStatus();
}

Server::~Server() {
  if (!io_) return;
  Stop();
  if (thread_.joinable()) thread_.join();
  if (pool_) pool_->Stop();
  if (turn_) turn_->Stop();
  // Handlers still queued or waiting on sockets hold sessions; destroying the loop first lets
  // them leave rooms that still exist. Everything bound to the loop goes before it.
  http_.reset();
  whip_.reset();
  timeout_timer_.reset();
  io_.reset();
  if (webhooks_) webhooks_->Stop();  // after the last events (room_finished at shutdown)
}

void Server::Run() { io_->run(); }

void Server::RunInBackground() {
  thread_ = std::thread([this] { io_->run(); });
}

void Server::Stop() {
  boost::asio::post(*io_, [this] {
    if (stopped_) return;
    stopped_ = true;
    timeout_timer_->cancel();
    http_->Stop();
    rooms_->Shutdown();
    auto grace = std::make_shared<boost::asio::steady_timer>(*io_, kShutdownGrace);
    grace->async_wait([this, grace](const boost::system::error_code&) { io_->stop(); });
  });
}

void Server::ScheduleTimeouts() {
  timeout_timer_->expires_after(std::chrono::seconds(1));
  timeout_timer_->async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    rooms_->CheckTimeouts();
    ScheduleTimeouts();
  });
}

std::string Server::ExtraMetrics() const {
  MetricsWriter writer;
  const RoomApi::Counters& api = room_api_->counters();
  writer.Counter("switchyard_api_calls_total", "Room API calls (REST and Twirp).").Add(api.calls);
  writer.Counter("switchyard_api_refused_total", "Room API calls refused, by reason.")
      .Add({{"reason", "unauthenticated"}}, api.unauthenticated)
      .Add({{"reason", "permission_denied"}}, api.permission_denied)
      .Add({{"reason", "rate_limited"}}, api.rate_limited);
  auto& tokens = writer.Counter("switchyard_tokens_total",
                                "Access tokens verified (joins, API, WHIP/WHEP), by outcome.");
  tokens.Add({{"outcome", "accepted"}}, verifier_->accepted());
  for (size_t i = 0; i < kTokenRejectReasonCount; ++i) {
    const auto reason = static_cast<TokenRejectReason>(i);
    tokens.Add({{"outcome", std::string(TokenRejectReasonName(reason))}},
               verifier_->rejected(reason));
  }
  writer.Gauge("switchyard_api_rooms", "Rooms open in the control plane (API view).")
      .Add(static_cast<uint64_t>(rooms_->room_count()));
  if (webhooks_) webhooks_->WriteMetrics(writer);
  if (turn_) {
    const transport::TurnServer::Stats turn = turn_->CollectStats();
    writer.Gauge("switchyard_turn_allocations", "TURN allocations (relays) open.")
        .Add(static_cast<uint64_t>(turn.allocations));
    writer.Gauge("switchyard_turn_channels", "TURN channel bindings.")
        .Add(static_cast<uint64_t>(turn.channels));
    writer.Counter("switchyard_turn_requests_total", "STUN Binding and TURN Allocate requests.")
        .Add({{"method", "binding"}}, turn.binding_requests)
        .Add({{"method", "allocate"}}, turn.allocate_requests);
    writer.Counter("switchyard_turn_error_responses_total", "STUN/TURN error responses sent.")
        .Add(turn.error_responses);
    writer.Counter("switchyard_turn_relayed_packets_total", "Packets relayed by TURN.")
        .Add({{"direction", "to_peer"}}, turn.packets_to_peers)
        .Add({{"direction", "to_client"}}, turn.packets_to_clients);
    auto& drops = writer.Counter("switchyard_turn_drops_total",
                                 "TURN/STUN packets dropped, by reason.");
    for (size_t i = 0; i < turn.drops.size(); ++i) {
      drops.Add({{"reason", std::string(transport::TurnDropName(static_cast<transport::TurnDrop>(i)))}},
                turn.drops[i]);
    }
    const transport::TurnService::StreamStats streams = turn_->CollectStreamStats();
    drops.Add({{"reason", "in_process_queue_full"}}, streams.in_process_drops);
    writer
        .Counter("switchyard_turn_in_process_packets_total",
                 "Relayed packets between TURN relays and the SFU's workers that skipped the "
                 "kernel, by direction.")
        .Add({{"direction", "to_sfu"}}, streams.in_process_to_sfu)
        .Add({{"direction", "from_sfu"}}, streams.in_process_from_sfu);
    writer.Gauge("switchyard_turn_stream_connections", "Open TURN connections over TCP and TLS.")
        .Add({{"transport", "tcp"}}, static_cast<uint64_t>(streams.tcp_open))
        .Add({{"transport", "tls"}}, static_cast<uint64_t>(streams.tls_open));
    writer.Counter("switchyard_turn_tls_handshakes_total", "TURN over TLS handshakes, by result.")
        .Add({{"result", "ok"}}, streams.tls_handshakes)
        .Add({{"result", "failed"}}, streams.tls_handshake_failures)
        .Add({{"result", "timeout"}}, streams.tls_handshake_timeouts);
    writer.Counter("switchyard_turn_stream_closed_total",
                   "TURN TCP/TLS connections the server refused or closed, by reason.")
        .Add({{"reason", "refused"}}, streams.refused)
        .Add({{"reason", "idle"}}, streams.idle_closed)
        .Add({{"reason", "write_overflow"}}, streams.overflow_closed);
  }
  return writer.Render();
}

}  // namespace switchyard::api
