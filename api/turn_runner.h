#ifndef SWITCHYARD_API_TURN_RUNNER_H_
#define SWITCHYARD_API_TURN_RUNNER_H_

#include <boost/asio/io_context.hpp>

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "api/proto/config.pb.h"
#include "transport/clock.h"
#include "transport/turn_server.h"
#include "transport/turn_service.h"

namespace switchyard::api {

// One entry of RTCConfiguration.iceServers as the signaling hands it to a participant.
struct IceServerInfo {
  std::vector<std::string> urls;
  std::string username;
  std::string credential;
};

// One SFU worker as its embedded TURN server sees it.
struct SfuWorkerEndpoints {
  // The worker's bound media sockets, each with the IP clients know it by ("" = the bound IP).
  std::vector<std::pair<transport::SocketAddress, std::string>> sockets;
  // The in-process path to the worker (both null: relayed media goes through the kernel).
  // Borrowed: they outlive the runner's thread.
  transport::DatagramQueue* to_worker = nullptr;
  transport::DatagramQueue* from_worker = nullptr;
};

// The embedded STUN/TURN server of a Switchyard process (config.turn): a TurnService on a
// thread of its own, so relayed media never waits behind signaling or a worker's fan-out, and
// the credentials the signaling gives out for it.
class TurnRunner {
 public:
  // Binds the sockets (the error names the port when it is taken) on turn.address, else
  // `bind_ip` (rtc.address): UDP and TCP on turn.port, and TLS on turn.tls_port when turn.tls
  // is on and turn.tls_cert_file is set (ApplyTurnTlsDefaults fills it from http.* first); the
  // certificate's errors name turn.tls_cert_file / turn.tls_key_file. `public_ip` is the address
  // clients are told to use for the server and its relays (rtc.announced_ip, or rtc.address
  // when that is concrete), and the turns: URL's host unless turn.tls_host names one.
  // `workers` are the SFU's workers: relays may always reach their sockets (bound, and as
  // clients know them), and relayed media between a relay and a worker goes through the
  // worker's in-process queues when it has them.
  static absl::StatusOr<std::unique_ptr<TurnRunner>> Create(
      const config::TurnConfig& config, const std::string& bind_ip, const std::string& public_ip,
      const std::vector<SfuWorkerEndpoints>& workers, const transport::Clock& clock,
      std::function<int64_t()> unix_now);
  ~TurnRunner();
  TurnRunner(const TurnRunner&) = delete;
  TurnRunner& operator=(const TurnRunner&) = delete;

  void Start();
  void Stop();  // Idempotent; joins the thread.

  // stun: and turn: URLs with credentials for `identity`, valid for credential_ttl_seconds:
  // a stun: server, and one TURN server with turn:?transport=udp, turn:?transport=tcp and
  // turns:<tls_host>:<tls_port>?transport=tcp (RFC 7065) as far as they are served.
  // Thread-safe.
  std::vector<IceServerInfo> IceServersFor(const std::string& identity) const;

  uint16_t port() const { return port_; }
  uint16_t tcp_port() const { return tcp_port_; }  // 0 without TURN over TCP
  uint16_t tls_port() const { return tls_port_; }  // 0 without TURN over TLS
  // The TURN core's counters as of its last 1 s tick (never waits on the TURN thread).
  // Thread-safe.
  transport::TurnServer::Stats CollectStats() const;
  // The TCP and TLS listeners' connection counters, as of the same tick. Thread-safe.
  transport::TurnService::StreamStats CollectStreamStats() const;

 private:
  TurnRunner() = default;

  std::unique_ptr<boost::asio::io_context> io_;
  std::unique_ptr<transport::TurnService> service_;
  std::thread thread_;
  std::function<int64_t()> unix_now_;
  std::string secret_;
  std::string public_host_;  // IP as it goes into a URL ("[v6]" bracketed)
  std::string tls_host_;     // host of the turns: URL, bracketed likewise
  uint16_t port_ = 0;
  uint16_t tcp_port_ = 0;
  uint16_t tls_port_ = 0;
  uint32_t ttl_seconds_ = 0;
  mutable absl::Mutex stats_mutex_;
  transport::TurnServer::Stats stats_ ABSL_GUARDED_BY(stats_mutex_);
  transport::TurnService::StreamStats stream_stats_ ABSL_GUARDED_BY(stats_mutex_);
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace switchyard::api

#endif  // SWITCHYARD_API_TURN_RUNNER_H_
