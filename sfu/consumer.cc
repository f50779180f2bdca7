#include "sfu/consumer.h"

#include "rtc/rtx.h"
#include "sfu/producer.h"
#include "sfu/webrtc_transport.h"

namespace switchyard::sfu {

namespace {

// Largest RTP packet we rewrite into a stack buffer before wrapping it as RTX.
constexpr size_t kMaxPacket = 1500;

}  // namespace

Consumer::Consumer(Producer& producer, ConsumerSink& sink, DropCounters& drops,
                   const transport::Clock& clock, ConsumerOptions options)
    : producer_(producer),
      sink_(sink),
      drops_(drops),
      clock_(clock),
      options_(std::move(options)),
      is_video_(producer.kind() == rtc::MediaKind::kVideo) {
  if (is_video_) {
    sent_ = std::make_unique<SentPacket[]>(kInitialVideoSentHistory);
    sent_mask_ = static_cast<uint16_t>(kInitialVideoSentHistory - 1);
  }
  rewriter_.DropHistory();  // sent_ maps our sequence numbers back to the publisher's
  producer_.AddConsumer(this);
}

Consumer::~Consumer() { producer_.RemoveConsumer(this); }

void Consumer::SetTarget(LayerTarget target) {
  target_ = target;
  forwarder_.SetTarget(target);
}

void Consumer::OnProducerMuted(bool muted) {
  // Whatever was forwarded last ends mid-stream: the decoder needs a fresh keyframe.
  if (muted) forwarder_.Restart();
  sink_.OnLayersChanged();
}

uint8_t Consumer::OutgoingPayloadType(uint8_t publisher_payload_type) const {
  if (!options_.payload_types.enabled) return publisher_payload_type;
  if (publisher_payload_type >= 128) return PayloadTypeMap::kNone;
  return options_.payload_types.media[publisher_payload_type];
}

std::optional<uint8_t> Consumer::OutgoingRtxPayloadType(uint8_t publisher_payload_type) const {
  if (!options_.payload_types.enabled) return producer_.RtxPayloadTypeFor(publisher_payload_type);
  if (publisher_payload_type >= 128) return std::nullopt;
  const uint8_t rtx = options_.payload_types.rtx[publisher_payload_type];
  if (rtx == PayloadTypeMap::kNone) return std::nullopt;
  return rtx;
}

void Consumer::OnKeyframeRequest() {
  const int spatial = forwarder_.current_spatial() >= 0 ? forwarder_.current_spatial()
                                                        : forwarder_.desired_spatial();
  producer_.RequestKeyframe(spatial);
}

void Consumer::OnPacket(const PacketInfo& info, const rtc::RtpPacketView& packet,
                        std::span<uint8_t> scratch) {
  if (!sink_.sink_connected()) {
    // Packets lost to a subscriber that cannot receive: restart at a keyframe afterwards.
    forwarder_.Restart();
    return;
  }
  const uint16_t seq = packet.sequence_number();
  if (producer_.muted()) {
    drops_.Count(DropReason::kMuted);
    // Audio output stays gap-free across the mute (the receiver has nothing to conceal);
    // video restarted at mute and resumes through a keyframe switch, which closes up too.
    if (!is_video_) rewriter_.Drop(seq);
    return;
  }
  if (OutgoingPayloadType(packet.payload_type()) == PayloadTypeMap::kNone) {
    drops_.Count(DropReason::kPayloadTypeNotNegotiated);
    return;
  }
  if (!is_video_) {
    const auto out = rewriter_.TryRewrite(seq, packet.timestamp());
    if (!out) return;
    Send(packet, out->sequence_number, out->timestamp, nullptr, nullptr, scratch, false);
    return;
  }
  const SimulcastForwarder::Decision decision = forwarder_.OnPacket(
      info.spatial, info.keyframe, info.temporal_id, info.layer_sync, info.end_of_frame);
  if (decision.request_keyframe) producer_.RequestKeyframe(decision.keyframe_spatial);
  if (!decision.forward) {
    if (decision.drop_from_current) {
      rewriter_.Drop(seq);
      if (info.vp8) vp8_rewriter_.Drop(*info.vp8);
    } else if (info.spatial == forwarder_.current_spatial() || forwarder_.current_spatial() < 0) {
      drops_.Count(DropReason::kWaitingForKeyframe);
    }
    return;
  }
  if (decision.switched) {
    TimestampAlignment alignment;
    alignment.new_timestamp = packet.timestamp();
    alignment.clock_rate = producer_.clock_rate();
    alignment.fallback_increment = producer_.clock_rate() / 30;
    if (const auto& sr = producer_.stream(info.encoding).last_sender_report()) {
      alignment.new_sender_report = SenderReportTime{sr->ntp, sr->rtp_timestamp};
    }
    if (current_encoding_ >= 0) {
      if (const auto& sr = producer_.stream(current_encoding_).last_sender_report()) {
        alignment.old_sender_report = SenderReportTime{sr->ntp, sr->rtp_timestamp};
      }
    }
    alignment.old_timestamp_offset = rewriter_.timestamp_offset();
    alignment.last_output_timestamp = rewriter_.last_output_timestamp();
    const uint32_t output_timestamp =
        rewriter_.started() ? AlignTimestamp(alignment) : rewriter_.last_output_timestamp();
    rewriter_.SwitchSource(seq, packet.timestamp(), output_timestamp,
                           decision.previous_frame_incomplete, info.encoding);
    current_encoding_ = info.encoding;
  }
  const auto out = rewriter_.TryRewrite(seq, packet.timestamp());
  if (!out) return;
  if (info.vp8) {
    const Vp8Output vp8_out = vp8_rewriter_.Forward(*info.vp8, decision.switched);
    Send(packet, out->sequence_number, out->timestamp, info.vp8, &vp8_out, scratch, false);
    SentPacket& slot = sent_[out->sequence_number & sent_mask_];
    slot.has_vp8 = true;
    slot.vp8 = vp8_out;
  } else {
    Send(packet, out->sequence_number, out->timestamp, nullptr, nullptr, scratch, false);
  }
}

bool Consumer::Send(const rtc::RtpPacketView& packet, uint16_t sequence_number,
                    uint32_t timestamp, const rtc::Vp8PayloadDescriptor* vp8,
                    const Vp8Output* vp8_out, std::span<uint8_t> scratch, bool retransmission) {
  if (scratch.size() <= WebRtcTransport::kSrtpTrailer + 12) return false;
  const ConsumerExtensions& ext = options_.extensions;
  const uint16_t transport_seq = sink_.NextTransportSequenceNumber();
  rtc::RtpRewriteParams params{options_.ssrc, sequence_number, timestamp,
                               OutgoingPayloadType(packet.payload_type())};
  params.transport_sequence_id = ext.transport_sequence_id;
  params.transport_sequence_number = transport_seq;
  const std::span<const rtc::ExtensionRemap> remaps(ext.remaps.data(), ext.remap_count);

  const bool as_rtx = retransmission && options_.rtx_ssrc.has_value();
  std::array<uint8_t, kMaxPacket> staging;
  std::span<uint8_t> first_out =
      as_rtx ? std::span<uint8_t>(staging)
             : scratch.first(scratch.size() - WebRtcTransport::kSrtpTrailer);
  size_t length = rtc::WriteRewrittenRtp(packet, params, remaps, first_out);
  if (length == 0) {
    drops_.Count(DropReason::kRewriteFailed);
    return false;
  }
  if (vp8 && vp8_out) {
    const size_t payload_size = packet.payload().size();
    Vp8Rewriter::Apply(first_out.subspan(length - payload_size, payload_size), *vp8, *vp8_out);
  }
  if (as_rtx) {
    const auto rewritten = rtc::RtpPacketView::Parse(first_out.first(length));
    const auto rtx_pt = OutgoingRtxPayloadType(packet.payload_type());
    if (!rewritten || !rtx_pt) return false;
    // Keep our own extensions (transport-wide seq for the estimator) on the RTX copy.
    std::array<rtc::ExtensionRemap, 2> keep{};
    size_t keep_count = 0;
    if (ext.transport_sequence_id) keep[keep_count++] = {ext.transport_sequence_id, ext.transport_sequence_id};
    length = rtc::WriteRtx(*rewritten, *options_.rtx_ssrc, *rtx_pt, rtx_sequence_++,
                           std::span<const rtc::ExtensionRemap>(keep.data(), keep_count),
                           scratch.first(scratch.size() - WebRtcTransport::kSrtpTrailer));
    if (length == 0) {
      drops_.Count(DropReason::kRewriteFailed);
      return false;
    }
  }
  if (!retransmission) {
    last_timestamp_ = timestamp;
    last_timestamp_time_ = clock_.Now();
  }
  if (!retransmission && sent_) {
    const SentPacket& occupant = sent_[sequence_number & sent_mask_];
    if (occupant.output_sequence >= 0 &&
        sent_history_capacity() < kVideoSentHistory &&
        timestamp - occupant.output_timestamp < kVideoClockRate) {
      GrowSentHistory();
    }
    SentPacket& slot = sent_[sequence_number & sent_mask_];
    slot.output_sequence = sequence_number;
    slot.input_sequence = packet.sequence_number();
    slot.encoding = static_cast<uint8_t>(current_encoding_ < 0 ? 0 : current_encoding_);
    slot.output_timestamp = timestamp;
    slot.has_vp8 = false;
    slot.retransmitted = false;
  }
  if (!sink_.SendRtpPacket(scratch.data(), length, scratch.size(), transport_seq)) return false;
  ++packets_sent_;
  octets_sent_ += packet.payload().size();
  if (retransmission) ++retransmissions_sent_;
  return true;
}

void Consumer::GrowSentHistory() {
  const size_t capacity = sent_history_capacity() * 2;
  auto grown = std::make_unique<SentPacket[]>(capacity);
  const uint16_t mask = static_cast<uint16_t>(capacity - 1);
  // Occupied slots hold distinct low bits, so they land in distinct slots of the larger table.
  for (size_t i = 0; i <= sent_mask_; ++i) {
    if (sent_[i].output_sequence >= 0) grown[sent_[i].output_sequence & mask] = sent_[i];
  }
  sent_ = std::move(grown);
  sent_mask_ = mask;
}

bool Consumer::Retransmit(uint16_t sequence_number, std::span<uint8_t> scratch) {
  if (!sent_) return false;
  SentPacket& slot = sent_[sequence_number & sent_mask_];
  if (slot.output_sequence != sequence_number) return false;
  const transport::Timestamp now = clock_.Now();
  if (slot.retransmitted && now - slot.retransmitted_at < rtt_) {
    ++retransmissions_suppressed_;
    return false;
  }
  const auto cached = producer_.stream(slot.encoding).cache().Get(slot.input_sequence);
  if (!cached) return false;
  const auto original = rtc::RtpPacketView::Parse(*cached);
  if (!original) return false;
  std::optional<rtc::Vp8PayloadDescriptor> vp8;
  if (slot.has_vp8) vp8 = rtc::Vp8PayloadDescriptor::Parse(original->payload());
  if (!Send(*original, sequence_number, slot.output_timestamp, vp8 ? &*vp8 : nullptr,
            vp8 ? &slot.vp8 : nullptr, scratch, /*retransmission=*/true)) {
    return false;
  }
  slot.retransmitted = true;
  slot.retransmitted_at = now;
  return true;
}

bool Consumer::SendPadding(size_t padding_size, std::span<uint8_t> scratch) {
  if (!options_.rtx_ssrc || !has_sent() || !sink_.sink_connected()) return false;
  std::optional<uint8_t> rtx_pt;
  for (const auto& codec : producer_.params().codecs) {
    if (!codec.IsRtx()) {
      rtx_pt = OutgoingRtxPayloadType(codec.payload_type);
      if (rtx_pt) break;
    }
  }
  if (!rtx_pt || padding_size == 0 || padding_size > 255) return false;
  const uint8_t twcc_id = options_.extensions.transport_sequence_id;
  const uint16_t transport_seq = sink_.NextTransportSequenceNumber();
  // Padding-only packet on the RTX stream (as libwebrtc probes), carrying the transport-wide
  // sequence number so the probe is measured.
  const size_t length = rtc::WritePaddingPacket(
      *options_.rtx_ssrc, *rtx_pt, rtx_sequence_++, last_timestamp_, padding_size,
      scratch.first(scratch.size() - WebRtcTransport::kSrtpTrailer), twcc_id, transport_seq);
  if (length == 0) return false;
  return sink_.SendRtpPacket(scratch.data(), length, scratch.size(), transport_seq);
}

uint32_t Consumer::RtpTimestampAt(transport::Timestamp now) const {
  const int64_t elapsed_us = (now - last_timestamp_time_).count();
  return last_timestamp_ +
         static_cast<uint32_t>(elapsed_us * static_cast<int64_t>(producer_.clock_rate()) / 1'000'000);
}

}  // namespace switchyard::sfu
