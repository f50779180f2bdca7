#include "sfu/publisher.h"

#include <algorithm>
#include <array>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "rtc/codec_capabilities.h"
#include "rtc/rtcp_builder.h"
#include "rtc/rtcp_packet.h"
#include "rtc/rtx.h"
#include "rtc/sdp_answerer.h"
#include "rtc/sdp_parser.h"

namespace switchyard::sfu {

namespace {

// SSRC we put in RTCP we originate towards publishers (RFC 4585 §6.1 "packet sender").
// Receive-only endpoints have no media SSRC of their own; libwebrtc uses 1 the same way.
constexpr uint32_t kFeedbackSenderSsrc = 1;
constexpr transport::Duration kReceiverReportInterval = std::chrono::seconds(1);
constexpr size_t kRtcpBufferSize = 1500;
// Three simulcast encodings with RTX for audio + video + screen share fit easily.
constexpr size_t kMaxRoutes = 32;

bool IsUsableMedia(const rtc::MediaSection& section) {
  return !section.IsRejected() && section.IsRtp() &&
         (section.kind == rtc::MediaKind::kAudio || section.kind == rtc::MediaKind::kVideo);
}

// The encodings a publisher announced for one m-section: rid-based simulcast (RFC 8853),
// SSRC-based simulcast (a=ssrc-group:SIM, used by stacks without header extensions), or one
// plain stream; RTX SSRCs from a=ssrc-group:FID (RFC 5576 §4.2, RFC 4588).
std::vector<EncodingParams> EncodingsOf(const rtc::MediaSection& offered) {
  std::vector<EncodingParams> encodings;
  auto rtx_for = [&](uint32_t ssrc) -> std::optional<uint32_t> {
    for (const auto& group : offered.ssrc_groups) {
      if (group.semantics == "FID" && group.ssrcs.size() == 2 && group.ssrcs[0] == ssrc) {
        return group.ssrcs[1];
      }
    }
    return std::nullopt;
  };
  if (offered.simulcast && !offered.simulcast->send_layers.empty()) {
    for (const auto& layer : offered.simulcast->send_layers) {
      if (layer.empty()) continue;
      EncodingParams e;
      e.rid = layer.front().rid;
      encodings.push_back(std::move(e));
    }
    return encodings;
  }
  for (const auto& group : offered.ssrc_groups) {
    if (group.semantics != "SIM") continue;
    for (uint32_t ssrc : group.ssrcs) encodings.push_back({"", ssrc, rtx_for(ssrc)});
    return encodings;
  }
  EncodingParams single;
  for (const auto& group : offered.ssrc_groups) {
    if (group.semantics == "FID" && group.ssrcs.size() == 2) {
      single.ssrc = group.ssrcs[0];
      single.rtx_ssrc = group.ssrcs[1];
      break;
    }
  }
  if (!single.ssrc && !offered.ssrcs.empty()) single.ssrc = offered.ssrcs.front().ssrc;
  encodings.push_back(std::move(single));
  return encodings;
}

}  // namespace

Publisher::Publisher(WorkerContext& context, std::string participant_id, Delegate& delegate)
    : context_(context), participant_id_(std::move(participant_id)), delegate_(delegate) {}

Publisher::~Publisher() {
  routes_.clear();
  producers_.clear();
}

absl::StatusOr<Publisher::OfferResult> Publisher::HandleOffer(const std::string& sdp) {
  auto offer = rtc::ParseSdp(sdp);
  if (!offer.ok()) return offer.status();
  // A transport made for an offer we then reject must not linger: its ICE consent timer
  // (RFC 7675) would expire and take the whole participant with it.
  const bool new_transport = transport_ == nullptr;
  if (new_transport) {
    transport_ = std::make_unique<WebRtcTransport>(context_.clock, context_.dtls_context,
                                                   context_.network, *this);
  }
  auto result = NegotiateOffer(*offer);
  if (!result.ok() && new_transport) transport_.reset();
  return result;
}

absl::StatusOr<Publisher::OfferResult> Publisher::NegotiateOffer(
    const rtc::SessionDescription& offer_description) {
  const rtc::SessionDescription* offer = &offer_description;
  // A re-offer under new ICE credentials is the browser restarting ICE: our answer carries new
  // ones too.
  RestartIceIfRemoteChanged(*offer, *transport_);
  rtc::AnswerOptions options;
  options.ice_ufrag = transport_->local_ice_credentials().ufrag;
  options.ice_pwd = transport_->local_ice_credentials().pwd;
  options.fingerprint_algorithm = "sha-256";
  options.fingerprint_value = context_.certificate.Fingerprint();
  options.candidates = context_.candidates;
  options.session_version = ++answer_version_;
  options.wanted_direction = rtc::Direction::kRecvOnly;
  // Transport-wide feedback lets the browser's bandwidth estimator (and so its encoder) ramp up
  // to what its uplink carries; without it Chromium stays near its 300 kbps start rate.
  options.capabilities = rtc::MediaCapabilities::WithTransportCc();
  auto answer = rtc::CreateAnswer(*offer, options);
  if (!answer.ok()) return answer.status();
  if (auto s = ApplyRemoteDescription(*offer, *transport_); !s.ok()) return s;

  OfferResult result;
  for (const auto& section : answer->media) {
    const rtc::MediaSection* offered = offer->FindMedia(section.mid);
    const bool sends =
        offered && IsUsableMedia(section) && rtc::DirectionSends(offered->direction);
    auto existing = std::find_if(producers_.begin(), producers_.end(), [&](const auto& p) {
      return p->params().mid == section.mid;
    });
    if (!sends) {
      if (existing != producers_.end()) {
        result.removed.push_back(std::move(*existing));
        producers_.erase(existing);
      }
      continue;
    }
    if (existing != producers_.end()) continue;
    ProducerParams params;
    params.track_id = absl::StrCat(participant_id_, "-", section.mid);
    params.kind = section.kind;
    params.mid = section.mid;
    params.codecs = section.codecs;
    params.encodings = EncodingsOf(*offered);
    if (const auto* ext = section.FindExtension(rtc::kExtAudioLevel)) params.audio_level_id = ext->id;
    producers_.push_back(std::make_unique<Producer>(context_.clock, *this, std::move(params)));
    result.added.push_back(producers_.back().get());
  }
  // With BUNDLE all sections share one extension id space (RFC 8843 §9.1).
  extensions_.Clear();
  for (const auto& section : answer->media) {
    for (const auto& ext : section.extensions) (void)extensions_.RegisterUri(ext.id, ext.uri);
  }
  RebuildRoutes();
  result.answer_sdp = rtc::Serialize(*answer);
  return result;
}

void Publisher::RebuildRoutes() {
  routes_.clear();
  for (auto& producer : producers_) {
    for (size_t i = 0; i < producer->encoding_count(); ++i) {
      const EncodingParams& e = producer->stream(i).params();
      if (e.ssrc) routes_.push_back({*e.ssrc, producer.get(), static_cast<int>(i), false});
      if (e.rtx_ssrc) routes_.push_back({*e.rtx_ssrc, producer.get(), static_cast<int>(i), true});
    }
  }
}

const Publisher::SsrcRoute* Publisher::Route(const rtc::RtpPacketView& packet) {
  const uint32_t ssrc = packet.ssrc();
  for (const SsrcRoute& route : routes_) {
    if (route.ssrc == ssrc) return &route;
  }
  // Unannounced SSRC: bind it through the mid and rid / repaired-rid header extensions
  // (RFC 8843 §9.2, RFC 8852 §3). Happens once per stream. Publishers without those
  // extensions (WHIP encoders such as OBS or GStreamer often send neither mid nor rid) are
  // bound by payload type instead: BUNDLE needs payload types unique across m-lines (RFC 8843
  // §9.1), so the one single-encoding producer owning the payload type takes the first
  // unknown SSRC using it (unless its announced a=ssrc has carried packets already).
  Producer* producer = nullptr;
  bool by_payload_type = false;
  if (const auto mid = rtc::ReadMid(packet, extensions_)) {
    for (auto& p : producers_) {
      if (p->params().mid == *mid) producer = p.get();
    }
  } else {
    producer = ProducerForPayloadType(packet.payload_type());
    by_payload_type = true;
  }
  if (producer == nullptr) return nullptr;
  std::optional<int> encoding;
  bool rtx = false;
  if (by_payload_type) {
    RecvStream& stream = producer->stream(0);
    rtx = producer->MediaPayloadTypeForRtx(packet.payload_type()).has_value();
    const bool bound = rtx ? stream.params().rtx_ssrc.has_value()
                           : stream.params().ssrc.has_value() && stream.statistics().has_data();
    if (!bound) encoding = 0;
  } else if (auto rid = rtc::ReadRid(packet, extensions_)) {
    encoding = producer->FindEncodingByRid(*rid);
  } else if (auto rrid = rtc::ReadRepairedRid(packet, extensions_)) {
    encoding = producer->FindEncodingByRid(*rrid);
    rtx = true;
  } else if (producer->encoding_count() == 1) {
    encoding = 0;
    rtx = producer->MediaPayloadTypeForRtx(packet.payload_type()).has_value();
  }
  if (!encoding || routes_.size() >= kMaxRoutes) return nullptr;
  EncodingParams& params = producer->stream(*encoding).params();
  if (rtx) {
    params.rtx_ssrc = ssrc;
  } else {
    params.ssrc = ssrc;
  }
  routes_.push_back({ssrc, producer, *encoding, rtx});
  return &routes_.back();
}

Producer* Publisher::ProducerForPayloadType(uint8_t payload_type) {
  Producer* found = nullptr;
  for (auto& p : producers_) {
    for (const auto& codec : p->params().codecs) {
      if (codec.payload_type != payload_type) continue;
      if (found != nullptr && found != p.get()) return nullptr;  // ambiguous
      found = p.get();
    }
  }
  return found != nullptr && found->encoding_count() == 1 ? found : nullptr;
}

std::vector<std::unique_ptr<Producer>> Publisher::TakeProducers() {
  std::vector<std::unique_ptr<Producer>> taken = std::move(producers_);
  producers_.clear();
  RebuildRoutes();
  return taken;
}

void Publisher::OnRtp(WebRtcTransport& transport, std::span<uint8_t> data) {
  auto packet = rtc::RtpPacketView::Parse(data);
  if (!packet) {
    context_.network.drops().Count(DropReason::kMalformedRtp);
    return;
  }
  ++rtp_packets_received_;
  if (auto seq = rtc::ReadTransportSequenceNumber(*packet, extensions_)) {
    if (!twcc_) twcc_ = std::make_unique<TwccReceiver>(kFeedbackSenderSsrc, packet->ssrc());
    twcc_->OnPacket(*seq, transport.arrival_time());
  }
  const SsrcRoute* route = Route(*packet);
  if (route == nullptr) {
    context_.network.drops().Count(DropReason::kUnknownSsrc);
    return;
  }
  Producer& producer = *route->producer;
  if (producer.kind() == rtc::MediaKind::kAudio) {
    if (auto level = rtc::ReadAudioLevel(*packet, extensions_)) {
      delegate_.OnAudioLevel(level->level, level->voice_activity);
    }
  }
  if (!route->rtx) {
    producer.OnRtp(route->encoding, *packet, /*retransmission=*/false, context_.scratch);
    return;
  }
  // RFC 4588: restore the original packet. Padding-only RTX packets (the browser probing its
  // bandwidth) carry no original sequence number and end here.
  const auto media_pt = producer.MediaPayloadTypeForRtx(packet->payload_type());
  const auto media_ssrc = producer.stream(route->encoding).params().ssrc;
  if (packet->payload().size() < rtc::kRtxOsnSize || !media_pt || !media_ssrc) {
    context_.network.drops().Count(DropReason::kRtxNotHandled);
    return;
  }
  std::array<uint8_t, 1500> restored;
  const size_t length = rtc::UnwrapRtx(*packet, *media_ssrc, *media_pt, restored);
  auto original = length ? rtc::RtpPacketView::Parse(std::span<const uint8_t>(restored.data(), length))
                         : std::nullopt;
  if (!original) {
    context_.network.drops().Count(DropReason::kMalformedRtp);
    return;
  }
  producer.OnRtp(route->encoding, *original, /*retransmission=*/true, context_.scratch);
}

void Publisher::OnRtcp(WebRtcTransport&, std::span<const uint8_t> packet) {
  const bool ok = rtc::ForEachRtcpPacket(packet, [this](const rtc::RtcpPacketView& view) {
    if (view.packet_type() != rtc::kRtcpSenderReport) return;
    auto sr = rtc::SenderReportView::Parse(view);
    if (!sr) return;
    for (const SsrcRoute& route : routes_) {
      if (route.ssrc == sr->sender_ssrc() && !route.rtx) {
        route.producer->OnSenderReport(route.encoding, *sr);
      }
    }
  });
  if (!ok) context_.network.drops().Count(DropReason::kMalformedRtcp);
}

void Publisher::OnTransportConnected(WebRtcTransport&) {
  ++dtls_handshakes_ok_;
  delegate_.OnPublisherConnected();
  // Subscribers may have been waiting for a keyframe; ask now that the publisher is reachable.
  for (auto& producer : producers_) {
    if (!producer->consumers().empty()) producer->RequestKeyframe(-1);
  }
}

void Publisher::OnTransportClosed(WebRtcTransport&, const std::string& reason) {
  if (absl::StartsWith(reason, "DTLS failed")) ++dtls_handshakes_failed_;
  delegate_.OnPublisherClosed(reason);
}

void Publisher::SendRtcp(std::span<uint8_t> buffer, size_t length) {
  if (length > 0 && transport_ && transport_->connected()) {
    transport_->SendRtcp(buffer.data(), length, buffer.size());
  }
}

void Publisher::SendKeyframeRequest(int, std::optional<uint32_t> media_ssrc, bool use_fir) {
  // An encoding whose SSRC we have not learned has sent nothing we could ask about.
  if (!media_ssrc) return;
  std::array<uint8_t, 64 + WebRtcTransport::kSrtpTrailer> buffer;
  std::span<uint8_t> out(buffer.data(), 64);
  const size_t length = use_fir
                            ? rtc::WriteFir(out, kFeedbackSenderSsrc, *media_ssrc, fir_sequence_++)
                            : rtc::WritePli(out, kFeedbackSenderSsrc, *media_ssrc);
  if (length > 0 && transport_ && transport_->connected()) ++plis_sent_;
  SendRtcp(buffer, length);
}

void Publisher::SendNacks() {
  const transport::Timestamp now = context_.clock.Now();
  std::array<uint16_t, 64> lost;
  std::array<uint8_t, kRtcpBufferSize + WebRtcTransport::kSrtpTrailer> buffer;
  for (auto& producer : producers_) {
    for (size_t i = 0; i < producer->encoding_count(); ++i) {
      RecvStream& stream = producer->stream(i);
      if (!stream.params().ssrc) continue;
      if (stream.nack().TakeKeyframeNeeded()) {
        producer->RequestKeyframe(producer->SpatialForEncoding(static_cast<int>(i)));
      }
      const size_t count = stream.nack().GetNacks(now, rtt_, lost);
      if (count == 0) continue;
      nacks_sent_ += count;
      SendRtcp(buffer, rtc::WriteNack(std::span<uint8_t>(buffer.data(), kRtcpBufferSize),
                                      kFeedbackSenderSsrc, *stream.params().ssrc,
                                      std::span<const uint16_t>(lost.data(), count)));
    }
  }
}

void Publisher::SendReceiverReports() {
  const transport::Timestamp now = context_.clock.Now();
  if (last_receiver_report_ && now - *last_receiver_report_ < kReceiverReportInterval) return;
  last_receiver_report_ = now;
  // RFC 3550 §6.4.2: at most 31 report blocks per RR.
  absl::InlinedVector<rtc::ReportBlock, 8> blocks;
  for (auto& producer : producers_) {
    for (size_t i = 0; i < producer->encoding_count() && blocks.size() < 31; ++i) {
      RecvStream& stream = producer->stream(i);
      if (!stream.params().ssrc || !stream.statistics().has_data()) continue;
      blocks.push_back(stream.statistics().MakeReportBlock(*stream.params().ssrc, now));
    }
  }
  if (blocks.empty()) return;
  std::array<uint8_t, kRtcpBufferSize + WebRtcTransport::kSrtpTrailer> buffer;
  SendRtcp(buffer, rtc::WriteReceiverReport(std::span<uint8_t>(buffer.data(), kRtcpBufferSize),
                                            kFeedbackSenderSsrc,
                                            std::span<const rtc::ReportBlock>(blocks)));
}

void Publisher::OnTimer() {
  for (auto& producer : producers_) producer->OnTimer();
  if (!transport_) return;
  transport_->OnTimer();
  if (!transport_->connected()) return;
  SendNacks();
  SendReceiverReports();
  const transport::Timestamp now = context_.clock.Now();
  if (twcc_ && twcc_->FeedbackDue(now)) {
    std::array<uint8_t, 4 * 1200 + WebRtcTransport::kSrtpTrailer> buffer;
    const size_t length = twcc_->BuildFeedback(now, std::span<uint8_t>(buffer.data(), 4 * 1200));
    // BuildFeedback may write several feedback packets back to back: one compound datagram
    // when they fit an MTU, otherwise one datagram each.
    size_t offset = 0;
    while (offset < length) {
      auto view = rtc::RtcpPacketView::Parse(
          std::span<const uint8_t>(buffer.data() + offset, length - offset));
      if (!view) break;
      const size_t size = view->size();
      std::array<uint8_t, 1200 + WebRtcTransport::kSrtpTrailer> one;
      std::copy_n(buffer.data() + offset, size, one.data());
      SendRtcp(one, size);
      offset += size;
    }
  }
}

void Publisher::Close() {
  if (transport_) transport_->Close();
}

}  // namespace switchyard::sfu
