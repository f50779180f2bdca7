#ifndef SWITCHYARD_API_SERVER_H_
#define SWITCHYARD_API_SERVER_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "absl/status/statusor.h"
#include "api/access_token.h"
#include "api/http_server.h"
#include "api/turn_runner.h"
#include "api/proto/webhook.pb.h"
#include "api/room_api.h"
#include "api/room_manager.h"
#include "api/server_config.h"
#include "api/signaling_session.h"
#include "api/whip_handler.h"
#include "sfu/worker_pool.h"
#include "transport/certificate.h"
#include "transport/clock.h"

namespace switchyard::api {

class WebhookNotifier;

// The whole server from a validated config: media workers, the control thread (HTTP, room API,
// signaling, WHIP/WHEP, room timeouts) and webhook delivery. main() runs it on its own thread;
// tests run it in-process on ephemeral ports.
class Server {
 public:
  // `config` must have passed ValidateServerConfig (and dev-mode defaults applied).
  static absl::StatusOr<std::unique_ptr<Server>> Create(const ServerConfig& config,
                                                        const transport::Clock& clock);
  ~Server();

  // Runs the control loop on the calling thread until Stop() (from a signal handler task or
  // another thread).
  void Run();
  // Runs the control loop on a thread of its own (tests).
  void RunInBackground();
  // Thread-safe; idempotent. Disconnects everyone, stops HTTP, workers and webhooks.
  void Stop();

  uint16_t http_port() const { return http_->port(); }
  // The embedded STUN/TURN server's UDP port, 0 when turn.enabled is false.
  uint16_t turn_port() const { return turn_ ? turn_->port() : 0; }
  uint16_t turn_tcp_port() const { return turn_ ? turn_->tcp_port() : 0; }
  uint16_t turn_tls_port() const { return turn_ ? turn_->tls_port() : 0; }
  boost::asio::io_context& io() { return *io_; }
  sfu::WorkerPool& pool() { return *pool_; }
  const TokenVerifier& verifier() const { return *verifier_; }

 private:
  Server(const ServerConfig& config, const transport::Clock& clock);
  absl::Status Init();
  void ScheduleTimeouts();
  std::string ExtraMetrics() const;

  const ServerConfig config_;
  const transport::Clock& clock_;
  // Owned through a pointer so that ~Server can destroy the loop (and with it every handler
  // still holding a session) while the rooms those sessions leave are still alive.
  std::unique_ptr<boost::asio::io_context> io_;
  std::unique_ptr<transport::Certificate> certificate_;
  // The in-process paths between the TURN thread and the workers (two per worker). Declared
  // before pool_ and turn_ so they are destroyed after both, which use them until stopped.
  std::vector<std::unique_ptr<transport::DatagramQueue>> turn_queues_;
  std::unique_ptr<sfu::WorkerPool> pool_;
  std::unique_ptr<TokenVerifier> verifier_;
  std::unique_ptr<RoomManager> rooms_;
  std::unique_ptr<WebhookNotifier> webhooks_;
  std::unique_ptr<RoomApi> room_api_;
  std::unique_ptr<WhipHandler> whip_;
  std::unique_ptr<SignalingContext> signaling_;
  std::unique_ptr<HttpServer> http_;
  std::unique_ptr<boost::asio::steady_timer> timeout_timer_;
  std::unique_ptr<TurnRunner> turn_;  // null when turn.enabled is false
  std::thread thread_;
  bool stopped_ = false;
};

// Unix time in seconds from the system clock (tokens and API timestamps are wall-clock).
int64_t UnixNow();

}  // namespace switchyard::api

#endif  // SWITCHYARD_API_SERVER_H_
