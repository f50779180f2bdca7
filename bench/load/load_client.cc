#include "bench/load/load_client.h"

#include <chrono>

#include "api/access_token.h"
#include "bench/load/bench_sdp.h"
#include "rtc/sdp_parser.h"

namespace switchyard::bench {

namespace {

constexpr int64_t kTokenLifetimeSeconds = 24 * 3600;

}  // namespace

LoadClient::LoadClient(ClientEnvironment& env, ClientPlan plan, int generation)
    : MediaSession(env),
      plan_(std::move(plan)),
      generation_(generation),
      expected_tracks_(bench::ExpectedTracks(env.config, plan_)) {}

LoadClient::~LoadClient() {
  env_.stats.retired.Add(Quality());
  if (signaling_) signaling_->Close();
  ReleasePeerConnections();
}

void LoadClient::Start() {
  ++env_.stats.sessions_started;
  start_at_ = env_.clock.Now();
  signaling_ = std::make_shared<SignalingClient>(env_.io, *this);
  signaling_->Connect(env_.url);
}

void LoadClient::OnSignalingOpen() {
  const int64_t now_unix = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  api::AccessTokenClaims claims;
  claims.api_key = env_.config.api_key;
  claims.identity = plan_.identity + (generation_ > 0 ? ".g" + std::to_string(generation_) : "");
  claims.name = claims.identity;
  claims.not_before = now_unix - 5;
  claims.expires_at = now_unix + kTokenLifetimeSeconds;
  claims.video.room = env_.config.room;
  claims.video.room_join = true;
  claims.video.can_publish = plan_.publisher;
  claims.video.can_subscribe = plan_.subscribe;
  claims.video.can_publish_data = false;
  auto token = api::CreateAccessToken(claims, env_.config.api_secret);
  if (!token.ok()) return Fail("token: " + std::string(token.status().message()));
  v1::ClientMessage join;
  join.mutable_join()->set_token(*token);
  signaling_->Send(join);
  join_sent_at_ = env_.clock.Now();
}

void LoadClient::OnSignalingMessage(const v1::ServerMessage& message) {
  if (finished()) return;
  switch (message.message_case()) {
    case v1::ServerMessage::kJoined:
      return OnJoined();
    case v1::ServerMessage::kPublishAnswer:
      return OnPublishAnswer(message.publish_answer().sdp());
    case v1::ServerMessage::kSubscribeOffer:
      return OnSubscribeOffer(message.subscribe_offer().sdp());
    case v1::ServerMessage::kError:
      // Before joining any error is fatal (bad token, full room); afterwards only SDP ones.
      if (!joined_ || message.error().code() == "bad_sdp") {
        return Fail("server error " + message.error().code() + ": " + message.error().message());
      }
      return;
    case v1::ServerMessage::kDisconnected:
      return Fail("disconnected by the server: " + message.disconnected().reason());
    default:
      return;
  }
}

void LoadClient::OnSignalingClosed(const std::string& why) {
  if (finished()) return;
  Fail("signaling: " + why);
}

void LoadClient::OnJoined() {
  if (joined_) return;
  joined_ = true;
  if (!plan_.publisher) return;
  auto pc = PeerConnection::Create(env_.io, env_.clock, env_.dtls, env_.bind_address, *this,
                                   env_.stats.counters, env_.config.decrypt_sample);
  if (!pc.ok()) return Fail("publisher socket: " + std::string(pc.status().message()));
  publisher_ = std::move(*pc);

  media_ = std::make_unique<PublisherMedia>(env_.config, plan_, generation_);
  v1::ClientMessage offer;
  offer.mutable_publish_offer()->set_sdp(
      BuildPublishOffer(media_->offer_spec(), publisher_->local_ice(), publisher_->fingerprint(),
                        publisher_->session_id(), publisher_->NextSessionVersion()));
  signaling_->Send(offer);
}

void LoadClient::OnPublishAnswer(const std::string& sdp) {
  if (!publisher_) return;
  auto answer = rtc::ParseSdp(sdp);
  if (!answer.ok()) return Fail("publish answer: " + std::string(answer.status().message()));
  auto remote = RemoteTransportOf(*answer);
  if (!remote.ok()) return Fail("publish answer: " + std::string(remote.status().message()));
  if (absl::Status s = publisher_->SetRemoteTransport(*remote); !s.ok()) {
    return Fail("publish answer: " + std::string(s.message()));
  }
  // Creates the streams on the first answer; a renegotiation keeps them.
  if (absl::Status s = media_->OnAnswer(*answer); !s.ok()) return Fail(std::string(s.message()));
}

void LoadClient::OnSubscribeOffer(const std::string& sdp) {
  if (!subscriber_) {
    auto pc = PeerConnection::Create(env_.io, env_.clock, env_.dtls, env_.bind_address, *this,
                                     env_.stats.counters, env_.config.decrypt_sample);
    if (!pc.ok()) return Fail("subscriber socket: " + std::string(pc.status().message()));
    subscriber_ = std::move(*pc);
  }
  auto offer = rtc::ParseSdp(sdp);
  if (!offer.ok()) return Fail("subscribe offer: " + std::string(offer.status().message()));
  auto answer = BuildSubscribeAnswer(*offer, subscriber_->local_ice(), subscriber_->fingerprint(),
                                     subscriber_->session_id(),
                                     subscriber_->NextSessionVersion());
  if (!answer.ok()) return Fail("subscribe offer: " + std::string(answer.status().message()));
  v1::ClientMessage reply;
  reply.mutable_subscribe_answer()->set_sdp(answer->sdp);
  signaling_->Send(reply);

  tracks_.ApplyOffer(answer->tracks);

  auto remote = RemoteTransportOf(*offer);
  if (!remote.ok()) return Fail("subscribe offer: " + std::string(remote.status().message()));
  if (absl::Status s = subscriber_->SetRemoteTransport(*remote); !s.ok()) {
    return Fail("subscribe offer: " + std::string(s.message()));
  }
}

void LoadClient::Tick(transport::Timestamp now) {
  if (!TickMedia(now)) return;
  if (!was_connected_) {
    if (connected()) {
      was_connected_ = true;
    } else if (start_at_ && now - *start_at_ > std::chrono::duration_cast<transport::Duration>(
                                                   std::chrono::duration<double>(
                                                       env_.config.connect_timeout_s))) {
      std::string stage;
      if (!join_sent_at_) {
        stage = "no WebSocket";
      } else if (!joined_) {
        stage = "no joined";
      } else if (plan_.publisher && !publisher_connected_) {
        stage = !publisher_ ? "no publisher PeerConnection"
                : publisher_->ice_connected() ? "publisher DTLS not connected"
                                              : "publisher ICE not connected";
      } else if (!subscriber_) {
        stage = "no subscribe offer";
      } else if (!subscriber_->ice_connected()) {
        stage = "subscriber ICE not connected";
      } else if (!subscriber_->connected()) {
        stage = "subscriber DTLS not connected";
      } else {
        stage = "no media";
      }
      Fail("not connected within --connect-timeout (" + stage + ")");
    }
  }
}

bool LoadClient::connected() const {
  if (finished() || !joined_) return false;
  if (plan_.publisher && !publisher_connected_) return false;
  if (expected_tracks_ > 0 && !first_media_) return false;
  return true;
}

int LoadClient::tracks_with_media() const { return tracks_.tracks_with_media(); }

QualityTotals LoadClient::Quality() const {
  QualityTotals q;
  tracks_.AddQuality(q, env_.config.decrypt_sample > 1);
  if (media_) q.keyframes_sent += media_->keyframes_sent();
  return q;
}

void LoadClient::Leave() {
  if (finished()) return;
  left_ = true;
  if (signaling_) {
    v1::ClientMessage leave;
    leave.mutable_leave();
    signaling_->Send(leave);
    signaling_->Close();
  }
  ReleasePeerConnections();
}

void LoadClient::Fail(const std::string& why) {
  if (!RecordFailure(why)) return;
  if (signaling_) signaling_->Close();
  ReleasePeerConnections();
}

}  // namespace switchyard::bench
