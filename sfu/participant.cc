#include "sfu/participant.h"

#include <algorithm>
#include <array>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "rtc/rtcp_builder.h"
#include "rtc/rtcp_packet.h"
#include "rtc/sdp_answerer.h"
#include "rtc/sdp_parser.h"
#include "sfu/room.h"

namespace switchyard::sfu {

namespace {

// SSRC we put in RTCP feedback we originate (RFC 4585 §6.1 "packet sender"). Receive-only
// endpoints have no media SSRC of their own; libwebrtc uses 1 for the same purpose.
constexpr uint32_t kFeedbackSenderSsrc = 1;

absl::BitGen& Random() {
  thread_local absl::BitGen gen;
  return gen;
}

bool IsUsableMedia(const rtc::MediaSection& section) {
  return !section.IsRejected() && section.IsRtp() &&
         (section.kind == rtc::MediaKind::kAudio || section.kind == rtc::MediaKind::kVideo);
}

}  // namespace

Participant::Participant(WorkerContext& context, Room& room, std::string id, std::string name,
                         std::shared_ptr<ParticipantObserver> observer)
    : context_(context),
      room_(room),
      id_(std::move(id)),
      name_(std::move(name)),
      observer_(std::move(observer)),
      subscribe_session_id_(absl::Uniform<uint64_t>(Random(), 1, uint64_t{1} << 62)) {}

Participant::~Participant() {
  *alive_ = false;
  // Consumers reference producers of other participants and our subscriber transport: the
  // room unsubscribed everything before destroying us, this only guards the order.
  slots_.clear();
  producers_.clear();
}

ParticipantSummary Participant::Summary() const {
  ParticipantSummary summary{id_, name_, {}};
  for (const auto& producer : producers_) {
    summary.tracks.push_back(TrackSummary{producer->track_id(), producer->kind(), ""});
  }
  return summary;
}

absl::Status Participant::ApplyRemoteDescription(const rtc::SessionDescription& description,
                                                  WebRtcTransport& transport) {
  const rtc::MediaSection* first = nullptr;
  for (const auto& section : description.media) {
    if (!section.IsRejected()) {
      first = &section;
      break;
    }
  }
  if (first == nullptr) return absl::InvalidArgumentError("no accepted media section");
  transport::IceCredentials ice;
  ice.ufrag = std::string(description.IceUfragFor(*first));
  ice.pwd = std::string(description.IcePwdFor(*first));
  const std::string fingerprint_algorithm(description.FingerprintAlgorithmFor(*first));
  const std::string fingerprint_value(description.FingerprintValueFor(*first));
  if (ice.ufrag.empty() || ice.pwd.empty()) {
    return absl::InvalidArgumentError("missing a=ice-ufrag/a=ice-pwd");
  }
  if (fingerprint_algorithm.empty() || fingerprint_value.empty()) {
    return absl::InvalidArgumentError("missing a=fingerprint");
  }
  // RFC 5763 §5: the side whose a=setup is "active" is the DTLS client. An offerer's actpass
  // makes us (the answerer, always passive) the server; in our own offers we say actpass and
  // the browser picks.
  const auto setup = description.SetupFor(*first).value_or(rtc::SetupRole::kActive);
  const auto role = setup == rtc::SetupRole::kPassive ? transport::DtlsRole::kClient
                                                     : transport::DtlsRole::kServer;
  return transport.SetRemoteParameters(ice, fingerprint_algorithm, fingerprint_value, role);
}

absl::Status Participant::HandlePublishOffer(const std::string& sdp) {
  if (closed_) return absl::FailedPreconditionError("participant closed");
  auto offer = rtc::ParseSdp(sdp);
  if (!offer.ok()) return offer.status();

  if (!publisher_transport_) {
    publisher_transport_ = std::make_unique<WebRtcTransport>(
        context_.clock, context_.dtls_context, context_.network, *this);
  }
  rtc::AnswerOptions options;
  options.ice_ufrag = publisher_transport_->local_ice_credentials().ufrag;
  options.ice_pwd = publisher_transport_->local_ice_credentials().pwd;
  options.fingerprint_algorithm = "sha-256";
  options.fingerprint_value = context_.certificate.Fingerprint();
  options.candidates = context_.candidates;
  options.session_version = ++publish_answer_version_;
  options.wanted_direction = rtc::Direction::kRecvOnly;
  auto answer = rtc::CreateAnswer(*offer, options);
  if (!answer.ok()) return answer.status();

  if (auto s = ApplyRemoteDescription(*offer, *publisher_transport_); !s.ok()) return s;

  // Producers: every accepted section the browser sends on. Sections that stopped sending in
  // a renegotiation lose their producer.
  std::vector<std::unique_ptr<Producer>> removed;
  std::vector<Producer*> added;
  for (const auto& section : answer->media) {
    const rtc::MediaSection* offered = offer->FindMedia(section.mid);
    const bool sends = offered && IsUsableMedia(section) && rtc::DirectionSends(offered->direction);
    auto existing = std::find_if(producers_.begin(), producers_.end(), [&](const auto& p) {
      return p->params().mid == section.mid;
    });
    if (!sends) {
      if (existing != producers_.end()) {
        removed.push_back(std::move(*existing));
        producers_.erase(existing);
      }
      continue;
    }
    if (existing != producers_.end()) continue;
    ProducerParams params;
    params.track_id = absl::StrCat(id_, "-", section.mid);
    params.kind = section.kind;
    params.mid = section.mid;
    params.codecs = section.codecs;
    for (const auto& group : offered->ssrc_groups) {
      if (group.semantics == "FID" && group.ssrcs.size() == 2) {
        params.ssrc = group.ssrcs[0];
        params.rtx_ssrc = group.ssrcs[1];
      }
    }
    if (!params.ssrc && !offered->ssrcs.empty()) params.ssrc = offered->ssrcs.front().ssrc;
    producers_.push_back(std::make_unique<Producer>(context_.clock, *this, std::move(params)));
    added.push_back(producers_.back().get());
  }
  // With BUNDLE all sections share one id space (RFC 8843 §9.1); unknown URIs are ignored.
  publisher_extensions_.Clear();
  for (const auto& section : answer->media) {
    for (const auto& ext : section.extensions) {
      (void)publisher_extensions_.RegisterUri(ext.id, ext.uri);
    }
  }

  observer_->OnPublishAnswer(rtc::Serialize(*answer));
  for (auto& producer : removed) room_.OnProducerRemoved(*this, *producer);
  for (Producer* producer : added) room_.OnProducerAdded(*this, *producer);
  return absl::OkStatus();
}

absl::Status Participant::HandleSubscribeAnswer(const std::string& sdp) {
  if (closed_) return absl::FailedPreconditionError("participant closed");
  if (!offer_outstanding_) {
    return absl::FailedPreconditionError("no subscribe offer is outstanding");
  }
  auto answer = rtc::ParseSdp(sdp);
  if (!answer.ok()) return answer.status();
  if (auto s = ApplyRemoteDescription(*answer, *subscriber_transport_); !s.ok()) return s;
  subscriber_started_ = true;
  offer_outstanding_ = false;
  if (renegotiation_needed_) {
    renegotiation_needed_ = false;
    ScheduleSubscribeOffer();
  }
  return absl::OkStatus();
}

uint32_t Participant::NewConsumerSsrc() {
  for (;;) {
    const uint32_t ssrc = absl::Uniform<uint32_t>(Random(), 0x10000, 0xFFFFFFF0u);
    if (FindConsumerBySsrc(ssrc) == nullptr && ssrc != kFeedbackSenderSsrc) return ssrc;
  }
}

void Participant::Subscribe(Producer& producer, const std::string& publisher_id) {
  if (closed_) return;
  if (!subscriber_transport_) {
    // Created with the first track to receive: its ICE consent clock (RFC 7675) starts now,
    // and the offer carrying its credentials goes out right after.
    subscriber_transport_ = std::make_unique<WebRtcTransport>(
        context_.clock, context_.dtls_context, context_.network, *this);
  }
  SubscriberSlot slot;
  slot.mid = std::to_string(next_mid_++);
  slot.kind = producer.kind();
  slot.publisher_id = publisher_id;
  slot.track_id = producer.track_id();
  // Forwarded packets keep the publisher's payload types, so the subscriber is offered exactly
  // the publisher's negotiated codecs. RTX is left out until the SFU answers NACKs itself.
  for (const auto& codec : producer.params().codecs) {
    if (codec.IsRtx()) continue;
    rtc::Codec offered = codec;
    offered.rtcp_fbs.clear();
    if (slot.kind == rtc::MediaKind::kVideo) offered.rtcp_fbs = {"ccm fir", "nack pli"};
    slot.codecs.push_back(std::move(offered));
  }
  slot.consumer = std::make_unique<Consumer>(producer, *subscriber_transport_,
                                             context_.network.drops(), NewConsumerSsrc(),
                                             slot.mid);
  slots_.push_back(std::move(slot));
  observer_->OnTrackPublished(publisher_id,
                              TrackSummary{producer.track_id(), producer.kind(), slots_.back().mid});
  ScheduleSubscribeOffer();
}

void Participant::Unsubscribe(Producer& producer) {
  for (auto& slot : slots_) {
    if (slot.consumer && &slot.consumer->producer() == &producer) {
      slot.consumer.reset();
      observer_->OnTrackUnpublished(slot.publisher_id, slot.track_id);
      ScheduleSubscribeOffer();
    }
  }
}

void Participant::ScheduleSubscribeOffer() {
  if (offer_outstanding_) {
    renegotiation_needed_ = true;
    return;
  }
  if (offer_scheduled_) return;
  offer_scheduled_ = true;
  // Deferred so that a burst of changes (a participant with audio+video joining, or our own
  // join subscribing to everyone) becomes one offer.
  std::weak_ptr<bool> alive = alive_;
  context_.defer([this, alive] {
    if (alive.expired()) return;
    offer_scheduled_ = false;
    SendSubscribeOffer();
  });
}

void Participant::SendSubscribeOffer() {
  if (closed_ || slots_.empty()) return;
  if (offer_outstanding_) {
    renegotiation_needed_ = true;
    return;
  }
  offer_outstanding_ = true;
  observer_->OnSubscribeOffer(rtc::Serialize(BuildSubscribeOffer()));
}

rtc::SessionDescription Participant::BuildSubscribeOffer() const {
  rtc::SessionDescription offer;
  offer.session_id = subscribe_session_id_;
  offer.session_version = subscribe_offer_version_ + slots_.size();
  offer.ice_lite = true;
  const auto& ice = subscriber_transport_->local_ice_credentials();
  std::vector<std::string> bundle;
  for (const SubscriberSlot& slot : slots_) {
    rtc::MediaSection section;
    section.kind = slot.kind;
    section.mid = slot.mid;
    section.codecs = slot.codecs;
    section.rtcp_mux = true;
    section.rtcp_rsize = true;
    section.ice_ufrag = ice.ufrag;
    section.ice_pwd = ice.pwd;
    section.fingerprint_algorithm = "sha-256";
    section.fingerprint_value = context_.certificate.Fingerprint();
    section.setup = rtc::SetupRole::kActPass;
    if (slot.consumer) {
      section.direction = rtc::Direction::kSendOnly;
      section.msid_stream = slot.publisher_id;
      section.msid_track = slot.track_id;
      section.ssrcs.push_back(rtc::SsrcAttribute{slot.consumer->ssrc(), slot.publisher_id,
                                                 slot.publisher_id + " " + slot.track_id});
    } else {
      section.direction = rtc::Direction::kInactive;
    }
    if (bundle.empty()) {
      section.candidates = context_.candidates;
      section.end_of_candidates = true;
    }
    bundle.push_back(slot.mid);
    offer.media.push_back(std::move(section));
  }
  offer.bundle_groups.push_back(std::move(bundle));
  return offer;
}

Producer* Participant::FindProducerBySsrc(uint32_t ssrc) {
  for (auto& producer : producers_) {
    if (producer->ssrc() == ssrc) return producer.get();
  }
  return nullptr;
}

Consumer* Participant::FindConsumerBySsrc(uint32_t ssrc) {
  for (auto& slot : slots_) {
    if (slot.consumer && slot.consumer->ssrc() == ssrc) return slot.consumer.get();
  }
  return nullptr;
}

void Participant::OnRtp(WebRtcTransport& transport, std::span<uint8_t> data) {
  if (&transport != publisher_transport_.get()) return;  // subscribers send no media to us
  auto packet = rtc::RtpPacketView::Parse(data);
  if (!packet) {
    context_.network.drops().Count(DropReason::kMalformedRtp);
    return;
  }
  ++rtp_packets_received_;
  Producer* producer = FindProducerBySsrc(packet->ssrc());
  if (producer == nullptr) {
    // No a=ssrc for this stream (e.g. rid-based sending): bind the SSRC through the mid header
    // extension (RFC 8843 §9.2).
    const std::string_view mid = rtc::ReadMid(*packet, publisher_extensions_).value_or("");
    for (auto& p : producers_) {
      if (p->params().rtx_ssrc == packet->ssrc()) {
        context_.network.drops().Count(DropReason::kRtxNotHandled);
        return;
      }
      if (!p->ssrc() && !mid.empty() && mid == p->params().mid) {
        p->set_ssrc(packet->ssrc());
        producer = p.get();
        break;
      }
    }
    if (producer == nullptr) {
      context_.network.drops().Count(DropReason::kUnknownSsrc);
      return;
    }
  }
  producer->OnRtp(*packet, context_.scratch);
}

void Participant::OnRtcp(WebRtcTransport& transport, std::span<const uint8_t> packet) {
  if (&transport == subscriber_transport_.get()) {
    OnSubscriberRtcp(packet);
  } else {
    OnPublisherRtcp(packet);
  }
}

void Participant::OnPublisherRtcp(std::span<const uint8_t> packet) {
  // Sender reports and SDES from the publisher: validated here; used for A/V sync and
  // receiver reports once the RTCP loop lands (issue 3).
  if (!rtc::ForEachRtcpPacket(packet, [](const rtc::RtcpPacketView&) {})) {
    context_.network.drops().Count(DropReason::kMalformedRtcp);
  }
}

void Participant::OnSubscriberRtcp(std::span<const uint8_t> packet) {
  const bool ok = rtc::ForEachRtcpPacket(packet, [this](const rtc::RtcpPacketView& view) {
    if (view.packet_type() != rtc::kRtcpPayloadSpecificFeedback) return;
    if (view.count() == rtc::kPsfbPli) {
      if (auto pli = rtc::PliView::Parse(view)) {
        if (Consumer* c = FindConsumerBySsrc(pli->media_ssrc())) c->OnKeyframeRequest();
      }
    } else if (view.count() == rtc::kPsfbFir) {
      if (auto fir = rtc::FirView::Parse(view)) {
        for (size_t i = 0; i < fir->entry_count(); ++i) {
          if (Consumer* c = FindConsumerBySsrc(fir->entry(i).ssrc)) c->OnKeyframeRequest();
        }
      }
    }
  });
  if (!ok) context_.network.drops().Count(DropReason::kMalformedRtcp);
}

void Participant::SendKeyframeRequest(uint32_t media_ssrc, bool use_fir) {
  if (!publisher_transport_ || !publisher_transport_->connected()) return;
  std::array<uint8_t, 64 + WebRtcTransport::kSrtpTrailer> buffer;
  std::span<uint8_t> out(buffer.data(), 64);
  const size_t length = use_fir
                            ? rtc::WriteFir(out, kFeedbackSenderSsrc, media_ssrc, fir_sequence_++)
                            : rtc::WritePli(out, kFeedbackSenderSsrc, media_ssrc);
  if (length > 0) publisher_transport_->SendRtcp(buffer.data(), length, buffer.size());
}

void Participant::OnTransportConnected(WebRtcTransport& transport) {
  if (&transport == publisher_transport_.get()) {
    // Media may have been flowing to consumers that waited for a keyframe; ask now that we
    // can reach the publisher.
    for (auto& producer : producers_) {
      if (!producer->consumers().empty()) producer->RequestKeyframe();
    }
  } else {
    for (auto& slot : slots_) {
      if (slot.consumer) slot.consumer->OnKeyframeRequest();
    }
  }
}

void Participant::OnTransportClosed(WebRtcTransport&, const std::string& reason) {
  if (closed_) return;
  // Called from inside the transport: leave the room only after this event unwinds.
  std::weak_ptr<bool> alive = alive_;
  context_.defer([this, alive, reason] {
    if (alive.expired()) return;
    room_.RemoveParticipant(id_, reason);
  });
}

void Participant::OnTimer() {
  for (auto& producer : producers_) producer->OnTimer();
  if (publisher_transport_) publisher_transport_->OnTimer();
  if (subscriber_transport_) subscriber_transport_->OnTimer();
}

void Participant::Close() {
  if (closed_) return;
  closed_ = true;
  if (publisher_transport_) publisher_transport_->Close();
  if (subscriber_transport_) subscriber_transport_->Close();
}

}  // namespace switchyard::sfu
