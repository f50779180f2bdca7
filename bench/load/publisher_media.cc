#include "bench/load/publisher_media.h"

#include <array>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "bench/load/payload_stamp.h"
#include "rtc/rtcp_builder.h"
#include "rtc/rtcp_packet.h"

namespace switchyard::bench {

namespace {

// The offer's sections (bench_sdp.h). Assigned as std::string: GCC 12 at -O3 warns a false
// -Wrestrict on assigning the literal.
constexpr std::string_view kAudioMid = "0";
constexpr std::string_view kVideoMid = "1";
constexpr auto kSenderReportInterval = std::chrono::seconds(1);
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

}  // namespace

PublisherMedia::PublisherMedia(const LoadConfig& config, const ClientPlan& plan, int generation)
    : config_(config), plan_(plan) {
  // SSRCs only need to be unique within the PeerConnection; derive them from the client.
  const uint32_t ssrc_base = 0x10000000u + static_cast<uint32_t>(plan.index) * 16u +
                             static_cast<uint32_t>(generation % 1024) * 0x100000u;
  offer_spec_.audio = plan.publish_audio;
  offer_spec_.video = plan.publish_video;
  offer_spec_.audio_ssrc = ssrc_base;
  offer_spec_.stream_id = absl::StrCat("bench-", plan.identity);
  offer_spec_.cname = offer_spec_.stream_id;
  if (plan.publish_video) {
    if (config.video_layers == 1) {
      offer_spec_.video_encodings = {{"", 1280, 720, config.video_bitrates_bps.front(), 0}};
    } else {
      auto all = DefaultSimulcastEncodings();
      offer_spec_.video_encodings.assign(all.begin(), all.begin() + config.video_layers);
      for (size_t i = 0; i < offer_spec_.video_encodings.size(); ++i) {
        offer_spec_.video_encodings[i].bitrate_bps = config.video_bitrates_bps[i];
      }
    }
    for (size_t i = 0; i < offer_spec_.video_encodings.size(); ++i) {
      offer_spec_.video_encodings[i].ssrc = ssrc_base + 1 + static_cast<uint32_t>(i);
    }
  }
}

absl::Status PublisherMedia::OnAnswer(const rtc::SessionDescription& answer) {
  if (has_sources()) return absl::OkStatus();
  const NegotiatedExtensions ids = NegotiatedExtensionsOf(answer);
  if (plan_.publish_video) {
    if (offer_spec_.video_encodings.size() > 1 && (ids.rid == 0 || ids.mid == 0)) {
      return absl::FailedPreconditionError(
          "the server's answer dropped the mid/rid extensions simulcast needs");
    }
    VideoSourceConfig vc;
    vc.encodings = offer_spec_.video_encodings;
    vc.frames_per_second = config_.fps;
    vc.keyframe_interval = std::chrono::duration_cast<transport::Duration>(
        std::chrono::duration<double>(config_.keyframe_interval_s));
    vc.temporal_layers = config_.temporal_layers;
    vc.payload_type = kVp8PayloadType;
    vc.mid_id = ids.mid;
    vc.rid_id = ids.rid;
    vc.mid = std::string(kVideoMid);
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
    ac.mid = std::string(kAudioMid);
    ac.source = StampSource(static_cast<uint32_t>(plan_.publisher_index), true);
    ac.seed = static_cast<uint64_t>(plan_.index) + 1;
    audio_ = std::make_unique<AudioSource>(std::move(ac));
  }
  return absl::OkStatus();
}

void PublisherMedia::Start(transport::Timestamp now) {
  if (video_) video_->Start(now);
  if (audio_) audio_->Start(now);
}

void PublisherMedia::Send(PeerConnection& pc, transport::Timestamp now) {
  auto send = [&pc](std::span<uint8_t> packet) {
    PatchStampSendTime(packet, SteadyNowNs());
    // The sources' buffers leave kSinkSpareBytes after every packet for the SRTP tag.
    pc.SendRtp(std::span<uint8_t>(packet.data(), packet.size() + kSinkSpareBytes),
               packet.size());
  };
  if (audio_ && audio_->started()) {
    audio_->Poll(now, [&](std::span<uint8_t> packet) { send(packet); });
  }
  if (video_ && video_->started()) {
    video_->Poll(now, [&](size_t, std::span<uint8_t> packet) { send(packet); });
  }
  SendSenderReports(pc, now);
}

void PublisherMedia::SendSenderReports(PeerConnection& pc, transport::Timestamp now) {
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
  if (length > 0) pc.SendRtcp(std::span<const uint8_t>(buffer.data(), length));
}

void PublisherMedia::OnRtcp(std::span<const uint8_t> compound, TrafficCounters& counters) {
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

uint64_t PublisherMedia::keyframes_sent() const {
  uint64_t n = 0;
  if (video_) {
    for (size_t i = 0; i < offer_spec_.video_encodings.size(); ++i) n += video_->stats(i).keyframes;
  }
  return n;
}

}  // namespace switchyard::bench
