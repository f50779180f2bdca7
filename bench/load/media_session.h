#ifndef SWITCHYARD_BENCH_LOAD_MEDIA_SESSION_H_
#define SWITCHYARD_BENCH_LOAD_MEDIA_SESSION_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include <boost/asio/io_context.hpp>

#include "bench/load/load_config.h"
#include "bench/load/peer_connection.h"
#include "bench/load/publisher_media.h"
#include "bench/load/signaling_client.h"
#include "bench/load/subscriber_tracks.h"
#include "bench/load/worker_stats.h"
#include "transport/clock.h"
#include "transport/dtls_context.h"

namespace switchyard::bench {

// What every client of one event-loop thread shares. All references outlive the clients.
struct ClientEnvironment {
  boost::asio::io_context& io;
  const transport::Clock& clock;
  const transport::DtlsContext& dtls;
  const LoadConfig& config;
  WebSocketUrl url;
  transport::SocketAddress bind_address;
  WorkerStats& stats;
};

// The media half of one participant session, whatever server signals it (LoadClient for
// Switchyard, JanusClient for Janus): the publisher and subscriber PeerConnections (this is
// their observer), the synthetic streams sent on the first and the tracks measured on the
// second. A client derives from it, creates the PeerConnections and PublisherMedia from its
// signaling, sets join_sent_at_ when its first request goes out, and calls TickMedia() from its
// Tick(). Join time (stats.new_join_us) is join_sent_at_ → first media packet the subscriber
// measured; publish time (stats.new_publish_us) is join_sent_at_ → publisher connected, when the
// streams start.
//
// Single-threaded on env.io, like the client.
class MediaSession : public PeerConnection::Observer {
 public:
  MediaSession(const MediaSession&) = delete;
  MediaSession& operator=(const MediaSession&) = delete;

  virtual bool finished() const = 0;

 protected:
  explicit MediaSession(ClientEnvironment& env);
  ~MediaSession() override = default;

  // The session is over: record `why` and release everything. Called from the PeerConnection
  // callbacks; must tolerate being called when already finished().
  virtual void Fail(const std::string& why) = 0;

  // Runs both PeerConnections' timers, then sends the streams' due packets. False when the
  // session is (or became, through a timer) finished(): the caller's Tick() stops there.
  bool TickMedia(transport::Timestamp now);
  // Closes both PeerConnections (DTLS close_notify, sockets closed).
  void ReleasePeerConnections();
  // A client's Fail() starts here: false when the session had already finished; otherwise
  // marks it failed with `why` and counts it (a disconnect once it had connected, else a
  // connect failure, and by reason). The client then closes its signaling and calls
  // ReleasePeerConnections().
  bool RecordFailure(const std::string& why);

  ClientEnvironment& env_;
  std::unique_ptr<PeerConnection> publisher_;
  std::unique_ptr<PeerConnection> subscriber_;
  // Created with the publisher PeerConnection (publishers only).
  std::unique_ptr<PublisherMedia> media_;
  SubscriberTracks tracks_;
  std::optional<transport::Timestamp> join_sent_at_;
  // The subscriber's receiver reports: its SSRC (unique in the process) and when it sent one.
  uint32_t receiver_ssrc_;
  std::optional<transport::Timestamp> last_receiver_report_;
  bool publisher_connected_ = false;
  bool first_media_ = false;
  bool failed_ = false;
  bool left_ = false;
  bool was_connected_ = false;
  std::string failure_;

 private:
  // PeerConnection::Observer
  void OnPeerConnected(PeerConnection& pc) override;
  void OnPeerFailed(PeerConnection& pc, const std::string& why) override;
  void OnPeerRtp(PeerConnection& pc, std::span<uint8_t> packet, bool decrypted,
                 transport::Timestamp arrival) override;
  void OnPeerRtcp(PeerConnection& pc, std::span<const uint8_t> compound) override;
};

}  // namespace switchyard::bench

#endif  // SWITCHYARD_BENCH_LOAD_MEDIA_SESSION_H_
