#ifndef SWITCHYARD_BENCH_LOAD_LOAD_CLIENT_H_
#define SWITCHYARD_BENCH_LOAD_LOAD_CLIENT_H_

#include <memory>
#include <optional>
#include <string>

#include "bench/load/load_config.h"
#include "bench/load/media_session.h"
#include "bench/load/signaling_client.h"
#include "bench/load/worker_stats.h"
#include "transport/clock.h"

namespace switchyard::bench {

// One simulated participant (one session: a rejoin after churn is a new LoadClient), doing
// what the demo page does (api/web/signaling.js, publisher.js, subscriber.js):
//  1. opens the signaling WebSocket and sends join with a token signed here (HS256, the
//     server's API key and secret);
//  2. publishers: on joined, offer a sendonly publisher PeerConnection (Opus, VP8 simulcast by
//     rid), apply the answer, connect (ICE, DTLS client, SRTP) and start the synthetic streams;
//     answer PLI/FIR with a keyframe of that encoding; send sender reports every second
//     (bench/load/publisher_media.h);
//  3. subscribers: answer every subscribe offer on the subscriber PeerConnection (created on
//     the first), connect, and measure every packet of every track
//     (bench/load/subscriber_tracks.h).
// The PeerConnections and media are its MediaSession's (bench/load/media_session.h). Join time
// is join sent → first media packet decrypted (subscribers) or → publisher connected
// (publish-only clients).
//
// Single-threaded on its environment's io_context. Tick() drives timers and media; the owner
// destroys the client only outside its callbacks (after finished()).
class LoadClient final : public SignalingClient::Observer, public MediaSession {
 public:
  LoadClient(ClientEnvironment& env, ClientPlan plan, int generation);
  ~LoadClient() override;
  LoadClient(const LoadClient&) = delete;
  LoadClient& operator=(const LoadClient&) = delete;

  void Start();
  // Leaves gracefully: signaling leave + close, DTLS close_notify, sockets closed.
  void Leave();
  void Tick(transport::Timestamp now);

  const ClientPlan& plan() const { return plan_; }
  // Signaling joined and every PeerConnection it needs connected (a subscriber's once it got
  // its first media).
  bool connected() const;
  bool failed() const { return failed_; }
  bool left() const { return left_; }
  bool finished() const override { return failed_ || left_; }
  const std::string& failure() const { return failure_; }
  // Active tracks that delivered at least one packet / that exist now.
  int tracks_with_media() const;
  int ExpectedTracks() const { return expected_tracks_; }
  // Current receive-side totals of this session (for the runner's per-second snapshot).
  QualityTotals Quality() const;
  std::optional<transport::Timestamp> started_at() const { return join_sent_at_; }

 private:
  // SignalingClient::Observer
  void OnSignalingOpen() override;
  void OnSignalingMessage(const v1::ServerMessage& message) override;
  void OnSignalingClosed(const std::string& why) override;

  void OnJoined();
  void OnPublishAnswer(const std::string& sdp);
  void OnSubscribeOffer(const std::string& sdp);
  void Fail(const std::string& why) override;

  const ClientPlan plan_;
  const int generation_;
  const int expected_tracks_;
  std::shared_ptr<SignalingClient> signaling_;

  std::optional<transport::Timestamp> start_at_;
  bool joined_ = false;
};

}  // namespace switchyard::bench

#endif  // SWITCHYARD_BENCH_LOAD_LOAD_CLIENT_H_
