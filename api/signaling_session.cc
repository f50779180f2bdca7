#include "api/signaling_session.h"

#include <boost/asio/post.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace switchyard::api {

namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;

namespace {

void FillParticipant(const sfu::ParticipantSummary& p, ParticipantInfo* out) {
  out->set_participant_id(p.participant_id);
  out->set_identity(p.identity);
  out->set_name(p.name);
  for (const auto& t : p.tracks) FillTrackInfo(t, out->add_tracks());
}

// Called on the worker thread: builds the protobuf there and posts it to the session's thread.
class SessionObserver final : public sfu::ParticipantObserver {
 public:
  SessionObserver(boost::asio::any_io_executor executor, std::weak_ptr<SignalingSession> session)
      : executor_(std::move(executor)), session_(std::move(session)) {}

  void OnJoined(const std::string& participant_id, const std::string& room,
                const std::vector<sfu::ParticipantSummary>& others) override {
    ServerMessage m;
    auto* joined = m.mutable_joined();
    joined->set_participant_id(participant_id);
    joined->set_room(room);
    for (const auto& p : others) FillParticipant(p, joined->add_participants());
    Deliver(std::move(m));
  }
  void OnPublishAnswer(const std::string& sdp) override {
    ServerMessage m;
    m.mutable_publish_answer()->set_sdp(sdp);
    Deliver(std::move(m));
  }
  void OnSubscribeOffer(const std::string& sdp) override {
    ServerMessage m;
    m.mutable_subscribe_offer()->set_sdp(sdp);
    Deliver(std::move(m));
  }
  void OnParticipantJoined(const sfu::ParticipantSummary& participant) override {
    ServerMessage m;
    FillParticipant(participant, m.mutable_participant_joined()->mutable_participant());
    Deliver(std::move(m));
  }
  void OnParticipantLeft(const std::string& participant_id) override {
    ServerMessage m;
    m.mutable_participant_left()->set_participant_id(participant_id);
    Deliver(std::move(m));
  }
  void OnTrackPublished(const std::string& participant_id,
                        const sfu::TrackSummary& track) override {
    ServerMessage m;
    m.mutable_track_published()->set_participant_id(participant_id);
    FillTrackInfo(track, m.mutable_track_published()->mutable_track());
    Deliver(std::move(m));
  }
  void OnTrackUnpublished(const std::string& participant_id,
                          const std::string& track_id) override {
    ServerMessage m;
    m.mutable_track_unpublished()->set_participant_id(participant_id);
    m.mutable_track_unpublished()->set_track_id(track_id);
    Deliver(std::move(m));
  }
  void OnSubscriptionState(const std::string& track_id, int spatial, int temporal,
                           uint64_t estimate_bps) override {
    ServerMessage m;
    auto* state = m.mutable_subscription_state();
    state->set_track_id(track_id);
    state->set_spatial_layer(spatial);
    state->set_temporal_layer(temporal);
    state->set_bandwidth_estimate_bps(estimate_bps);
    Deliver(std::move(m));
  }
  void OnActiveSpeakers(const std::vector<std::string>& participant_ids) override {
    ServerMessage m;
    for (const auto& id : participant_ids) m.mutable_active_speakers()->add_participant_ids(id);
    Deliver(std::move(m));
  }
  void OnTrackMuted(const std::string& participant_id, const std::string& track_id,
                    bool muted) override {
    ServerMessage m;
    m.mutable_track_muted()->set_participant_id(participant_id);
    m.mutable_track_muted()->set_track_id(track_id);
    m.mutable_track_muted()->set_muted(muted);
    Deliver(std::move(m));
  }
  void OnSubscribeAnswer(const std::string&) override {
    // Only WHEP viewers offer their subscriber side; a signaling client never does.
  }
  void OnError(const std::string& code, const std::string& message) override {
    ServerMessage m;
    m.mutable_error()->set_code(code);
    m.mutable_error()->set_message(message);
    Deliver(std::move(m));
  }
  void OnClosed(const std::string& reason) override {
    boost::asio::post(executor_, [session = session_, reason] {
      if (auto s = session.lock()) s->OnServerClosed(reason);
    });
  }

 private:
  void Deliver(ServerMessage message) {
    boost::asio::post(executor_, [session = session_, message = std::move(message)] {
      if (auto s = session.lock()) s->Send(message);
    });
  }

  boost::asio::any_io_executor executor_;
  std::weak_ptr<SignalingSession> session_;
};

}  // namespace

