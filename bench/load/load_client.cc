#include "bench/load/load_client.h"

#include <algorithm>
#include <chrono>

#include "api/access_token.h"
#include "bench/load/payload_stamp.h"
#include "rtc/rtcp_builder.h"
#include "rtc/rtcp_packet.h"
#include "rtc/rtp_packet.h"
#include "rtc/sdp_parser.h"
#include "transport/byte_io.h"

namespace switchyard::bench {

namespace {

constexpr auto kSenderReportInterval = std::chrono::seconds(1);
constexpr int64_t kTokenLifetimeSeconds = 24 * 3600;
// Seconds between the NTP (1900) and Unix (1970) epochs (RFC 868).
constexpr uint64_t kNtpUnixOffset = 2208988800ull;

uint64_t SteadyNowNs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

// RFC 3550 §4: 32.32 fixed-point seconds since 1900.
uint64_t NtpNow() {
  const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  const uint64_t micros = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(since_epoch).count());
  const uint64_t seconds = micros / 1'000'000 + kNtpUnixOffset;
  const uint64_t fraction = ((micros % 1'000'000) << 32) / 1'000'000;
  return (seconds << 32) | fraction;
}

int64_t Micros(transport::Timestamp t) { return t.time_since_epoch().count(); }

}  // namespace

LoadClient::LoadClient(ClientEnvironment& env, ClientPlan plan, int generation)
    : env_(env),
      plan_(std::move(plan)),
      generation_(generation),
      expected_tracks_(bench::ExpectedTracks(env.config, plan_)) {}

LoadClient::~LoadClient() {
  env_.stats.retired.Add(Quality());
  if (signaling_) signaling_->Close();
  ReleasePeerConnections();
}

