#include "bench/load/janus_client.h"

#include <algorithm>
#include <chrono>

#include "rtc/sdp_parser.h"

namespace switchyard::bench {

namespace {

constexpr std::string_view kVideoRoomPlugin = "janus.plugin.videoroom";
// Janus drops a session after 60 s without activity (janus.jcfg session_timeout).
constexpr auto kKeepaliveInterval = std::chrono::seconds(25);
constexpr auto kListInterval = std::chrono::milliseconds(200);
// JANUS_VIDEOROOM_ERROR_ROOM_EXISTS (plugins/janus_videoroom.c).
constexpr int kRoomExists = 427;

std::string_view RequestName(int request) {
  static constexpr std::string_view kNames[] = {
      "create session", "attach", "create room", "join as publisher", "publish",
      "attach subscriber", "listparticipants", "join as subscriber", "subscribe", "start",
      "keepalive", "destroy"};
  return kNames[request];
}

}  // namespace

JanusClient::JanusClient(ClientEnvironment& env, const HttpUrl& url, ClientPlan plan,
                         int generation)
    : MediaSession(env),
      url_(url),
      plan_(std::move(plan)),
      generation_(generation),
      expected_tracks_(bench::ExpectedTracks(env.config, plan_)),
      room_(JanusRoomId(env.config.room)) {}

JanusClient::~JanusClient() {
  env_.stats.retired.Add(Quality());
  if (channel_) channel_->Close();
  ReleasePeerConnections();
}

std::string JanusClient::NewTransaction(Request request) {
  // Not "t" + std::to_string(...): GCC 12 warns a false -Wrestrict on that at -O3.
  std::string id = std::to_string(++next_transaction_);
  id.insert(id.begin(), 't');
  pending_[id] = request;
  return id;
}

std::string JanusClient::SessionPath() const {
  return url_.path + (url_.path == "/" ? "" : "/") + std::to_string(session_id_);
}

void JanusClient::SendToSession(Request request, std::string (*build)(const std::string&)) {
  channel_->Post(SessionPath(), build(NewTransaction(request)));
}

void JanusClient::SendMessage(Request request, uint64_t handle, const std::string& body,
                              const std::optional<Jsep>& jsep) {
  channel_->Post(SessionPath() + "/" + std::to_string(handle),
                 JanusMessageRequest(NewTransaction(request), body, jsep));
}

void JanusClient::Attach(Request request) {
  channel_->Post(SessionPath(), JanusAttachRequest(NewTransaction(request), kVideoRoomPlugin));
}

void JanusClient::Start() {
  ++env_.stats.sessions_started;
  start_at_ = env_.clock.Now();
  channel_ = std::make_shared<JanusHttpChannel>(env_.io, *this, url_);
  channel_->Post(url_.path, JanusCreateSessionRequest(NewTransaction(Request::kCreateSession)));
  join_sent_at_ = env_.clock.Now();
}

void JanusClient::OnJanusBody(const std::string& body) {
  if (finished()) return;
  auto messages = ParseJanusMessages(body);
  if (!messages.ok()) return Fail("Janus: " + std::string(messages.status().message()));
  for (const JanusMessage& m : *messages) {
    if (finished()) return;
    Dispatch(m);
  }
}

void JanusClient::OnJanusChannelFailed(const std::string& why) {
  if (finished()) return;
  Fail("Janus HTTP: " + why);
}

void JanusClient::Dispatch(const JanusMessage& m) {
  // An "ack" only says an asynchronous request was accepted; its event follows.
  if (m.janus == "keepalive" || m.janus == "ack") return;
  if (!m.transaction.empty()) {
    if (auto it = pending_.find(m.transaction); it != pending_.end()) {
      const Request request = it->second;
      pending_.erase(it);
      return OnResponse(request, m);
    }
  }
  // Events Janus raises on its own.
  if (m.janus == "hangup") return Fail("Janus hung up the PeerConnection: " + m.reason);
  if (m.janus == "timeout") return Fail("Janus timed the session out");
  if (m.janus != "event" || !m.has_plugin_data) return;  // webrtcup, media, slowlink, ...
  if (m.sender == main_handle_ && plan_.publisher && !m.publishers.empty()) {
    AddFeeds(m.publishers);
  } else if (m.sender == subscriber_handle_ && m.jsep && m.jsep->type == "offer") {
    OnSubscribeOffer(m.jsep->sdp);  // Janus renegotiates on its own (a publisher left)
  }
}

void JanusClient::OnResponse(Request request, const JanusMessage& m) {
  if (request == Request::kKeepalive || request == Request::kDestroy) return;
  const std::string what(RequestName(static_cast<int>(request)));
  if (m.janus == "error") {
    return Fail("Janus " + what + ": error " + std::to_string(m.error_code) + " " +
                m.error_reason);
  }
  if (m.plugin_error_code != 0 &&
      !(request == Request::kCreateRoom && m.plugin_error_code == kRoomExists)) {
    return Fail("videoroom " + what + ": error " + std::to_string(m.plugin_error_code) + " " +
                m.plugin_error);
  }
  switch (request) {
    case Request::kCreateSession:
      if (m.data_id == 0) return Fail("Janus create session: no id");
      session_id_ = m.data_id;
      last_keepalive_ = env_.clock.Now();
      channel_->StartPolling(SessionPath());
      return Attach(Request::kAttachMain);
    case Request::kAttachMain:
      if (m.data_id == 0) return Fail("Janus attach: no handle id");
      main_handle_ = m.data_id;
      return SendMessage(Request::kCreateRoom, main_handle_,
                         VideoRoomCreateBody(room_, std::max(env_.config.publishers, 1)),
                         std::nullopt);
    case Request::kCreateRoom:
      if (plan_.publisher) {
        return SendMessage(Request::kJoinPublisher, main_handle_,
                           VideoRoomJoinPublisherBody(room_, plan_.identity), std::nullopt);
      }
      joined_ = true;
      subscriber_handle_ = main_handle_;
      return ListParticipants();
    case Request::kJoinPublisher:
      return OnJoinedAsPublisher(m);
    case Request::kPublish:
      if (!m.jsep || m.jsep->type != "answer") return Fail("Janus publish: no JSEP answer");
      return OnPublishAnswer(m.jsep->sdp);
    case Request::kAttachSubscriber:
      if (m.data_id == 0) return Fail("Janus attach: no handle id");
      subscriber_handle_ = m.data_id;
      return MaybeSubscribe();
    case Request::kListParticipants:
      if (static_cast<int>(m.publishing_participants.size()) < env_.config.publishers) {
        list_again_at_ = env_.clock.Now() + kListInterval;
        return;
      }
      AddFeeds(m.publishing_participants);
      return MaybeSubscribe();
    case Request::kJoinSubscriber:
    case Request::kSubscribe:
      if (m.jsep && m.jsep->type == "offer") return OnSubscribeOffer(m.jsep->sdp);
      // Nothing to renegotiate (e.g. the feeds left meanwhile).
      subscription_busy_ = false;
      return MaybeSubscribe();
    case Request::kStart:
      subscription_busy_ = false;
      return MaybeSubscribe();
    case Request::kKeepalive:
    case Request::kDestroy:
      return;
  }
}

void JanusClient::OnJoinedAsPublisher(const JanusMessage& m) {
  if (m.videoroom != "joined" || m.id == 0) return Fail("Janus join: unexpected " + m.videoroom);
  joined_ = true;
  my_feed_ = m.id;
  auto pc = PeerConnection::Create(env_.io, env_.clock, env_.dtls, env_.bind_address, *this,
                                   env_.stats.counters, env_.config.decrypt_sample);
  if (!pc.ok()) return Fail("publisher socket: " + std::string(pc.status().message()));
  publisher_ = std::move(*pc);
  media_ = std::make_unique<PublisherMedia>(env_.config, plan_, generation_);
  const std::string offer =
      BuildPublishOffer(media_->offer_spec(), publisher_->local_ice(), publisher_->fingerprint(),
                        publisher_->session_id(), publisher_->NextSessionVersion());
  SendMessage(Request::kPublish, main_handle_, VideoRoomPublishBody(), Jsep{"offer", offer});
  if (plan_.subscribe) {
    AddFeeds(m.publishers);
    Attach(Request::kAttachSubscriber);
  }
}

void JanusClient::OnPublishAnswer(const std::string& sdp) {
  if (!publisher_) return;
  auto answer = rtc::ParseSdp(sdp);
  if (!answer.ok()) return Fail("publish answer: " + std::string(answer.status().message()));
  auto remote = RemoteTransportOf(*answer);
  if (!remote.ok()) return Fail("publish answer: " + std::string(remote.status().message()));
  if (absl::Status s = publisher_->SetRemoteTransport(*remote); !s.ok()) {
    return Fail("publish answer: " + std::string(s.message()));
  }
  if (absl::Status s = media_->OnAnswer(*answer); !s.ok()) {
    return Fail("publish answer: " + std::string(s.message()));
  }
}

void JanusClient::ListParticipants() {
  list_again_at_.reset();
  SendMessage(Request::kListParticipants, main_handle_, VideoRoomListParticipantsBody(room_),
              std::nullopt);
}

void JanusClient::AddFeeds(const std::vector<uint64_t>& feeds) {
  for (const uint64_t feed : feeds) {
    if (feed == my_feed_) continue;
    if (std::find(pending_feeds_.begin(), pending_feeds_.end(), feed) != pending_feeds_.end() ||
        std::find(subscribed_feeds_.begin(), subscribed_feeds_.end(), feed) !=
            subscribed_feeds_.end()) {
      continue;
    }
    pending_feeds_.push_back(feed);
  }
  MaybeSubscribe();
}

void JanusClient::MaybeSubscribe() {
  if (subscriber_handle_ == 0 || subscription_busy_ || pending_feeds_.empty()) return;
  subscription_busy_ = true;
  if (!subscriber_joined_) {
    subscriber_joined_ = true;
    SendMessage(Request::kJoinSubscriber, subscriber_handle_,
                VideoRoomJoinSubscriberBody(room_, pending_feeds_), std::nullopt);
  } else {
    SendMessage(Request::kSubscribe, subscriber_handle_, VideoRoomSubscribeBody(pending_feeds_),
                std::nullopt);
  }
  subscribed_feeds_.insert(subscribed_feeds_.end(), pending_feeds_.begin(),
                           pending_feeds_.end());
  pending_feeds_.clear();
}

void JanusClient::OnSubscribeOffer(const std::string& sdp) {
  if (!subscriber_) {
    auto pc = PeerConnection::Create(env_.io, env_.clock, env_.dtls, env_.bind_address, *this,
                                     env_.stats.counters, env_.config.decrypt_sample);
    if (!pc.ok()) return Fail("subscriber socket: " + std::string(pc.status().message()));
    subscriber_ = std::move(*pc);
    // We are the DTLS client here; Janus takes DTLS only on a pair libnice validated.
    subscriber_->set_dtls_after_peer_check(true);
  }
  auto offer = rtc::ParseSdp(sdp);
  if (!offer.ok()) return Fail("subscribe offer: " + std::string(offer.status().message()));
  auto answer = BuildSubscribeAnswer(*offer, subscriber_->local_ice(), subscriber_->fingerprint(),
                                     subscriber_->session_id(),
                                     subscriber_->NextSessionVersion());
  if (!answer.ok()) return Fail("subscribe offer: " + std::string(answer.status().message()));
  subscription_busy_ = true;
  SendMessage(Request::kStart, subscriber_handle_, VideoRoomStartBody(),
              Jsep{"answer", answer->sdp});
  tracks_.ApplyOffer(answer->tracks);
  auto remote = RemoteTransportOf(*offer);
  if (!remote.ok()) return Fail("subscribe offer: " + std::string(remote.status().message()));
  if (absl::Status s = subscriber_->SetRemoteTransport(*remote); !s.ok()) {
    return Fail("subscribe offer: " + std::string(s.message()));
  }
}

void JanusClient::Tick(transport::Timestamp now) {
  if (!TickMedia(now)) return;
  if (session_id_ != 0 && last_keepalive_ && now - *last_keepalive_ >= kKeepaliveInterval) {
    last_keepalive_ = now;
    SendToSession(Request::kKeepalive, &JanusKeepaliveRequest);
  }
  if (list_again_at_ && now >= *list_again_at_) ListParticipants();
  if (!was_connected_) {
    if (connected()) {
      was_connected_ = true;
    } else if (start_at_ && now - *start_at_ > std::chrono::duration_cast<transport::Duration>(
                                                   std::chrono::duration<double>(
                                                       env_.config.connect_timeout_s))) {
      std::string stage;
      if (session_id_ == 0) {
        stage = "no Janus session";
      } else if (!joined_) {
        stage = "not joined to the room";
      } else if (plan_.publisher && !publisher_connected_) {
        stage = !publisher_ ? "no publisher PeerConnection"
                : publisher_->ice_connected() ? "publisher DTLS not connected"
                                              : "publisher ICE not connected";
      } else if (!subscriber_) {
        stage = list_again_at_ ? "waiting for the publishers" : "no subscribe offer";
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

bool JanusClient::connected() const {
  if (finished() || !joined_) return false;
  if (plan_.publisher && !publisher_connected_) return false;
  if (expected_tracks_ > 0 && !first_media_) return false;
  return true;
}

QualityTotals JanusClient::Quality() const {
  QualityTotals q;
  tracks_.AddQuality(q, env_.config.decrypt_sample > 1);
  if (media_) q.keyframes_sent += media_->keyframes_sent();
  return q;
}

void JanusClient::Leave() {
  if (finished()) return;
  left_ = true;
  if (channel_) {
    // Destroying the session detaches its handles: Janus hangs up both PeerConnections.
    if (session_id_ != 0) SendToSession(Request::kDestroy, &JanusDestroyRequest);
    channel_->Close();
  }
  ReleasePeerConnections();
}

void JanusClient::Fail(const std::string& why) {
  if (!RecordFailure(why)) return;
  if (channel_) channel_->Close();
  ReleasePeerConnections();
}

}  // namespace switchyard::bench