SignalingSession::SignalingSession(PlainStream stream, SignalingContext& context)
    : ws_(std::in_place_index<0>, std::move(stream)), context_(context) {}

SignalingSession::SignalingSession(TlsStream stream, SignalingContext& context)
    : ws_(std::in_place_index<1>, std::move(stream)), context_(context) {}

SignalingSession::~SignalingSession() {
  if (participant_) context_.rooms.Leave(participant_->participant_id());
}

void SignalingSession::Start(beast::http::request<beast::http::string_body> request) {
  // Browsers cannot set headers on a WebSocket, so the token may ride in the URL (as LiveKit's
  // clients send it); the join message's token wins.
  const std::string target(request.target());
  if (auto q = target.find("access_token="); q != std::string::npos) {
    url_token_ = target.substr(q + 13, target.find('&', q) - (q + 13));
  }
  std::visit(
      [&](auto& ws) {
        ws.read_message_max(kMaxSignalingMessageSize);
        ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
        ws.async_accept(request, [self = shared_from_this()](beast::error_code ec) {
          if (ec) return;
          self->Read();
        });
      },
      ws_);
}

void SignalingSession::Read() {
  std::visit(
      [&](auto& ws) {
        ws.async_read(read_buffer_, [self = shared_from_this()](beast::error_code ec, size_t) {
          if (ec) {
            self->Shutdown();
            return;
          }
          std::string text = beast::buffers_to_string(self->read_buffer_.data());
          self->read_buffer_.consume(self->read_buffer_.size());
          self->OnMessage(text);
          if (!self->closed_) self->Read();
        });
      },
      ws_);
}

void SignalingSession::OnMessage(const std::string& text) {
  auto message = DecodeClientMessage(text);
  if (!message.ok()) {
    SendError("bad_message", std::string(message.status().message()));
    return;
  }
  switch (message->message_case()) {
    case ClientMessage::kJoin:
      return HandleJoin(message->join());
    case ClientMessage::kPublishOffer:
      if (!participant_) return SendError("not_joined", "join a room first");
      participant_->PublishOffer(message->publish_offer().sdp());
      return;
    case ClientMessage::kSubscribeAnswer:
      if (!participant_) return SendError("not_joined", "join a room first");
      participant_->SubscribeAnswer(message->subscribe_answer().sdp());
      return;
    case ClientMessage::kUpdateSubscription: {
      if (!participant_) return SendError("not_joined", "join a room first");
      const UpdateSubscription& update = message->update_subscription();
      auto preference = ToLayerPreference(update);
      if (!preference.ok()) return SendError("bad_message", std::string(preference.status().message()));
      participant_->UpdateSubscription(update.track_id(), *preference, update.pinned());
      return;
    }
    case ClientMessage::kRestartIce:
      if (!participant_) return SendError("not_joined", "join a room first");
      participant_->RestartSubscriberIce();
      return;
    case ClientMessage::kLeave:
      if (participant_) {
        context_.rooms.Leave(participant_->participant_id());
        participant_.reset();
      }
      CloseAfterSending();
      return;
    case ClientMessage::kSendData: {
      if (!participant_) return SendError("not_joined", "join a room first");
      const v1::SendData& data = message->send_data();
      auto s = context_.rooms.SendDataFromParticipant(
          participant_->participant_id(), data.topic(), data.payload(),
          {data.destination_participant_ids().begin(), data.destination_participant_ids().end()});
      if (!s.ok()) {
        SendError(s.code() == absl::StatusCode::kPermissionDenied ? "permission_denied"
                                                                  : "bad_message",
                  std::string(s.message()));
      }
      return;
    }
    case ClientMessage::MESSAGE_NOT_SET:
      return;
  }
}

