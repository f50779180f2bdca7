#ifndef SWITCHYARD_BENCH_LOAD_JANUS_CLIENT_H_
#define SWITCHYARD_BENCH_LOAD_JANUS_CLIENT_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "bench/load/janus_api.h"
#include "bench/load/janus_http_channel.h"
#include "bench/load/load_client.h"
#include "bench/load/media_session.h"
#include "bench/load/participant.h"
#include "bench/load/peer_connection.h"
#include "bench/load/publisher_media.h"
#include "bench/load/subscriber_tracks.h"

namespace switchyard::bench {

// One simulated participant session against Janus's videoroom plugin over its HTTP API
// (--target janus), doing what janus.js and the videoroom demo do, with the same media and the
// same measurement as LoadClient against Switchyard (PublisherMedia, SubscriberTracks):
//  1. creates a Janus session (the long poll starts; a keepalive every 25 s), attaches
//     janus.plugin.videoroom and creates the room if it does not exist yet (427 is fine);
//  2. publishers: join as publisher, then "publish" with a JSEP offer (the same offer as
//     against Switchyard); Janus answers a=setup:active, so here the PeerConnection is the DTLS
//     server. Janus (libnice, full ICE, controlled) checks us too; PeerConnection answers;
//  3. subscribers: wait until every planned publisher is publishing (listparticipants, polled
//     every 200 ms), then join as subscriber of all their streams; Janus offers, we answer with
//     "start". Publishers that also subscribe (meeting) attach a second handle and subscribe to
//     the publishers announced on the join and in later events ("subscribe" renegotiates);
//     one subscription change is in flight at a time.
// The PeerConnections and media are its MediaSession's (bench/load/media_session.h). Join time
// is the first request (session create) sent → first media decrypted (subscribers) or
// → publisher connected (publish-only). Leave destroys the Janus session and closes DTLS.
//
// Single-threaded on its environment's io_context; destroyed only outside its callbacks.
class JanusClient final : public Participant,
                          public JanusHttpChannel::Observer,
                          public MediaSession {
 public:
  JanusClient(ClientEnvironment& env, const HttpUrl& url, ClientPlan plan, int generation);
  ~JanusClient() override;
  JanusClient(const JanusClient&) = delete;
  JanusClient& operator=(const JanusClient&) = delete;

  // Participant
  void Start() override;
  void Leave() override;
  void Tick(transport::Timestamp now) override;
  const ClientPlan& plan() const override { return plan_; }
  bool connected() const override;
  bool finished() const override { return failed_ || left_; }
  int tracks_with_media() const override { return tracks_.tracks_with_media(); }
  int ExpectedTracks() const override { return expected_tracks_; }
  QualityTotals Quality() const override;
  std::optional<transport::Timestamp> started_at() const override { return join_sent_at_; }

  bool failed() const { return failed_; }
  const std::string& failure() const { return failure_; }

 private:
  // What a transaction was for.
  enum class Request {
    kCreateSession,
    kAttachMain,
    kCreateRoom,
    kJoinPublisher,
    kPublish,
    kAttachSubscriber,
    kListParticipants,
    kJoinSubscriber,
    kSubscribe,
    kStart,
    kKeepalive,
    kDestroy,
  };

  // JanusHttpChannel::Observer
  void OnJanusBody(const std::string& body) override;
  void OnJanusChannelFailed(const std::string& why) override;

  // Registers a transaction for `request` and returns its id.
  std::string NewTransaction(Request request);
  void SendToSession(Request request, std::string (*build)(const std::string&));
  void SendMessage(Request request, uint64_t handle, const std::string& body,
                   const std::optional<Jsep>& jsep);
  void Attach(Request request);
  std::string SessionPath() const;

  void Dispatch(const JanusMessage& message);
  void OnResponse(Request request, const JanusMessage& message);
  void OnJoinedAsPublisher(const JanusMessage& message);
  void OnPublishAnswer(const std::string& sdp);
  void ListParticipants();
  void AddFeeds(const std::vector<uint64_t>& feeds);
  void MaybeSubscribe();
  void OnSubscribeOffer(const std::string& sdp);
  void Fail(const std::string& why) override;

  const HttpUrl url_;
  const ClientPlan plan_;
  const int generation_;
  const int expected_tracks_;
  const uint64_t room_;
  std::shared_ptr<JanusHttpChannel> channel_;
  std::map<std::string, Request> pending_;
  uint64_t next_transaction_ = 0;

  uint64_t session_id_ = 0;
  uint64_t main_handle_ = 0;        // the publisher handle, or a pure subscriber's only one
  uint64_t subscriber_handle_ = 0;  // where subscriptions live (== main_handle_ for pure ones)
  uint64_t my_feed_ = 0;
  std::vector<uint64_t> pending_feeds_;
  std::vector<uint64_t> subscribed_feeds_;
  bool subscriber_joined_ = false;
  bool subscription_busy_ = false;
  std::optional<transport::Timestamp> list_again_at_;
  std::optional<transport::Timestamp> last_keepalive_;

  std::optional<transport::Timestamp> start_at_;
  bool joined_ = false;
};

}  // namespace switchyard::bench

#endif  // SWITCHYARD_BENCH_LOAD_JANUS_CLIENT_H_
