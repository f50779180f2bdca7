#include "api/signaling_session.h"

#include <boost/asio/post.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket.hpp>

#include "absl/strings/str_cat.h"

namespace switchyard::api {

namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;

namespace {

v1::TrackKind ToProtoKind(rtc::MediaKind kind) {
  switch (kind) {
    case rtc::MediaKind::kAudio: return v1::TRACK_KIND_AUDIO;
    case rtc::MediaKind::kVideo: return v1::TRACK_KIND_VIDEO;
    default: return v1::TRACK_KIND_UNSPECIFIED;
  }
}

void FillTrack(const sfu::TrackSummary& track, TrackInfo* out) {
  out->set_track_id(track.track_id);
  out->set_kind(ToProtoKind(track.kind));
  out->set_mid(track.mid);
}

void FillParticipant(const sfu::ParticipantSummary& p, ParticipantInfo* out) {
  out->set_participant_id(p.participant_id);
  out->set_name(p.name);
  for (const auto& t : p.tracks) FillTrack(t, out->add_tracks());
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
    FillTrack(track, m.mutable_track_published()->mutable_track());
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
  void OnError(const std::string& code, const std::string& message) override {
    ServerMessage m;
    m.mutable_error()->set_code(code);
    m.mutable_error()->set_message(message);
    Deliver(std::move(m));
  }
  void OnClosed(const std::string& reason) override {
    ServerMessage m;
    m.mutable_error()->set_code("closed");
    m.mutable_error()->set_message(reason);
    Deliver(std::move(m), /*close=*/true);
  }

 private:
  void Deliver(ServerMessage message, bool close = false) {
    boost::asio::post(executor_, [session = session_, message = std::move(message), close] {
      if (auto s = session.lock()) {
        s->Send(message);
        if (close) s->CloseAfterSending();
      }
    });
  }

  boost::asio::any_io_executor executor_;
  std::weak_ptr<SignalingSession> session_;
};

}  // namespace

SignalingSession::SignalingSession(boost::asio::ip::tcp::socket socket, sfu::WorkerPool& pool)
    : ws_(std::move(socket)), pool_(pool) {}

SignalingSession::~SignalingSession() {
  if (participant_) participant_->Leave();
}

void SignalingSession::Start(beast::http::request<beast::http::string_body> request) {
  ws_.read_message_max(kMaxSignalingMessageSize);
  ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
  ws_.async_accept(request, [self = shared_from_this()](beast::error_code ec) {
    if (ec) return;
    self->Read();
  });
}

void SignalingSession::Read() {
  ws_.async_read(read_buffer_, [self = shared_from_this()](beast::error_code ec, size_t) {
    if (ec) {
      self->Shutdown();
      return;
    }
    std::string text = beast::buffers_to_string(self->read_buffer_.data());
    self->read_buffer_.consume(self->read_buffer_.size());
    self->OnMessage(text);
    if (!self->closed_) self->Read();
  });
}

void SignalingSession::OnMessage(const std::string& text) {
  auto message = DecodeClientMessage(text);
  if (!message.ok()) {
    SendError("bad_message", std::string(message.status().message()));
    return;
  }
  switch (message->message_case()) {
    case ClientMessage::kJoin: {
      if (participant_) {
        SendError("already_joined", "this connection already joined a room");
        return;
      }
      if (auto s = ValidateRoomName(message->join().room()); !s.ok()) {
        SendError("bad_room", std::string(s.message()));
        return;
      }
      if (auto s = ValidateDisplayName(message->join().name()); !s.ok()) {
        SendError("bad_name", std::string(s.message()));
        return;
      }
      auto observer = std::make_shared<SessionObserver>(ws_.get_executor(), weak_from_this());
      participant_ = pool_.Join(message->join().room(), message->join().name(), observer);
      return;
    }
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
    case ClientMessage::kLeave:
      if (participant_) {
        participant_->Leave();
        participant_.reset();
      }
      CloseAfterSending();
      return;
    case ClientMessage::kSendData:
      return SendError("unsupported", "data messages are not implemented yet");
    case ClientMessage::MESSAGE_NOT_SET:
      return;
  }
}

void SignalingSession::Send(const ServerMessage& message) {
  if (closed_) return;
  write_queue_.push_back(EncodeServerMessage(message));
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
      ws_.async_close(websocket::close_code::normal,
                      [self = shared_from_this()](beast::error_code) { self->Shutdown(); });
    }
    return;
  }
  writing_ = true;
  ws_.text(true);
  ws_.async_write(boost::asio::buffer(write_queue_.front()),
                  [self = shared_from_this()](beast::error_code ec, size_t) {
                    self->write_queue_.pop_front();
                    if (ec) {
                      self->Shutdown();
                      return;
                    }
                    self->WriteNext();
                  });
}

void SignalingSession::Shutdown() {
  closed_ = true;
  write_queue_.clear();
  if (participant_) {
    participant_->Leave();
    participant_.reset();
  }
}

}  // namespace switchyard::api
