#include "sfu/producer.h"

#include <algorithm>
#include <numeric>

#include "sfu/consumer.h"

namespace switchyard::sfu {

namespace {

bool HasFeedback(const std::vector<rtc::Codec>& codecs, std::string_view fb) {
  for (const auto& codec : codecs) {
    if (codec.HasRtcpFb(fb)) return true;
  }
  return false;
}

// ~1 s of 2.5 Mbps video in 1200-byte packets; audio needs far less (50 pkt/s).
constexpr size_t kVideoCachePackets = 512;
constexpr size_t kAudioCachePackets = 128;
// Where every cache starts; each grows (up to the sizes above) to hold a second of its stream.
constexpr size_t kInitialCachePackets = 128;

}  // namespace

Producer::Producer(const transport::Clock& clock, Owner& owner, ProducerParams params)
    : clock_(clock), owner_(owner), params_(std::move(params)) {
  if (params_.encodings.empty()) params_.encodings.emplace_back();
  if (params_.encodings.size() > kMaxSpatialLayers) params_.encodings.resize(kMaxSpatialLayers);
  use_fir_ = !HasFeedback(params_.codecs, "nack pli") && HasFeedback(params_.codecs, "ccm fir");
  for (const auto& codec : params_.codecs) {
    if (codec.payload_type >= 128) continue;
    if (codec.IsRtx()) {
      if (auto apt = codec.apt(); apt && *apt < 128) {
        rtx_to_media_pt_[codec.payload_type] = *apt;
        media_to_rtx_pt_[*apt] = codec.payload_type;
      }
      continue;
    }
    codec_by_payload_type_[codec.payload_type] = rtc::VideoCodecFromName(codec.name);
    if (codec.clock_rate != 0) clock_rate_ = codec.clock_rate;
  }
  const bool video = params_.kind == rtc::MediaKind::kVideo;
  for (const auto& encoding : params_.encodings) {
    streams_.push_back(std::make_unique<RecvStream>(
        encoding, clock_rate_, video ? kVideoCachePackets : kAudioCachePackets,
        kInitialCachePackets));
  }
  // Until measurements say otherwise, trust the publisher's order: Chromium lists simulcast
  // encodings low to high (q, h, f); RankLayers fixes stacks that list them the other way.
  for (size_t i = 0; i < streams_.size(); ++i) {
    spatial_of_[i] = static_cast<int>(i);
    encoding_of_[i] = static_cast<int>(i);
  }
}

std::optional<int> Producer::FindEncodingBySsrc(uint32_t ssrc, bool& rtx) const {
  for (size_t i = 0; i < streams_.size(); ++i) {
    const auto& p = streams_[i]->params();
    if (p.ssrc == ssrc) {
      rtx = false;
      return static_cast<int>(i);
    }
    if (p.rtx_ssrc == ssrc) {
      rtx = true;
      return static_cast<int>(i);
    }
  }
  return std::nullopt;
}

std::optional<int> Producer::FindEncodingByRid(std::string_view rid) const {
  for (size_t i = 0; i < streams_.size(); ++i) {
    if (streams_[i]->params().rid == rid) return static_cast<int>(i);
  }
  return std::nullopt;
}

std::optional<uint8_t> Producer::MediaPayloadTypeForRtx(uint8_t rtx_payload_type) const {
  if (rtx_payload_type >= 128 || rtx_to_media_pt_[rtx_payload_type] == 0) return std::nullopt;
  return rtx_to_media_pt_[rtx_payload_type];
}

std::optional<uint8_t> Producer::RtxPayloadTypeFor(uint8_t media_payload_type) const {
  if (media_payload_type >= 128 || media_to_rtx_pt_[media_payload_type] == 0) return std::nullopt;
  return media_to_rtx_pt_[media_payload_type];
}

void Producer::OnRtp(int encoding, const rtc::RtpPacketView& packet, bool retransmission,
                     std::span<uint8_t> scratch) {
  const transport::Timestamp now = clock_.Now();
  RecvStream& stream = *streams_[encoding];
  PacketInfo info;
  info.encoding = encoding;
  info.spatial = spatial_of_[encoding];
  info.end_of_frame = packet.marker();
  std::optional<rtc::Vp8PayloadDescriptor> vp8;
  if (params_.kind == rtc::MediaKind::kVideo && packet.payload_type() < 128) {
    if (const auto& codec = codec_by_payload_type_[packet.payload_type()]) {
      info.keyframe = rtc::IsKeyframe(*codec, packet.payload());
      if (*codec == rtc::VideoCodec::kVp8) {
        vp8 = rtc::Vp8PayloadDescriptor::Parse(packet.payload());
        if (vp8) {
          info.vp8 = &*vp8;
          if (vp8->has_temporal_id) {
            info.temporal_id = vp8->temporal_id;
            info.layer_sync = vp8->layer_sync;
          }
        }
      }
    }
  }
  if (!stream.OnPacket(packet, info.keyframe, retransmission, now)) return;
  ++packets_received_;
  if (info.keyframe) {
    ++keyframes_received_;
    if (info.vp8) {
      if (auto size = rtc::ParseVp8KeyframeSize(packet.payload())) {
        stream.OnFrameSize(size->width, size->height);
      }
    }
  }
  if (info.temporal_id > 0) stream.OnTemporalLayer(info.temporal_id);
  // Other workers first: they re-protect their subscribers' copies in parallel with ours.
  if (relay_workers_ != 0) relay_->Relay(relay_id_, relay_workers_, encoding, packet, retransmission);
  for (Consumer* consumer : consumers_) consumer->OnPacket(info, packet, scratch);
}

void Producer::OnSenderReport(int encoding, const rtc::SenderReportView& report) {
  streams_[encoding]->OnSenderReport(report.ntp_timestamp(), report.rtp_timestamp(), clock_.Now());
  if (relay_workers_ != 0) {
    relay_->RelaySenderReport(relay_id_, relay_workers_, encoding, report.ntp_timestamp(),
                              report.rtp_timestamp());
  }
}

void Producer::OnRelayedSenderReport(int encoding, uint64_t ntp, uint32_t rtp_timestamp) {
  if (encoding < 0 || encoding >= static_cast<int>(streams_.size())) return;
  streams_[encoding]->OnSenderReport(ntp, rtp_timestamp, clock_.Now());
}

void Producer::AddConsumer(Consumer* consumer) {
  consumers_.push_back(consumer);
  if (consumers_.size() == 1) owner_.OnConsumersChanged(true);
  // A new subscriber can only start decoding at a keyframe (RFC 4585 §6.3.1 PLI).
  if (params_.kind == rtc::MediaKind::kVideo) RequestKeyframe(-1);
}

void Producer::RemoveConsumer(Consumer* consumer) {
  const size_t before = consumers_.size();
  consumers_.erase(std::remove(consumers_.begin(), consumers_.end(), consumer), consumers_.end());
  if (before != 0 && consumers_.empty()) owner_.OnConsumersChanged(false);
}

void Producer::RequestEncodingKeyframe(int encoding) {
  if (params_.kind != rtc::MediaKind::kVideo || encoding < 0 ||
      encoding >= static_cast<int>(streams_.size())) {
    return;
  }
  const transport::Timestamp now = clock_.Now();
  if (!streams_[encoding]->active(now)) return;
  if (streams_[encoding]->keyframe_requester().Request(now)) SendKeyframeRequest(encoding);
}

void Producer::SetMuted(bool muted) {
  if (muted == muted_) return;
  muted_ = muted;
  for (Consumer* consumer : consumers_) consumer->OnProducerMuted(muted);
  if (!muted && !consumers_.empty()) RequestKeyframe(-1);
}

int Producer::EncodingForSpatial(int spatial) const {
  if (spatial < 0 || spatial >= static_cast<int>(streams_.size())) return -1;
  return encoding_of_[spatial];
}

void Producer::RequestKeyframe(int spatial) {
  if (params_.kind != rtc::MediaKind::kVideo) return;
  const transport::Timestamp now = clock_.Now();
  for (size_t i = 0; i < streams_.size(); ++i) {
    if (spatial >= 0 && encoding_of_[spatial] != static_cast<int>(i)) continue;
    // An encoding the publisher paused (or has not started) cannot answer: its first frame
    // after resuming is a keyframe anyway, and PLIs to it only cost the other layers.
    if (!streams_[i]->active(now)) continue;
    if (streams_[i]->keyframe_requester().Request(now)) SendKeyframeRequest(static_cast<int>(i));
  }
}

void Producer::SendKeyframeRequest(int encoding) {
  owner_.SendKeyframeRequest(encoding, streams_[encoding]->params().ssrc, use_fir_);
}

void Producer::OnTimer() {
  const transport::Timestamp now = clock_.Now();
  for (size_t i = 0; i < streams_.size(); ++i) {
    if (!streams_[i]->active(now)) {
      streams_[i]->keyframe_requester().OnKeyframe();  // forget requests it cannot answer
      continue;
    }
    if (streams_[i]->keyframe_requester().RetryDue(now)) SendKeyframeRequest(static_cast<int>(i));
  }
  RankLayers();
}

void Producer::RankLayers() {
  const transport::Timestamp now = clock_.Now();
  const size_t n = streams_.size();
  std::array<int, kMaxSpatialLayers> order{};
  std::iota(order.begin(), order.begin() + n, 0);
  // Rank by resolution when every active layer's is known (from keyframes), else by measured
  // bitrate; an inactive layer keeps its place relative to the publisher's listing. Never by
  // rid name: Chromium sends q/h/f low to high, other stacks list high to low.
  bool sizes_known = true;
  bool any_active = false;
  for (size_t i = 0; i < n; ++i) {
    if (!streams_[i]->active(now)) continue;
    any_active = true;
    if (streams_[i]->width() == 0) sizes_known = false;
  }
  std::array<uint64_t, kMaxSpatialLayers> key{};
  for (size_t i = 0; i < n; ++i) {
    RecvStream& s = *streams_[i];
    key[i] = sizes_known ? uint64_t(s.width()) * uint64_t(s.height()) : s.bitrate_bps(now);
  }
  if (any_active && n > 1) {
    bool all_measured = true;
    for (size_t i = 0; i < n; ++i) {
      if (streams_[i]->active(now) && key[i] == 0) all_measured = false;
      if (!streams_[i]->active(now)) all_measured = false;
    }
    // Re-rank only with a full picture: a paused layer has no measurement to compare.
    if (all_measured) {
      std::stable_sort(order.begin(), order.begin() + n,
                       [&](int a, int b) { return key[a] < key[b]; });
      bool changed = false;
      for (size_t rank = 0; rank < n; ++rank) {
        if (encoding_of_[rank] != order[rank]) changed = true;
        encoding_of_[rank] = order[rank];
        spatial_of_[order[rank]] = static_cast<int>(rank);
      }
      if (changed) {
        for (Consumer* consumer : consumers_) consumer->OnLayersReordered();
      }
    }
  }
  bool activity_changed = false;
  for (size_t rank = 0; rank < n; ++rank) {
    RecvStream& s = *streams_[encoding_of_[rank]];
    LayerInfo& info = layers_[rank];
    if (info.active != s.active(now)) activity_changed = true;
    info.active = s.active(now);
    info.bitrate_bps = s.bitrate_bps(now);
    info.temporal_layers = s.temporal_layers();
    info.width = s.width();
    info.height = s.height();
  }
  // A layer that starts is most often a publisher that just started: subscribers should pick
  // it within a tick, not at their next periodic allocation.
  if (activity_changed) {
    for (Consumer* consumer : consumers_) consumer->OnLayerActivityChanged();
  }
}

}  // namespace switchyard::sfu
