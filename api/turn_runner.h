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

// The embedded STUN/TURN server of a Switchyard process (config.turn): a TurnService on a
// thread of its own, so relayed media never waits behind signaling or a worker's fan-out, and
// the credentials the signaling gives out for it.
class TurnRunner {
 public:
  // Binds the socket (the error names the port when it is taken) on turn.address, else
  // `bind_ip` (rtc.address). `public_ip` is the address clients are told to use for the
  // server and its relays (rtc.announced_ip, or rtc.address when that is concrete).
  // `sfu_addresses` are the workers' bound media addresses: relays may always reach them (and
  // the same ports on `public_ip`, which is how clients know them).
  static absl::StatusOr<std::unique_ptr<TurnRunner>> Create(const config::TurnConfig& config,
                                                            const std::string& bind_ip,
                                                            const std::string& public_ip,
                                                            std::vector<transport::SocketAddress> sfu_addresses,
                                                            const transport::Clock& clock,
                                                            std::function<int64_t()> unix_now);
  ~TurnRunner();
  TurnRunner(const TurnRunner&) = delete;
  TurnRunner& operator=(const TurnRunner&) = delete;

  void Start();
  void Stop();  // Idempotent; joins the thread.

  // stun: and turn: URLs with credentials for `identity`, valid for credential_ttl_seconds.
  // Thread-safe.
  std::vector<IceServerInfo> IceServersFor(const std::string& identity) const;

  uint16_t port() const { return port_; }
  uint16_t tcp_port() const { return tcp_port_; }  // 0 without TURN over TCP
  // The TURN core's counters as of its last 1 s tick (never waits on the TURN thread).
  // Thread-safe.
  transport::TurnServer::Stats CollectStats() const;

 private:
  TurnRunner() = default;

  std::unique_ptr<boost::asio::io_context> io_;
  std::unique_ptr<transport::TurnService> service_;
  std::thread thread_;
  std::function<int64_t()> unix_now_;
  std::string secret_;
  std::string public_host_;  // IP as it goes into a URL ("[v6]" bracketed)
  uint16_t port_ = 0;
  uint16_t tcp_port_ = 0;
  uint32_t ttl_seconds_ = 0;
  mutable absl::Mutex stats_mutex_;
  transport::TurnServer::Stats stats_ ABSL_GUARDED_BY(stats_mutex_);
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace switchyard::api

#endif  // SWITCHYARD_API_TURN_RUNNER_H_
