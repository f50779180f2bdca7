#include "sfu/subscriber.h"

#include <algorithm>
#include <array>

#include "absl/random/random.h"
#include "rtc/codec_capabilities.h"
#include "rtc/rtcp_builder.h"
#include "rtc/rtcp_packet.h"
#include "rtc/sdp_answerer.h"
#include "rtc/sdp_parser.h"
#include "rtc/transport_cc_feedback.h"
#include "sfu/payload_type_mapping.h"
#include "sfu/stream_allocator.h"

namespace switchyard::sfu {

namespace {

constexpr transport::Duration kSenderReportInterval = std::chrono::seconds(1);
constexpr size_t kRtcpBufferSize = 1200;
// Probe packets: padding-only RTX packets of the largest size RTP padding allows (RFC 3550
// §5.1: the count is one byte), sent as one burst per probe cluster.
constexpr size_t kProbePaddingSize = 255;
constexpr int kMaxProbePackets = 64;
// Without any bandwidth feedback from the subscriber there is nothing to allocate against.
constexpr uint64_t kUnlimitedBudget = uint64_t{1} << 40;

absl::BitGen& Random() {
  thread_local absl::BitGen gen;
  return gen;
}

}  // namespace

Subscriber::Subscriber(WorkerContext& context, const NtpClock& ntp, ParticipantObserver& observer,
                       Delegate& delegate, Mode mode)
    : context_(context),
      ntp_(ntp),
      observer_(observer),
      delegate_(delegate),
      mode_(mode),
      session_id_(absl::Uniform<uint64_t>(Random(), 1, uint64_t{1} << 62)),
      estimator_(context.clock) {}

Subscriber::~Subscriber() {
  *alive_ = false;
  slots_.clear();
}

bool Subscriber::sink_connected() const { return transport_ && transport_->connected(); }

uint64_t Subscriber::estimate_bps() const { return estimator_.target_bitrate_bps(); }

bool Subscriber::SendRtpPacket(uint8_t* packet, size_t length, size_t capacity,
                               uint16_t transport_sequence_number) {
  if (!transport_ || !transport_->SendRtp(packet, length, capacity)) return false;
  // The send history only serves transport-cc feedback; without it, skipping it saves a cache
  // miss per packet per subscriber.
  if (transport_cc_negotiated_) {
    estimator_.OnPacketSent(transport_sequence_number, length, context_.clock.Now(),
                            probe_cluster_id_);
  }
  return true;
}

bool Subscriber::SsrcInUse(uint32_t ssrc) const {
  for (const Slot& slot : slots_) {
    if (slot.ssrc == ssrc || slot.rtx_ssrc == ssrc) return true;
    if (slot.consumer && (slot.consumer->ssrc() == ssrc || slot.consumer->rtx_ssrc() == ssrc)) {
      return true;
    }
  }
  return false;
}

uint32_t Subscriber::NewSsrc() {
  for (;;) {
    const uint32_t ssrc = absl::Uniform<uint32_t>(Random(), 0x10000, 0xFFFFFFF0u);
    if (!SsrcInUse(ssrc)) return ssrc;
  }
}

bool Subscriber::IsSubscribed(const Producer& producer) const {
  for (const Slot& slot : slots_) {
    if (slot.consumer && &slot.consumer->producer() == &producer) return true;
  }
  return false;
}

void Subscriber::SetTrackEnabled(const std::string& track_id, bool enabled) {
  if (enabled) {
    disabled_tracks_.erase(track_id);
  } else {
    disabled_tracks_.insert(track_id);
  }
}

void Subscriber::OnSubscribed(Slot& slot, Producer& producer) {
  observer_.OnTrackPublished(
      slot.publisher_id,
      TrackSummary{producer.track_id(), producer.kind(), slot.mid, producer.muted(),
                   static_cast<int>(producer.encoding_count())});
  last_allocation_.reset();  // allocate at the next tick
}

void Subscriber::Subscribe(Producer& producer, const std::string& publisher_id) {
  if (closed_ || IsSubscribed(producer) || !track_enabled(producer.track_id())) return;
  if (mode_ == Mode::kAnswer) {
    BindViewerLine(producer, publisher_id);
    return;
  }
  if (!transport_) {
    // Created with the first track to receive: its ICE consent clock (RFC 7675) starts now,
    // and the offer carrying its credentials goes out right after.
    transport_ = std::make_unique<WebRtcTransport>(context_.clock, context_.dtls_context,
                                                   context_.network, *this);
  }
  Slot slot;
  slot.mid = std::to_string(next_mid_++);
  slot.kind = producer.kind();
  slot.publisher_id = publisher_id;
  slot.track_id = producer.track_id();
  // Forwarded packets keep the publisher's payload types, so the subscriber is offered exactly
  // the publisher's negotiated codecs (with their RTX, which carries our retransmissions).
  bool has_rtx = false;
  for (const auto& codec : producer.params().codecs) {
    rtc::Codec offered = codec;
    offered.rtcp_fbs.clear();
    if (!codec.IsRtx()) {
      offered.rtcp_fbs.push_back(std::string(rtc::kRtcpFbTransportCc));
      if (slot.kind == rtc::MediaKind::kVideo) {
        for (auto fb : {rtc::kRtcpFbGoogRemb, rtc::kRtcpFbCcmFir, rtc::kRtcpFbNack,
                        rtc::kRtcpFbNackPli}) {
          offered.rtcp_fbs.push_back(std::string(fb));
        }
      }
    } else {
      has_rtx = true;
    }
    slot.codecs.push_back(std::move(offered));
  }
  ConsumerOptions options;
  options.ssrc = NewSsrc();
  if (has_rtx && slot.kind == rtc::MediaKind::kVideo) options.rtx_ssrc = NewSsrc();
  options.mid = slot.mid;
  options.extensions.transport_sequence_id = kTransportSequenceId;
  if (producer.params().audio_level_id != 0) {
    options.extensions.remaps[0] = {producer.params().audio_level_id, kAudioLevelId};
    options.extensions.remap_count = 1;
  }
  slot.ssrc = options.ssrc;
  slot.rtx_ssrc = options.rtx_ssrc;
  slot.consumer = std::make_unique<Consumer>(producer, *this, context_.network.drops(),
                                             context_.clock, std::move(options));
  slots_.push_back(std::move(slot));
  OnSubscribed(slots_.back(), producer);
  ScheduleOffer();
}

void Subscriber::BindViewerLine(Producer& producer, const std::string& publisher_id) {
  for (Slot& slot : slots_) {
    if (slot.consumer || slot.kind != producer.kind()) continue;
    PayloadTypeMap map = MapPayloadTypes(producer.params().codecs, slot.codecs, slot.kind,
                                         slot.rtx_ssrc.has_value());
    if (!HasAnyMedia(map)) continue;  // the viewer cannot decode what this track sends
    ConsumerOptions options;
    options.ssrc = slot.ssrc;
    const bool has_rtx = std::any_of(map.rtx.begin(), map.rtx.end(),
                                     [](uint8_t pt) { return pt != PayloadTypeMap::kNone; });
    if (has_rtx && slot.kind == rtc::MediaKind::kVideo) options.rtx_ssrc = slot.rtx_ssrc;
    options.mid = slot.mid;
    options.extensions.transport_sequence_id = slot.transport_cc_id;
    if (producer.params().audio_level_id != 0 && slot.audio_level_id != 0) {
      options.extensions.remaps[0] = {producer.params().audio_level_id, slot.audio_level_id};
      options.extensions.remap_count = 1;
    }
    options.payload_types = map;
    slot.publisher_id = publisher_id;
    slot.track_id = producer.track_id();
    slot.preference = LayerPreference{};
    slot.pinned = false;
    slot.reported = LayerTarget{};
    slot.consumer = std::make_unique<Consumer>(producer, *this, context_.network.drops(),
                                               context_.clock, std::move(options));
    OnSubscribed(slot, producer);
    return;
  }
}

absl::StatusOr<std::string> Subscriber::HandleViewerOffer(
    const std::string& sdp, const std::vector<Producer*>& source_tracks,
    const std::string& source_id) {
  if (closed_) return absl::FailedPreconditionError("participant closed");
  if (mode_ != Mode::kAnswer) {
    return absl::FailedPreconditionError("only WHEP viewers offer their subscriber connection");
  }
  if (transport_) {
    return absl::FailedPreconditionError("the viewer's offer was already answered");
  }
  auto offer = rtc::ParseSdp(sdp);
  if (!offer.ok()) return offer.status();
  auto transport = std::make_unique<WebRtcTransport>(context_.clock, context_.dtls_context,
                                                     context_.network, *this);
  rtc::AnswerOptions options;
  options.ice_ufrag = transport->local_ice_credentials().ufrag;
  options.ice_pwd = transport->local_ice_credentials().pwd;
  options.fingerprint_algorithm = "sha-256";
  options.fingerprint_value = context_.certificate.Fingerprint();
  options.candidates = context_.candidates;
  options.session_id = session_id_;
  options.session_version = ++offer_version_;
  options.wanted_direction = rtc::Direction::kSendOnly;
  options.capabilities = rtc::MediaCapabilities::WithTransportCc();
  options.capabilities.rtcp_fbs.emplace_back(rtc::kRtcpFbGoogRemb);
  // Only the extensions our consumers write; the ids stay the viewer's.
  options.capabilities.header_extensions = {std::string(rtc::kExtAudioLevel),
                                            std::string(rtc::kExtTransportCc)};
  auto answer = rtc::CreateAnswer(*offer, options);
  if (!answer.ok()) return answer.status();
  if (auto status = ApplyRemoteDescription(*offer, *transport); !status.ok()) return status;

  std::vector<Producer*> unclaimed = source_tracks;
  for (rtc::MediaSection& section : answer->media) {
    if (section.IsRejected() || !rtc::DirectionSends(section.direction) ||
        (section.kind != rtc::MediaKind::kAudio && section.kind != rtc::MediaKind::kVideo)) {
      continue;
    }
    // The track this line carries now: the source's first one of its kind not yet taken by
    // an earlier line. Its codecs decide the answer; without a track every codec the viewer
    // offered and we forward stays, and binding picks among them later.
    Producer* track = nullptr;
    for (auto it = unclaimed.begin(); it != unclaimed.end(); ++it) {
      if ((*it)->kind() == section.kind) {
        track = *it;
        unclaimed.erase(it);
        break;
      }
    }
    if (track != nullptr) {
      auto codecs = CodecsMatchingPublisher(section.codecs, track->params().codecs, section.kind);
      if (codecs.empty()) {
        section.direction = rtc::Direction::kInactive;  // nothing it could decode
        continue;
      }
      section.codecs = std::move(codecs);
    }
    slots_.emplace_back();
    Slot& slot = slots_.back();
    slot.mid = section.mid;
    slot.kind = section.kind;
    slot.codecs = section.codecs;
    slot.ssrc = NewSsrc();
    const bool rtx = std::any_of(section.codecs.begin(), section.codecs.end(),
                                 [](const rtc::Codec& c) { return c.IsRtx(); });
    if (rtx && slot.kind == rtc::MediaKind::kVideo) slot.rtx_ssrc = NewSsrc();
    for (const auto& ext : section.extensions) {
      if (ext.uri == rtc::kExtTransportCc) slot.transport_cc_id = ext.id;
      if (ext.uri == rtc::kExtAudioLevel && slot.kind == rtc::MediaKind::kAudio) {
        slot.audio_level_id = ext.id;
      }
    }
    section.msid_stream = source_id;
    section.msid_track = track != nullptr
                             ? track->track_id()
                             : source_id + "-" + std::string(rtc::MediaKindName(slot.kind));
    const std::string msid = section.msid_stream + " " + section.msid_track;
    section.ssrcs.push_back({slot.ssrc, source_id, msid});
    if (slot.rtx_ssrc) {
      section.ssrcs.push_back({*slot.rtx_ssrc, source_id, msid});
      section.ssrc_groups.push_back({"FID", {slot.ssrc, *slot.rtx_ssrc}});
    }
  }
  if (slots_.empty()) {
    return absl::InvalidArgumentError("the offer has no audio or video m-line we can send on");
  }
  transport_ = std::move(transport);
  transport_cc_negotiated_ = false;
  remb_negotiated_ = false;
  for (const Slot& slot : slots_) {
    if (slot.transport_cc_id != 0) transport_cc_negotiated_ = true;
    for (const auto& codec : slot.codecs) {
      if (codec.HasRtcpFb(rtc::kRtcpFbGoogRemb)) remb_negotiated_ = true;
    }
  }
  return rtc::Serialize(*answer);
}

void Subscriber::Unsubscribe(Producer& producer) {
  for (Slot& slot : slots_) {
    if (slot.consumer && &slot.consumer->producer() == &producer) {
      slot.consumer.reset();
      observer_.OnTrackUnpublished(slot.publisher_id, slot.track_id);
      ScheduleOffer();
    }
  }
}

void Subscriber::UnsubscribeAll() {
  for (Slot& slot : slots_) {
    if (slot.consumer) Unsubscribe(slot.consumer->producer());
  }
}

absl::Status Subscriber::UpdateSubscription(const std::string& track_id,
                                            const LayerPreference& preference, bool pinned) {
  for (Slot& slot : slots_) {
    if (slot.track_id == track_id && slot.consumer) {
      slot.preference = preference;
      slot.pinned = pinned;
      Allocate();
      return absl::OkStatus();
    }
  }
  return absl::NotFoundError("no such subscribed track: " + track_id);
}

void Subscriber::SetActiveSpeaker(const std::string& participant_id) {
  if (participant_id == active_speaker_) return;
  active_speaker_ = participant_id;
  last_allocation_.reset();
}

absl::Status Subscriber::HandleAnswer(const std::string& sdp) {
  if (closed_) return absl::FailedPreconditionError("participant closed");
  if (mode_ == Mode::kAnswer) {
    return absl::FailedPreconditionError("a WHEP viewer offers, it does not answer");
  }
  if (!offer_outstanding_ || !transport_) {
    return absl::FailedPreconditionError("no subscribe offer is outstanding");
  }
  auto answer = rtc::ParseSdp(sdp);
  if (!answer.ok()) return answer.status();
  if (auto s = ApplyRemoteDescription(*answer, *transport_); !s.ok()) return s;
  transport_cc_negotiated_ = false;
  remb_negotiated_ = false;
  for (const auto& section : answer->media) {
    if (section.FindExtension(rtc::kExtTransportCc)) transport_cc_negotiated_ = true;
    for (const auto& codec : section.codecs) {
      if (codec.HasRtcpFb(rtc::kRtcpFbGoogRemb)) remb_negotiated_ = true;
    }
  }
  offer_outstanding_ = false;
  if (renegotiation_needed_) {
    renegotiation_needed_ = false;
    ScheduleOffer();
  }
  return absl::OkStatus();
}

absl::Status Subscriber::RestartIce() {
  if (closed_) return absl::FailedPreconditionError("participant closed");
  if (mode_ == Mode::kAnswer) {
    return absl::FailedPreconditionError("a WHEP viewer restarts ICE with a new offer");
  }
  if (!transport_) return absl::OkStatus();
  transport_->RestartIce();
  ScheduleOffer();
  return absl::OkStatus();
}

void Subscriber::ScheduleOffer() {
  if (mode_ == Mode::kAnswer) return;  // WHEP: the viewer's single offer fixed the lines
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
    SendOffer();
  });
}

