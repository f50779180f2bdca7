#include "tests/sfu/feedback_subscriber_peer.h"

#include <array>

#include "rtc/codec_capabilities.h"
#include "rtc/rtcp_builder.h"
#include "rtc/rtcp_packet.h"
#include "rtc/rtp_header_extensions.h"
#include "rtc/rtx.h"
#include "rtc/sdp_parser.h"
#include "rtc/vp8_payload_descriptor.h"

namespace switchyard::sfu::testing {

namespace {

// RTCP sender SSRC of a receive-only endpoint (TestPeer uses the same).
constexpr uint32_t kFeedbackSenderSsrc = 1;
// TestPeer::SendNack's buffer holds this many FCI entries comfortably.
constexpr size_t kMaxNacksPerPacket = 48;

}  // namespace

FeedbackSubscriberPeer::FeedbackSubscriberPeer(TestPeer& peer, const transport::Clock& clock,
                                               FeedbackSubscriberOptions options)
    : peer_(peer), clock_(clock), options_(options), ntp_(clock) {
  peer_.set_accept_bandwidth_feedback(options_.send_transport_cc);
  peer_.set_rtp_observer([this](const rtc::RtpPacketView& packet) { OnRtp(packet); });
  peer_.set_rtcp_observer([this](std::span<const uint8_t> compound) { OnRtcp(compound); });
}

FeedbackSubscriberPeer::~FeedbackSubscriberPeer() {
  peer_.set_rtp_observer(nullptr);
  peer_.set_rtcp_observer(nullptr);
}

void FeedbackSubscriberPeer::OnRtcp(std::span<const uint8_t> compound) {
  rtc::ForEachRtcpPacket(compound, [&](const rtc::RtcpPacketView& view) {
    if (view.packet_type() != rtc::kRtcpSenderReport) return;
    auto sr = rtc::SenderReportView::Parse(view);
    if (sr && media_ssrc_ && sr->sender_ssrc() == *media_ssrc_) {
      statistics_.OnSenderReport(sr->ntp_timestamp(), clock_.Now());
    }
  });
}

absl::StatusOr<std::string> FeedbackSubscriberPeer::AnswerOffer(const std::string& sdp,
                                                                const std::string& stream) {
  auto answer = peer_.AnswerSubscribeOffer(sdp);
  if (!answer.ok()) return answer.status();
  const OfferedTrack* track = peer_.FindOfferedTrack(rtc::MediaKind::kVideo, stream);
  if (track == nullptr || !track->ssrc) {
    return absl::NotFoundError("the offer has no active video track of " + stream);
  }
  media_ssrc_ = track->ssrc;
  rtx_ssrc_ = track->rtx_ssrc;
  for (const rtc::Codec& codec : track->codecs) {
    if (codec.IsRtx()) {
      rtx_payload_type_ = codec.payload_type;
      if (auto apt = codec.apt()) media_payload_type_ = *apt;
    }
  }
  auto offer = rtc::ParseSdp(sdp);
  if (!offer.ok()) return offer.status();
  if (options_.send_transport_cc) {
    for (const rtc::MediaSection& section : offer->media) {
      if (const auto* ext = section.FindExtension(rtc::kExtTransportCc)) {
        transport_sequence_id_ = ext->id;
      }
    }
    if (transport_sequence_id_ != 0 && !twcc_) {
      twcc_ = std::make_unique<TwccReceiver>(kFeedbackSenderSsrc, *media_ssrc_);
    }
  }
  return answer;
}

int64_t FeedbackSubscriberPeer::Unwrap(uint16_t sequence_number) {
  if (!highest_) {
    // Far from 0 so that reordered packets before the first one stay positive.
    highest_ = (int64_t{1} << 20) + sequence_number;
    return *highest_;
  }
  const auto delta = static_cast<int16_t>(
      static_cast<uint16_t>(sequence_number - static_cast<uint16_t>(*highest_)));
  const int64_t unwrapped = *highest_ + delta;
  if (unwrapped > *highest_) highest_ = unwrapped;
  return unwrapped;
}

void FeedbackSubscriberPeer::OnRtp(const rtc::RtpPacketView& packet) {
  const transport::Timestamp now = clock_.Now();
  if (twcc_ && transport_sequence_id_ != 0) {
    if (auto element = packet.FindExtensionElement(transport_sequence_id_)) {
      if (auto seq = rtc::ParseTransportSequenceNumber(*element)) twcc_->OnPacket(*seq, now);
    }
  }
  if (media_ssrc_ && packet.ssrc() == *media_ssrc_) {
    ++stats_.media_packets;
    OnMedia(packet, /*via_rtx=*/false, now);
    return;
  }
  if (!rtx_ssrc_ || packet.ssrc() != *rtx_ssrc_ || !media_ssrc_) return;
  if (packet.payload().size() < rtc::kRtxOsnSize) {
    ++stats_.padding_packets;
    return;
  }
  if (packet.payload_type() != rtx_payload_type_) return;
  ++stats_.rtx_packets;
  std::array<uint8_t, 1600> restored;
  const size_t length = rtc::UnwrapRtx(packet, *media_ssrc_, media_payload_type_, restored);
  if (length == 0) return;
  if (auto original =
          rtc::RtpPacketView::Parse(std::span<const uint8_t>(restored.data(), length))) {
    OnMedia(*original, /*via_rtx=*/true, now);
  }
}

void FeedbackSubscriberPeer::OnMedia(const rtc::RtpPacketView& packet, bool via_rtx,
                                     transport::Timestamp now) {
  VideoPacket info;
  info.sequence = Unwrap(packet.sequence_number());
  info.timestamp = packet.timestamp();
  info.marker = packet.marker();
  info.via_rtx = via_rtx;
  info.arrival = now;
  info.tag = ParseSyntheticTag(packet.payload());
  if (auto size = rtc::ParseVp8KeyframeSize(packet.payload())) {
    info.keyframe_start = true;
    info.width = size->width;
    info.height = size->height;
  }
  statistics_.OnPacket(packet.sequence_number(), packet.timestamp(), now, via_rtx);
  if (options_.send_nacks) (void)nack_.OnPacket(packet.sequence_number(), info.keyframe_start, now);
  auto [it, inserted] = packets_.emplace(info.sequence, info);
  if (!inserted) {
    ++stats_.duplicates;
    return;
  }
  if (via_rtx) ++stats_.rtx_repairs;
  if (info.keyframe_start) keyframes_.push_back(info);
}

std::optional<SyntheticTag> FeedbackSubscriberPeer::latest_tag() const {
  if (packets_.empty()) return std::nullopt;
  return packets_.rbegin()->second.tag;
}

void FeedbackSubscriberPeer::Tick() {
  const transport::Timestamp now = clock_.Now();
  if (!peer_.connected()) return;
  if (twcc_ && twcc_->FeedbackDue(now)) {
    std::array<uint8_t, 4 * 1200> buffer;
    const size_t length = twcc_->BuildFeedback(now, buffer);
    // One datagram per feedback packet, as the SFU's publisher side sends them.
    size_t offset = 0;
    while (offset < length) {
      auto view = rtc::RtcpPacketView::Parse(
          std::span<const uint8_t>(buffer.data() + offset, length - offset));
      if (!view) break;
      if (peer_.SendRtcp(std::span<const uint8_t>(buffer.data() + offset, view->size()))) {
        ++stats_.feedback_packets;
      }
      offset += view->size();
    }
  }
  if (media_ssrc_ && statistics_.has_data() &&
      (!last_receiver_report_ ||
       now - *last_receiver_report_ >= options_.receiver_report_interval)) {
    last_receiver_report_ = now;
    const rtc::ReportBlock block = statistics_.MakeReportBlock(*media_ssrc_, now);
    std::array<uint8_t, 64> report;
    const size_t length = rtc::WriteReceiverReport(report, kFeedbackSenderSsrc,
                                                   std::span<const rtc::ReportBlock>(&block, 1));
    if (length > 0 && peer_.SendRtcp(std::span<const uint8_t>(report.data(), length))) {
      ++stats_.receiver_reports;
    }
  }
  if (!options_.send_nacks || !media_ssrc_) return;
  std::array<uint16_t, kMaxNacksPerPacket> lost;
  for (int round = 0; round < 8; ++round) {
    const size_t count = nack_.GetNacks(now, options_.rtt, lost);
    if (count == 0) break;
    if (peer_.SendNack(*media_ssrc_, std::span<const uint16_t>(lost.data(), count))) {
      stats_.nacked_sequences += count;
    }
    if (count < lost.size()) break;
  }
  if (nack_.TakeKeyframeNeeded() && peer_.SendPli(*media_ssrc_)) ++stats_.plis_sent;
}

}  // namespace switchyard::sfu::testing