void LoadClient::ReleasePeerConnections() {
  if (publisher_) publisher_->Close();
  if (subscriber_) subscriber_->Close();
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

  // SSRCs only need to be unique within the PeerConnection; derive them from the client.
  const uint32_t ssrc_base = 0x10000000u + static_cast<uint32_t>(plan_.index) * 16u +
                             static_cast<uint32_t>(generation_ % 1024) * 0x100000u;
  offer_spec_.audio = plan_.publish_audio;
  offer_spec_.video = plan_.publish_video;
  offer_spec_.audio_ssrc = ssrc_base;
  offer_spec_.stream_id = "bench-" + plan_.identity;
  offer_spec_.cname = offer_spec_.stream_id;
  if (plan_.publish_video) {
    const LoadConfig& c = env_.config;
    if (c.video_layers == 1) {
      offer_spec_.video_encodings = {{"", 1280, 720, c.video_bitrates_bps.front(), 0}};
    } else {
      auto all = DefaultSimulcastEncodings();
      offer_spec_.video_encodings.assign(all.begin(), all.begin() + c.video_layers);
      for (size_t i = 0; i < offer_spec_.video_encodings.size(); ++i) {
        offer_spec_.video_encodings[i].bitrate_bps = c.video_bitrates_bps[i];
      }
    }
    for (size_t i = 0; i < offer_spec_.video_encodings.size(); ++i) {
      offer_spec_.video_encodings[i].ssrc = ssrc_base + 1 + static_cast<uint32_t>(i);
    }
  }
  v1::ClientMessage offer;
  offer.mutable_publish_offer()->set_sdp(
      BuildPublishOffer(offer_spec_, publisher_->local_ice(), publisher_->fingerprint(),
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
  if (video_ || audio_) return;  // a renegotiation; the streams exist
  const NegotiatedExtensions ids = NegotiatedExtensionsOf(*answer);
  const LoadConfig& c = env_.config;
  if (plan_.publish_video) {
    if (offer_spec_.video_encodings.size() > 1 && (ids.rid == 0 || ids.mid == 0)) {
      return Fail("the server's answer dropped the mid/rid extensions simulcast needs");
    }
    VideoSourceConfig vc;
    vc.encodings = offer_spec_.video_encodings;
    vc.frames_per_second = c.fps;
    vc.keyframe_interval = std::chrono::duration_cast<transport::Duration>(
        std::chrono::duration<double>(c.keyframe_interval_s));
    vc.temporal_layers = c.temporal_layers;
    vc.payload_type = kVp8PayloadType;
    vc.mid_id = ids.mid;
    vc.rid_id = ids.rid;
    vc.mid = "1";
    vc.source = StampSource(static_cast<uint32_t>(plan_.publisher_index), false);
    vc.seed = static_cast<uint64_t>(plan_.index) + 1;
    video_ = std::make_unique<VideoSource>(std::move(vc));
  }
  if (plan_.publish_audio) {
    AudioSourceConfig ac;
    ac.ssrc = offer_spec_.audio_ssrc;
    ac.payload_type = kOpusPayloadType;
    ac.audio_level_id = ids.audio_level;
    ac.mid_id = ids.mid;
    ac.mid = "0";
    ac.source = StampSource(static_cast<uint32_t>(plan_.publisher_index), true);
    ac.seed = static_cast<uint64_t>(plan_.index) + 1;
    audio_ = std::make_unique<AudioSource>(std::move(ac));
  }
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

  for (const OfferedTrack& offered : answer->tracks) {
    auto it = std::find_if(tracks_.begin(), tracks_.end(),
                           [&](const TrackReceiver& t) { return t.mid == offered.mid; });
    if (it == tracks_.end()) {
      tracks_.emplace_back();
      it = tracks_.end() - 1;
      it->mid = offered.mid;
    }
    const bool active = offered.active && offered.ssrc.has_value();
    if (active && it->active && it->ssrc != *offered.ssrc) {
      // A line carrying another stream now: measure it afresh.
      const std::string mid = it->mid;
      *it = TrackReceiver();
      it->mid = mid;
    }
    it->active = active;
    it->audio = offered.kind == rtc::MediaKind::kAudio;
    it->stream = offered.stream;
    if (active) {
      it->ssrc = *offered.ssrc;
      it->rtx_ssrc = offered.rtx_ssrc;
    }
  }
  ssrc_to_track_.clear();
  for (size_t i = 0; i < tracks_.size(); ++i) {
    if (!tracks_[i].active) continue;
    ssrc_to_track_[tracks_[i].ssrc] = static_cast<int>(i);
    if (tracks_[i].rtx_ssrc) ssrc_to_track_[*tracks_[i].rtx_ssrc] = -1;
  }

  auto remote = RemoteTransportOf(*offer);
  if (!remote.ok()) return Fail("subscribe offer: " + std::string(remote.status().message()));
  if (absl::Status s = subscriber_->SetRemoteTransport(*remote); !s.ok()) {
    return Fail("subscribe offer: " + std::string(s.message()));
  }
}

void LoadClient::OnPeerConnected(PeerConnection& pc) {
  if (&pc != publisher_.get() || publisher_connected_) return;
  publisher_connected_ = true;
  const transport::Timestamp now = env_.clock.Now();
  if (join_sent_at_) {
    env_.stats.new_publish_us.push_back(static_cast<uint64_t>((now - *join_sent_at_).count()));
  }
  if (video_) video_->Start(now);
  if (audio_) audio_->Start(now);
}

void LoadClient::OnPeerFailed(PeerConnection& pc, const std::string& why) {
  Fail((&pc == publisher_.get() ? "publisher: " : "subscriber: ") + why);
}

void LoadClient::OnPeerRtp(PeerConnection& pc, std::span<uint8_t> packet, bool decrypted,
                           transport::Timestamp arrival) {
  if (&pc == subscriber_.get()) OnSubscriberRtp(packet, decrypted, arrival);
}

void LoadClient::OnPeerRtcp(PeerConnection& pc, std::span<const uint8_t> compound) {
  if (&pc == publisher_.get()) OnPublisherRtcp(compound);
}

void LoadClient::OnSubscriberRtp(std::span<uint8_t> packet, bool decrypted,
                                 transport::Timestamp arrival) {
  if (packet.size() < rtc::kRtpFixedHeaderSize) return;
  // The fixed header is plaintext in SRTP: SSRC and sequence number are readable either way.
  const uint32_t ssrc = transport::LoadBe32(packet.data() + 8);
  const uint16_t sequence_number = transport::LoadBe16(packet.data() + 2);
  TrafficCounters& counters = env_.stats.counters;
  const auto found = ssrc_to_track_.find(ssrc);
  if (found == ssrc_to_track_.end()) {
    ++counters.unknown_ssrc;
    return;
  }
  if (found->second < 0) {
    ++counters.rtx_or_padding;
    return;
  }
  TrackReceiver& track = tracks_[static_cast<size_t>(found->second)];
  ++track.packets;
  const int64_t arrival_us = Micros(arrival);
  const int64_t extended = track.rtp_unwrap.Unwrap(sequence_number);
  if (!decrypted) {
    track.rtp.OnPacket(extended, std::nullopt, arrival_us);
    return;
  }
  const auto view = rtc::RtpPacketView::Parse(packet);
  const auto stamp = view ? ReadPayloadStamp(view->payload()) : std::nullopt;
  if (!stamp) {
    ++counters.bad_stamp;
    return;
  }
  const int64_t send_us = static_cast<int64_t>(stamp->send_time_ns / 1000);
  track.rtp.OnPacket(extended, send_us, arrival_us);
  // Every packet of a track must come from the one publisher stream the offer bound it to.
  if (!track.source) {
    track.source = stamp->source;
  } else if (*track.source != stamp->source) {
    ++counters.misrouted;
    return;
  }
  if (stamp->audio != track.audio) {
    ++counters.misrouted;
    return;
  }
  const int layer = std::min<int>(stamp->encoding, static_cast<int>(track.layers.size()) - 1);
  if (layer != track.current_layer) {
    if (track.current_layer >= 0) ++counters.layer_switches;
    track.layers[static_cast<size_t>(layer)].StartSegment();
    track.current_layer = layer;
  }
  const auto result =
      track.layers[static_cast<size_t>(layer)].OnPacket(stamp->sequence, send_us, arrival_us);
  if (result != ReceiveMeter::Result::kDuplicate && result != ReceiveMeter::Result::kTooOld) {
    const uint64_t latency = static_cast<uint64_t>(std::max<int64_t>(arrival_us - send_us, 0));
    env_.stats.latency_interval.Record(latency);
    env_.stats.latency_total.Record(latency);
  }
  track.got_media = true;
  if (!first_media_) {
    first_media_ = true;
    if (join_sent_at_) {
      env_.stats.new_join_us.push_back(static_cast<uint64_t>((arrival - *join_sent_at_).count()));
    }
  }
}

void LoadClient::OnPublisherRtcp(std::span<const uint8_t> compound) {
  TrafficCounters& counters = env_.stats.counters;
  auto encoding_of = [this](uint32_t ssrc) -> std::optional<size_t> {
    for (size_t i = 0; i < offer_spec_.video_encodings.size(); ++i) {
      if (offer_spec_.video_encodings[i].ssrc == ssrc) return i;
    }
    return std::nullopt;
  };
  rtc::ForEachRtcpPacket(compound, [&](const rtc::RtcpPacketView& view) {
    if (view.packet_type() == rtc::kRtcpPayloadSpecificFeedback) {
      if (view.count() == rtc::kPsfbPli) {
        if (auto pli = rtc::PliView::Parse(view)) {
          ++counters.plis_received;
          if (auto e = encoding_of(pli->media_ssrc()); e && video_) video_->RequestKeyframe(*e);
        }
      } else if (view.count() == rtc::kPsfbFir) {
        if (auto fir = rtc::FirView::Parse(view)) {
          for (size_t i = 0; i < fir->entry_count(); ++i) {
            ++counters.plis_received;
            if (auto e = encoding_of(fir->entry(i).ssrc); e && video_) video_->RequestKeyframe(*e);
          }
        }
      }
    } else if (view.packet_type() == rtc::kRtcpTransportLayerFeedback &&
               view.count() == rtc::kRtpfbNack) {
      if (auto nack = rtc::NackView::Parse(view)) {
        nack->ForEachLostSequence([&](uint16_t) { ++counters.nacks_received; });
      }
    }
  });
}

void LoadClient::SendMedia(transport::Timestamp now) {
  PeerConnection& pc = *publisher_;
  auto send = [&pc](std::span<uint8_t> packet) {
    PatchStampSendTime(packet, SteadyNowNs());
    // The sources' buffers leave kSinkSpareBytes after every packet for the SRTP tag.
    pc.SendRtp(std::span<uint8_t>(packet.data(), packet.size() + kSinkSpareBytes),
               packet.size());
  };
  if (audio_) audio_->Poll(now, [&](std::span<uint8_t> packet) { send(packet); });
  if (video_) video_->Poll(now, [&](size_t, std::span<uint8_t> packet) { send(packet); });
}

void LoadClient::SendSenderReports(transport::Timestamp now) {
  if (last_sender_report_ && now - *last_sender_report_ < kSenderReportInterval) return;
  last_sender_report_ = now;
  std::array<uint8_t, 512> buffer{};
  size_t length = 0;
  const uint64_t ntp = NtpNow();
  auto add = [&](uint32_t ssrc, uint32_t rtp_timestamp, uint64_t packets, uint64_t octets) {
    length += rtc::WriteSenderReport(
        std::span<uint8_t>(buffer.data() + length, buffer.size() - length), ssrc, ntp,
        rtp_timestamp, static_cast<uint32_t>(packets), static_cast<uint32_t>(octets), {});
  };
  if (video_ && video_->started()) {
    for (size_t i = 0; i < offer_spec_.video_encodings.size(); ++i) {
      const auto& s = video_->stats(i);
      add(offer_spec_.video_encodings[i].ssrc, video_->RtpTimestampAt(i, now), s.packets,
          s.payload_bytes);
    }
  }
  if (audio_ && audio_->started()) {
    add(offer_spec_.audio_ssrc, audio_->RtpTimestampAt(now), audio_->stats().packets,
        audio_->stats().payload_bytes);
  }
  if (length > 0) publisher_->SendRtcp(std::span<const uint8_t>(buffer.data(), length));
}

void LoadClient::Tick(transport::Timestamp now) {
  if (finished()) return;
  if (publisher_) publisher_->OnTimer(now);
  if (subscriber_) subscriber_->OnTimer(now);
  if (finished()) return;
  if (publisher_connected_) {
    SendMedia(now);
    SendSenderReports(now);
  }
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

int LoadClient::tracks_with_media() const {
  int n = 0;
  for (const TrackReceiver& t : tracks_) {
    if (t.active && t.got_media) ++n;
  }
  return n;
}

QualityTotals LoadClient::Quality() const {
  QualityTotals q;
  const bool sampled = env_.config.decrypt_sample > 1;
  for (const TrackReceiver& t : tracks_) {
    if (sampled) {
      q.expected += t.rtp.expected();
      q.received += t.rtp.received();
      q.lost += t.rtp.lost();
      q.duplicates += t.rtp.duplicates();
      q.reordered += t.rtp.reordered();
    } else {
      for (const ReceiveMeter& m : t.layers) {
        q.expected += m.expected();
        q.received += m.received();
        q.lost += m.lost();
        q.duplicates += m.duplicates();
        q.reordered += m.reordered();
      }
    }
    if (t.current_layer >= 0) {
      q.jitter_sum_us += t.layers[static_cast<size_t>(t.current_layer)].jitter_us();
      ++q.jitter_tracks;
    }
  }
  if (video_) {
    for (size_t i = 0; i < offer_spec_.video_encodings.size(); ++i) {
      q.keyframes_sent += video_->stats(i).keyframes;
    }
  }
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
  if (finished()) return;
  failed_ = true;
  failure_ = why;
  if (was_connected_) {
    ++env_.stats.disconnects;
  } else {
    ++env_.stats.connect_failures;
  }
  ++env_.stats.failure_reasons[why];
  if (signaling_) signaling_->Close();
  ReleasePeerConnections();
}

}  // namespace switchyard::bench