void Subscriber::SendOffer() {
  if (closed_ || slots_.empty()) return;
  if (offer_outstanding_) {
    renegotiation_needed_ = true;
    return;
  }
  offer_outstanding_ = true;
  ++offer_version_;
  observer_.OnSubscribeOffer(rtc::Serialize(BuildOffer()));
}

rtc::SessionDescription Subscriber::BuildOffer() const {
  rtc::SessionDescription offer;
  offer.session_id = session_id_;
  offer.session_version = offer_version_;
  offer.ice_lite = true;
  offer.extmap_allow_mixed = true;
  const auto& ice = transport_->local_ice_credentials();
  std::vector<std::string> bundle;
  for (const Slot& slot : slots_) {
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
    if (slot.kind == rtc::MediaKind::kAudio) {
      section.extensions.push_back({kAudioLevelId, std::string(rtc::kExtAudioLevel), {}});
    }
    section.extensions.push_back({kTransportSequenceId, std::string(rtc::kExtTransportCc), {}});
    if (slot.consumer) {
      section.direction = rtc::Direction::kSendOnly;
      section.msid_stream = slot.publisher_id;
      section.msid_track = slot.track_id;
      const std::string msid = slot.publisher_id + " " + slot.track_id;
      section.ssrcs.push_back({slot.consumer->ssrc(), slot.publisher_id, msid});
      if (const auto& rtx = slot.consumer->rtx_ssrc()) {
        section.ssrcs.push_back({*rtx, slot.publisher_id, msid});
        section.ssrc_groups.push_back({"FID", {slot.consumer->ssrc(), *rtx}});
      }
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

Consumer* Subscriber::FindConsumerBySsrc(uint32_t ssrc) {
  for (Slot& slot : slots_) {
    if (slot.consumer && slot.consumer->ssrc() == ssrc) return slot.consumer.get();
  }
  return nullptr;
}

Consumer* Subscriber::FindConsumerByTrack(const std::string& track_id) {
  for (Slot& slot : slots_) {
    if (slot.consumer && slot.track_id == track_id) return slot.consumer.get();
  }
  return nullptr;
}

void Subscriber::Allocate() {
  const transport::Timestamp now = context_.clock.Now();
  last_allocation_ = now;
  std::vector<TrackDemand> demands;
  std::vector<LayerInfo> audio_layers;
  audio_layers.reserve(slots_.size());
  for (size_t i = 0; i < slots_.size(); ++i) {
    Slot& slot = slots_[i];
    if (!slot.consumer) continue;
    Producer& producer = slot.consumer->producer();
    if (producer.muted()) continue;  // forwards nothing: no share of the estimate
    TrackDemand demand;
    demand.track_key = i;
    demand.is_video = slot.kind == rtc::MediaKind::kVideo;
    demand.preference = slot.preference;
    demand.current = slot.consumer->target();  // for the allocator's up-switch hysteresis
    demand.priority = slot.pinned ? 2 : (slot.publisher_id == active_speaker_ ? 1 : 0);
    if (demand.is_video) {
      demand.layers = producer.layers();
      for (size_t s = 0; s < demand.layers.size(); ++s) {
        slot.consumer->SetLayerActive(static_cast<int>(s), demand.layers[s].active);
      }
    } else {
      LayerInfo audio;
      audio.active = producer.stream(0).active(now);
      audio.bitrate_bps = producer.stream(0).bitrate_bps(now);
      audio_layers.push_back(audio);
      demand.layers = std::span<const LayerInfo>(&audio_layers.back(), 1);
    }
    demands.push_back(demand);
  }
  if (demands.empty()) return;
  const bool estimating = transport_cc_negotiated_ || remb_negotiated_;
  const uint64_t budget = estimating ? estimator_.target_bitrate_bps() : kUnlimitedBudget;
  const auto allocations = AllocateStreams(demands, budget);
  // What we would send without a bandwidth limit: the estimator probes towards it. Switching
  // up needs the hysteresis margin on top, so that is what probing must reach.
  uint64_t desired = 0;
  const auto unlimited = AllocateStreams(demands, kUnlimitedBudget);
  for (size_t i = 0; i < unlimited.size(); ++i) {
    desired += RequiredBitrate(demands[i], unlimited[i].target);
  }
  estimator_.SetDesiredBitrate(desired, now);

  for (const auto& allocation : allocations) {
    Slot& slot = slots_[allocation.track_key];
    if (!slot.consumer || slot.kind != rtc::MediaKind::kVideo) continue;
    slot.consumer->SetTarget(allocation.target);
    if (!(allocation.target == slot.reported)) {
      slot.reported = allocation.target;
      // The target's temporal index may mean "all layers"; report the top one that exists.
      int temporal = allocation.target.temporal;
      const auto layers = slot.consumer->producer().layers();
      if (allocation.target.spatial >= 0 &&
          allocation.target.spatial < static_cast<int>(layers.size())) {
        temporal = std::min(temporal, layers[allocation.target.spatial].temporal_layers - 1);
      }
      observer_.OnSubscriptionState(slot.track_id, allocation.target.spatial, temporal,
                                    budget == kUnlimitedBudget ? 0 : budget);
    }
  }
}

void Subscriber::SendProbes() {
  auto cluster = estimator_.NextProbeCluster(context_.clock.Now());
  if (!cluster) return;
  Consumer* carrier = nullptr;
  for (Slot& slot : slots_) {
    if (slot.consumer && slot.consumer->rtx_ssrc() && slot.consumer->has_sent()) {
      carrier = slot.consumer.get();
      break;
    }
  }
  if (carrier == nullptr) return;
  // A burst worth ~15 ms at the cluster's rate (libwebrtc's probe duration), at least the
  // cluster's minimum size.
  const size_t bytes = std::max<size_t>(cluster->min_bytes, cluster->target_bps * 15 / 8000);
  int packets = std::max<int>(cluster->min_packets,
                              static_cast<int>(bytes / kProbePaddingSize) + 1);
  packets = std::min(packets, kMaxProbePackets);
  probe_cluster_id_ = cluster->id;
  for (int i = 0; i < packets; ++i) {
    if (!carrier->SendPadding(kProbePaddingSize, context_.scratch)) break;
  }
  probe_cluster_id_ = -1;
}

void Subscriber::SendSenderReports() {
  const transport::Timestamp now = context_.clock.Now();
  if (last_sender_report_ && now - *last_sender_report_ < kSenderReportInterval) return;
  last_sender_report_ = now;
  std::array<uint8_t, kRtcpBufferSize + WebRtcTransport::kSrtpTrailer> buffer;
  size_t length = 0;
  const uint64_t ntp = ntp_.Now();
  // RFC 3550 §6.4.1, one SR per sending SSRC, stacked into compound packets that fit one MTU.
  for (Slot& slot : slots_) {
    if (!slot.consumer || !slot.consumer->has_sent()) continue;
    if (length + 52 > kRtcpBufferSize) {
      transport_->SendRtcp(buffer.data(), length, buffer.size());
      length = 0;
    }
    length += rtc::WriteSenderReport(
        std::span<uint8_t>(buffer.data() + length, kRtcpBufferSize - length),
        slot.consumer->ssrc(), ntp, slot.consumer->RtpTimestampAt(now),
        static_cast<uint32_t>(slot.consumer->packets_sent()),
        static_cast<uint32_t>(slot.consumer->octets_sent()), {});
  }
  if (length > 0) transport_->SendRtcp(buffer.data(), length, buffer.size());
}

void Subscriber::OnRtp(WebRtcTransport&, std::span<uint8_t>) {
  // Subscribers send us no media on this PeerConnection (all our m-lines are sendonly).
}

void Subscriber::OnTransportFeedback(const rtc::RtcpPacketView& view) {
  auto feedback = rtc::TransportCcFeedback::Parse(view);
  if (!feedback) return;
  feedback_.clear();
  feedback->ForEachPacket([this](uint16_t seq, bool received, int64_t arrival_us) {
    feedback_.push_back(PacketFeedback{seq, received, arrival_us});
  });
  estimator_.OnTransportFeedback(feedback_, context_.clock.Now());
}

void Subscriber::OnRtcp(WebRtcTransport&, std::span<const uint8_t> packet) {
  const bool ok = rtc::ForEachRtcpPacket(packet, [this](const rtc::RtcpPacketView& view) {
    switch (view.packet_type()) {
      case rtc::kRtcpPayloadSpecificFeedback:
        if (view.count() == rtc::kPsfbPli) {
          if (auto pli = rtc::PliView::Parse(view)) {
            ++plis_received_;
            if (Consumer* c = FindConsumerBySsrc(pli->media_ssrc())) c->OnKeyframeRequest();
          }
        } else if (view.count() == rtc::kPsfbFir) {
          if (auto fir = rtc::FirView::Parse(view)) {
            plis_received_ += fir->entry_count();
            for (size_t i = 0; i < fir->entry_count(); ++i) {
              if (Consumer* c = FindConsumerBySsrc(fir->entry(i).ssrc)) c->OnKeyframeRequest();
            }
          }
        } else if (view.count() == rtc::kPsfbAfb) {
          // REMB only when the subscriber has no transport-wide feedback: Chromium may send
          // both when both are offered, and the receiver-side figure is not ours to trust then.
          if (auto remb = rtc::RembView::Parse(view); remb && !transport_cc_negotiated_) {
            estimator_.OnRemb(remb->bitrate_bps(), context_.clock.Now());
          }
        }
        return;
      case rtc::kRtcpTransportLayerFeedback:
        if (view.count() == rtc::kRtpfbNack) {
          if (auto nack = rtc::NackView::Parse(view)) {
            nack->ForEachLostSequence([this](uint16_t) { ++nacks_received_; });
            if (Consumer* c = FindConsumerBySsrc(nack->media_ssrc())) {
              nack->ForEachLostSequence(
                  [&](uint16_t seq) { c->Retransmit(seq, context_.scratch); });
            }
          }
        } else if (view.count() == rtc::kRtpfbTransportCc) {
          OnTransportFeedback(view);
        }
        return;
      case rtc::kRtcpReceiverReport: {
        auto rr = rtc::ReceiverReportView::Parse(view);
        if (!rr) return;
        for (size_t i = 0; i < rr->report_block_count(); ++i) {
          const rtc::ReportBlock block = rr->report_block(i);
          if (block.last_sr == 0) continue;
          if (auto rtt = RttFromReportBlock(ntp_.NowCompact(), block.last_sr,
                                            block.delay_since_last_sr)) {
            estimator_.OnRtt(*rtt);
            for (Slot& slot : slots_) {
              if (slot.consumer) slot.consumer->set_rtt(*rtt);
            }
          }
        }
        return;
      }
      default:
        return;
    }
  });
  if (!ok) context_.network.drops().Count(DropReason::kMalformedRtcp);
}

size_t Subscriber::consumer_count() const {
  size_t count = 0;
  for (const Slot& slot : slots_) count += slot.consumer != nullptr ? 1 : 0;
  return count;
}

void Subscriber::OnTransportConnected(WebRtcTransport&) {
  ++dtls_handshakes_ok_;
  delegate_.OnSubscriberConnected();
  for (Slot& slot : slots_) {
    if (slot.consumer) slot.consumer->OnKeyframeRequest();
  }
}

void Subscriber::OnTransportClosed(WebRtcTransport&, const std::string& reason) {
  if (reason.rfind("DTLS failed", 0) == 0) ++dtls_handshakes_failed_;
  delegate_.OnSubscriberClosed(reason);
}

void Subscriber::OnTimer() {
  if (!transport_) return;
  transport_->OnTimer();
  const transport::Timestamp now = context_.clock.Now();
  if (!last_allocation_ || now - *last_allocation_ >= kAllocationInterval) Allocate();
  if (!transport_->connected()) return;
  // Probes only mean something to a receiver that reports on them; without transport-cc or
  // REMB they would be padding for nothing (~60 packets/s per subscriber).
  if (transport_cc_negotiated_ || remb_negotiated_) SendProbes();
  SendSenderReports();
}

void Subscriber::Close() {
  closed_ = true;
  if (transport_) transport_->Close();
}

}  // namespace switchyard::sfu