void SignalingSession::HandleJoin(const v1::Join& join) {
  if (participant_) return SendError("already_joined", "this connection already joined a room");
  const std::string token = join.token().empty() ? url_token_ : join.token();
  if (token.empty()) {
    SendError("unauthenticated", "a join token is required (Join.token or ?access_token=)");
    return CloseAfterSending();
  }
  auto claims = context_.verifier.Verify(token, context_.unix_now());
  if (!claims.ok()) {
    SendError("unauthenticated", std::string(claims.status().message()));
    return CloseAfterSending();
  }
  const VideoGrant& grant = claims->video;
  if (!grant.room_join) {
    SendError("permission_denied", "the token does not grant roomJoin");
    return CloseAfterSending();
  }
  if (!join.room().empty() && join.room() != grant.room) {
    SendError("permission_denied",
              absl::StrCat("the token is for room \"", grant.room, "\", not \"", join.room(), "\""));
    return CloseAfterSending();
  }
  JoinRequest request;
  request.room = grant.room;
  request.identity = claims->identity;
  request.name = !join.name().empty() ? join.name() : claims->name;
  request.permission.set_can_publish(grant.can_publish);
  request.permission.set_can_subscribe(grant.can_subscribe);
  request.permission.set_can_publish_data(grant.can_publish_data);
  auto executor = std::visit([](auto& ws) { return ws.get_executor(); }, ws_);
  auto observer = std::make_shared<SessionObserver>(std::move(executor), weak_from_this());
  auto joined = context_.rooms.Join(request, observer, weak_from_this());
  if (!joined.ok()) {
    const bool full = absl::StartsWith(joined.status().message(), "room_full");
    SendError(full ? "room_full"
              : joined.status().code() == absl::StatusCode::kNotFound ? "no_such_room"
                                                                      : "join_failed",
              std::string(joined.status().message()));
    return CloseAfterSending();
  }
  participant_ = std::move(joined->handle);
  local_ = std::move(joined->participant);
  room_info_ = std::move(joined->room);
}

void SignalingSession::Disconnect(const std::string& reason) {
  participant_.reset();  // the manager already told the worker
  ServerMessage m;
  m.mutable_disconnected()->set_reason(reason);
  Send(m);
  CloseAfterSending();
}

void SignalingSession::OnServerClosed(const std::string& reason) {
  if (participant_) {
    // The worker already dropped it; Leave only clears the record.
    context_.rooms.Leave(participant_->participant_id());
    participant_.reset();
  }
  ServerMessage m;
  m.mutable_disconnected()->set_reason(absl::StrCat("transport_closed: ", reason));
  Send(m);
  CloseAfterSending();
}

void SignalingSession::Send(const ServerMessage& message) {
  if (closed_) return;
  if (message.has_joined() && !message.joined().has_local()) {
    ServerMessage completed = message;
    *completed.mutable_joined()->mutable_local() = local_;
    *completed.mutable_joined()->mutable_room_info() = room_info_;
    if (context_.ice_servers) {
      for (const IceServerInfo& server : context_.ice_servers(local_.identity())) {
        v1::IceServer* out = completed.mutable_joined()->add_ice_servers();
        for (const std::string& url : server.urls) out->add_urls(url);
        out->set_username(server.username);
        out->set_credential(server.credential);
      }
    }
    write_queue_.push_back(EncodeServerMessage(completed));
  } else {
    write_queue_.push_back(EncodeServerMessage(message));
  }
  if (!writing_) WriteNext();
}

void SignalingSession::SendError(const std::string& code, const std::string& message) {
  ServerMessage m;
  m.mutable_error()->set_code(code);
  m.mutable_error()->set_message(message);
  Send(m);
}

void SignalingSession::CloseAfterSending() {
  close_after_write_ = true;
  if (!writing_) WriteNext();
}

void SignalingSession::WriteNext() {
  if (closed_) return;
  if (write_queue_.empty()) {
    writing_ = false;
    if (close_after_write_) {
      closed_ = true;
      // Over TLS the close handshake ends with the TLS close_notify exchange (Beast's
      // teardown for ssl_stream) before the TCP close.
      std::visit(
          [&](auto& ws) {
            ws.async_close(websocket::close_code::normal,
                           [self = shared_from_this()](beast::error_code) { self->Shutdown(); });
          },
          ws_);
    }
    return;
  }
  writing_ = true;
  std::visit(
      [&](auto& ws) {
        ws.text(true);
        ws.async_write(boost::asio::buffer(write_queue_.front()),
                       [self = shared_from_this()](beast::error_code ec, size_t) {
                         self->writing_ = false;
                         self->write_queue_.pop_front();
                         if (ec) {
                           self->Shutdown();
                           return;
                         }
                         self->WriteNext();
                       });
      },
      ws_);
}

void SignalingSession::Shutdown() {
  closed_ = true;
  // A write in flight still refers to the queue's front; its completion pops it.
  if (!writing_) write_queue_.clear();
  if (participant_) {
    context_.rooms.Leave(participant_->participant_id());
    participant_.reset();
  }
}

}  // namespace switchyard::api
